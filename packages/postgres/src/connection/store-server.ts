import { InvalidArgumentError } from '@agent-state/state';
import type { ClientConfig } from 'pg';
import pgpass from 'pgpass';
import { parseIntoClientConfig } from 'pg-connection-string';

/**
 * A PostgreSQL server to use as a store, read from a connection URL: the client configuration
 * `pg` takes, and the name to show for it, which never holds the password.
 *
 * @example
 * ```ts
 * const server = parseStoreUrl('postgres://me:secret@db.lan:5432/agent_state?sslmode=require');
 * server.display; // 'postgres://me@db.lan:5432/agent_state'
 * ```
 */
export interface StoreServer {
  /** For `pg`: host, port, user, password (when the URL has one), database, `ssl`. */
  readonly config: ClientConfig;
  /** `postgres://user@host:port/database`, for messages, logs and `--json`. */
  readonly display: string;
}

/**
 * Reads a `postgres://` (or `postgresql://`) URL. What the URL leaves out comes from libpq's
 * environment as `pg` reads it (`PGHOST`, `PGUSER`, `PGPASSWORD`, …) and, for the password, from a
 * pgpass file (`PGPASSFILE`, else `~/.pgpass`); `sslmode` and the other `ssl*` parameters pass
 * through. `flag` names where the URL came from in errors (`--store`, `AGENT_STATE_STORE_URL`).
 *
 * @example
 * ```ts
 * const { config, display } = parseStoreUrl(process.env.AGENT_STATE_STORE_URL!, 'AGENT_STATE_STORE_URL');
 * ```
 */
export function parseStoreUrl(url: string, flag = 'url'): StoreServer {
  if (!/^postgres(?:ql)?:\/\//i.test(url)) {
    throw new InvalidArgumentError(
      flag,
      `must be a postgres:// URL (got ${JSON.stringify(redactUrl(url))})`,
    );
  }
  let config: ClientConfig;
  try {
    config = parseIntoClientConfig(url);
  } catch (error) {
    // No cause: the parser's error may hold the URL, password and all.
    throw new InvalidArgumentError(flag, `is not a valid postgres:// URL: ${messageOf(error)}`);
  }
  return { config: withPasswordLookup(config), display: describeServer(config) };
}

/**
 * Without a password in the URL or `PGPASSWORD`, the password is looked up in a pgpass file
 * (`PGPASSFILE`, else `~/.pgpass`) when the server asks for one, as libpq does (`pg`'s own lookup
 * is deprecated).
 */
function withPasswordLookup(config: ClientConfig): ClientConfig {
  // The URL parser gives `''` for a URL without a password.
  const given = config.password !== undefined && config.password !== '';
  if (given || process.env.PGPASSWORD !== undefined) return config;
  const env = process.env;
  return {
    ...config,
    password: () =>
      new Promise<string>((resolve) =>
        pgpass(
          {
            host: config.host ?? env.PGHOST ?? 'localhost',
            port: config.port ?? env.PGPORT ?? 5432,
            database: config.database ?? env.PGDATABASE,
            user: config.user ?? env.PGUSER ?? env.USER,
          },
          // No entry: an empty password, which a server that wants one refuses (StoreAuthError).
          (password) => resolve(password ?? ''),
        ),
      ),
  };
}

/**
 * `postgres://user@host:port/database` for a client configuration, with the environment's
 * defaults filled in as `pg` will (never the password).
 *
 * @example
 * ```ts
 * describeServer({ host: 'db', user: 'me', password: 'x', database: 'agent_state' });
 * // 'postgres://me@db:5432/agent_state'
 * ```
 */
export function describeServer(config: ClientConfig): string {
  const env = process.env;
  const user = config.user ?? env.PGUSER ?? env.USER ?? '';
  const host = config.host ?? env.PGHOST ?? 'localhost';
  const port = config.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432);
  const database = config.database ?? env.PGDATABASE ?? user;
  const shownHost = host.startsWith('/') ? encodeURIComponent(host) : host;
  return `postgres://${user ? `${encodeURIComponent(user)}@` : ''}${shownHost}:${port}/${encodeURIComponent(database)}`;
}

/**
 * `url` with any password taken out (`postgres://me:***@db/x` → `postgres://me@db/x`), for text
 * that may be shown: the password of a URL never reaches a message, a log or `--json`.
 *
 * @example
 * ```ts
 * redactUrl('postgres://me:secret@db/x'); // 'postgres://me@db/x'
 * ```
 */
export function redactUrl(url: string): string {
  return (
    url
      // The user info runs to the authority's last `@` (`pg` reads `admin@srv:secret@host`, an
      // Azure login, as the user `admin@srv`); of it, only what comes before the first `:` stays.
      .replace(
        /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i,
        (_match, scheme: string, userInfo: string) => `${scheme}${userInfo.split(':')[0]}@`,
      )
      .replace(/([?&]password=)[^&#]*/gi, '$1***')
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
