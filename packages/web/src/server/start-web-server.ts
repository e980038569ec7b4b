import { createServer } from 'node:http';

import { getRequestListener } from '@hono/node-server';
import {
  type AgentStateStore,
  type Clock,
  InvalidArgumentError,
  type Logger,
  noopLogger,
  systemClock,
} from '@agent-state/state';

import { generateAccessToken, tokenCookieName } from './access-token.js';
import { DEFAULT_WEB_PORT } from './default-port.js';
import { allowedHosts } from './allowed-hosts.js';
import { HealthCache } from './health-cache.js';
import { HomeStore } from './home-store.js';
import { bareHost, isLoopbackHost, isWildcardHost, urlHost } from './host-name.js';
import { listen } from './listen.js';
import { externalIPv4 } from './machine-addresses.js';
import type { GuardSettings } from './request-guard.js';
import type { SharedStoreDescription } from './shared-store.js';
import { TranscriptCache } from './transcript-cache.js';
import { createWebApp } from './web-app.js';
import { loadWebAssets } from './web-assets.js';

/**
 * Options of {@link startWebServer}.
 *
 * @example
 * ```ts
 * const options: WebServerOptions = { home, port: 0 }; // 127.0.0.1, a free port, no token
 * ```
 */
export interface WebServerOptions {
  /** The home whose threads the UI shows (see `resolveHome` of `@agent-state/state`). */
  home: string;
  /**
   * The address to listen on (default `127.0.0.1`). Any address that is not loopback (`0.0.0.0`,
   * a LAN address) requires the access token.
   */
  host?: string | undefined;
  /** The port (default {@link DEFAULT_WEB_PORT}, 4815); `0` picks a free one (see `WebServer.port`). */
  port?: number | undefined;
  /**
   * The access token requests must carry (in the URL once, then as a cookie). Required, and
   * generated when not given, on any host that is not loopback; on loopback, required only when
   * given.
   */
  token?: string | undefined;
  /**
   * The home's store, already open (left open by `close()`). Without it the server opens the
   * home's store when a page first needs it and once it exists, and never creates it.
   */
  store?: AgentStateStore | undefined;
  /**
   * `store` is shared by many homes (a PostgreSQL store opened across homes, read-only): the UI
   * lists, searches and sums every home's threads with their host, shows a thread of another
   * machine from the conversation the store holds (with no downloads: its rollout is not here),
   * and its health page describes the shared store. Requires `store`, which the caller opened
   * read-only and closes.
   */
  shared?: SharedStoreDescription | undefined;
  /** What "now" is (the usage page's periods); default the system clock. */
  clock?: Clock | undefined;
  /**
   * Where failures are logged, one entry each: a page that failed (answered 500), the server's
   * own errors (default: nowhere). Never the home's logs database: the server writes nothing there.
   */
  logger?: Logger | undefined;
}

/**
 * A running web UI (see {@link startWebServer}).
 *
 * @example
 * ```ts
 * const server: WebServer = await startWebServer({ home });
 * console.log(`open ${server.url}`);
 * await server.close();
 * ```
 */
export interface WebServer {
  /** The URL to open, with `?token=…` when a token is required. */
  url: string;
  /** The address listened on. */
  host: string;
  /** The port listened on (the one picked when `port` was 0). */
  port: number;
  /** The access token, or `undefined` when none is required. */
  token: string | undefined;
  /** Stops listening, ends open connections and closes the store it opened. */
  close(): Promise<void>;
}

/**
 * Starts the local, read-only web UI over a home: the thread list (the filters of `threads
 * list`), search with snippets, transcripts (paged, with Markdown, HTML and JSON downloads), usage
 * charts and the store's health. Safe by default: it listens on 127.0.0.1; any other host
 * requires an access token that `url` carries; a request whose `Host` is not the server's own is
 * refused (DNS rebinding), and so is any method but GET and HEAD; no CORS header is sent; pages
 * carry a strict Content-Security-Policy; nothing is ever written to the home. A port in use is a
 * {@link ListenError} (`PORT_IN_USE`) naming it. Given a store shared by many homes (`shared`),
 * it shows every home's threads with the machine each is on.
 *
 * @example
 * ```ts
 * import { resolveHome } from '@agent-state/state';
 * import { startWebServer } from '@agent-state/web';
 *
 * const server = await startWebServer({ home: resolveHome({ env: process.env }), port: 0 });
 * console.log(`agent-state UI at ${server.url}`);
 * process.once('SIGINT', () => void server.close());
 * ```
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_WEB_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('port', `expected an integer from 0 to 65535, got ${port}`);
  }
  if (host.trim() === '') throw new InvalidArgumentError('host', 'expected an address, got ""');
  if (options.token !== undefined && !/^[\w.~-]{8,}$/.test(options.token)) {
    throw new InvalidArgumentError(
      'token',
      'expected at least 8 characters among letters, digits, ".", "_", "~" and "-"',
    );
  }
  if (options.shared !== undefined && options.store === undefined) {
    throw new InvalidArgumentError('shared', 'describes the store given in `store`: give it too');
  }
  const bare = bareHost(host);
  const token = options.token ?? (isLoopbackHost(bare) ? undefined : generateAccessToken());
  const assets = loadWebAssets();
  const logger = (options.logger ?? noopLogger).child({ target: 'agent_state::web' });
  const store = new HomeStore({
    home: options.home,
    store: options.store,
    clock: options.clock,
    logger: options.logger,
  });
  const guard: GuardSettings = { hosts: new Set(), token, cookieName: tokenCookieName(port) };
  const clock = options.clock ?? systemClock;
  const app = createWebApp({
    context: {
      home: options.home,
      store,
      shared: options.shared,
      assets,
      clock,
      logger,
      transcripts: new TranscriptCache(),
      health: new HealthCache(clock),
    },
    guard,
  });

  const listener = getRequestListener(app.fetch);
  const server = createServer((request, response) => {
    // The listener answers every error itself (a page or a 500); nothing is left to reject.
    void listener(request, response);
  });
  const listening = await listen(server, bare, port, logger);
  guard.hosts = allowedHosts({ host: bare, port: listening });
  guard.cookieName = tokenCookieName(listening);

  const shownHost = isWildcardHost(bare) ? (externalIPv4() ?? '127.0.0.1') : bare;
  const url = new URL(`http://${urlHost(shownHost)}:${listening}/`);
  if (token !== undefined) url.searchParams.set('token', token);
  let closing: Promise<void> | undefined;
  return {
    url: url.href,
    host: bare,
    port: listening,
    token,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await store.close();
      })();
      return closing;
    },
  };
}
