import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

import {
  type AgentStateStore,
  type LogRecord,
  type Logger,
  createLogger,
  stateDbPath,
} from '@agent-state/state';
import { DEFAULT_WEB_PORT, type SharedStoreDescription, startWebServer } from '@agent-state/web';

import { ExitCode } from '../../exit-codes.js';
import { plural, tildePath } from '../../format.js';
import { type CliIo, colorsFor, writeLines } from '../../output.js';
import type { SharedStoreChoice } from '../../remote-store-options.js';
import { pushedHomeId, withSharedStore } from '../../remote-store-session.js';
import { requireHome } from '../../store-session.js';

/** Options of {@link runServe}. */
export interface RunServeOptions {
  home: string;
  io: CliIo;
  /** The port; without it, `DEFAULT_WEB_PORT` of @agent-state/web (4815). */
  port?: number | undefined;
  host?: string | undefined;
  /** The access token (`--token`); without it, `$AGENT_STATE_SERVE_TOKEN` of `io.env`. */
  token?: string | undefined;
  /** Open the URL in the default browser. */
  open: boolean;
  /** Serve the shared store (read-only, across its homes) instead of this home's. */
  shared?: SharedStoreChoice | undefined;
  /** Stops the server (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
}

/** The environment variable that gives `serve` its access token, out of sight of `ps`. */
export const SERVE_TOKEN_ENV = 'AGENT_STATE_SERVE_TOKEN';

/**
 * Serves the web UI of `home` (`startWebServer` of @agent-state/web) until `signal` aborts, then
 * closes it. Prints the URL (with its token when one is needed) on stdout; logs failures (a page
 * that answered 500, the server's errors) on stderr, one line each. The token is `token`, else
 * `$AGENT_STATE_SERVE_TOKEN`. A port in use is a `ListenError` naming it (exit 2); a home that
 * does not exist, exit 3. With `shared`, it serves the shared store instead, opened read-only
 * across its homes (and closed when the server is); its server unreachable or refusing the
 * credentials fails before listening, with the exit code of its error.
 */
export async function runServe(options: RunServeOptions): Promise<ExitCode> {
  const { io } = options;
  const logger = stderrLogger(io);
  if (options.shared !== undefined) {
    const { target, selection } = options.shared;
    // Opened across homes, so read-only: the server can write neither there nor in the home.
    return withSharedStore(
      target,
      options.home,
      selection,
      async (store) => {
        const homes = await store.homes.list();
        return serveUntilStopped(options, logger, {
          store,
          shared: {
            server: store.path,
            homes: () => store.homes.list(),
            // Its threads' rollouts are here: their pages show them.
            localHomeId: pushedHomeId(options.home),
          },
          title: `the shared store ${store.path} (${plural(homes.length, 'home')})`,
        });
      },
      { logger },
    );
  }
  requireHome(options.home);
  return serveUntilStopped(options, logger, { title: tildePath(options.home, homedir()) });
}

/** Starts the server, prints where it is, and waits for the signal; then closes it. */
async function serveUntilStopped(
  options: RunServeOptions,
  logger: Logger,
  what: {
    title: string;
    store?: AgentStateStore | undefined;
    shared?: SharedStoreDescription | undefined;
  },
): Promise<ExitCode> {
  const { io } = options;
  const server = await startWebServer({
    home: options.home,
    port: options.port ?? DEFAULT_WEB_PORT,
    host: options.host,
    token: options.token ?? tokenFromEnv(io.env),
    logger,
    store: what.store,
    shared: what.shared,
  });
  try {
    const colors = colorsFor(io.stdout, io.env);
    writeLines(io.stdout, [
      `${colors.bold('agent-state serve')}: ${what.title}`,
      `  ${colors.cyan(server.url)}`,
      ...(server.token === undefined
        ? []
        : [
            colors.yellow(
              '  anyone with this URL (it carries the access token) can read these transcripts',
            ),
          ]),
      colors.dim('Ctrl-C stops it.'),
    ]);
    if (what.shared === undefined && !existsSync(stateDbPath(options.home))) {
      writeLines(io.stderr, [
        `agent-state: ${tildePath(options.home, homedir())} has no store yet: threads are listed from the rollouts; run \`agent-state backfill\` for search, usage and health`,
      ]);
    }
    if (options.open) openBrowser(server.url, io);
    if (!options.signal.aborted) {
      await new Promise<void>((resolve) =>
        options.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } finally {
    await server.close();
  }
  return ExitCode.Ok;
}

function tokenFromEnv(env: CliIo['env']): string | undefined {
  const token = env[SERVE_TOKEN_ENV];
  return token === undefined || token === '' ? undefined : token;
}

/**
 * The server's logger: warnings and errors on `io.stderr`, one line each (`agent-state serve:
 * error: a page failed {"path":"/usage","error":"…"}`). Never the home's logs database: the
 * server writes nothing to the home.
 */
export function stderrLogger(io: CliIo): Logger {
  return createLogger(
    (record: LogRecord) => {
      const fields = Object.entries(record.fields).filter(([name]) => name !== 'target');
      const details = fields.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(fields))}`;
      const message = record.message.replace(/\s*\n\s*/g, ' ');
      writeLines(io.stderr, [`agent-state serve: ${record.level}: ${message}${details}`]);
    },
    { minLevel: 'warn' },
  );
}

/** Opens `url` with the platform's opener; a failure is a note, never an error. */
function openBrowser(url: string, io: CliIo): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const note = (): void =>
    writeLines(io.stderr, [`agent-state: could not open a browser; open ${url} yourself`]);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', note);
    child.unref();
  } catch {
    note();
  }
}
