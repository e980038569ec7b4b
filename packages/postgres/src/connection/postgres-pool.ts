import { type Logger, StoreIoError } from '@agent-state/state';
import { PostgresDialect } from 'kysely';
import pg from 'pg';

import { toPostgresStoreError } from './postgres-errors.js';
import type { StoreServer } from './store-server.js';

/**
 * Options of the connection pool of a PostgreSQL store (part of `OpenPostgresStoreOptions`).
 *
 * @example
 * ```ts
 * const pool: PostgresPoolOptions = { maxConnections: 8, connectTimeoutMs: 5_000 };
 * const store = await openPostgresStore({ url, home, ...pool });
 * ```
 */
export interface PostgresPoolOptions {
  /** Most connections open at once (default 4). */
  maxConnections?: number | undefined;
  /** How long connecting may take before `StoreUnreachableError`, ms (default 10,000). */
  connectTimeoutMs?: number | undefined;
  /** How long one statement may run before the server cancels it, ms (default 60,000). */
  statementTimeoutMs?: number | undefined;
  /** How long an unused connection stays open, ms (default 10,000). */
  idleTimeoutMs?: number | undefined;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * `bigint` and `numeric` (what `sum()` returns) read as numbers: every such value of the store is a
 * time or a count far below 2^53.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === 'binary'
      ? pg.types.getTypeParser(oid, 'binary')
      : pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * `pg`'s client, but one whose connection attempt fails on this side (no password to give, a
 * mechanism it cannot do) closes its socket: `pg` leaves it open, and the server holds it until
 * its authentication timeout, a minute in which the process cannot exit.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error) => void): void;
  override connect(callback?: (error: Error) => void): Promise<pg.Client> | void {
    if (callback === undefined) {
      return super.connect().catch(async (error: unknown) => {
        await this.end().catch(() => undefined);
        throw error;
      });
    }
    super.connect((error: Error) => {
      if (error) void this.end().catch(() => undefined);
      callback(error);
    });
  }
}

/**
 * A pool of connections to `server`, and Kysely's dialect over it. Every error of the pool and of
 * its connections becomes one of agent-state's typed errors naming the server without its password
 * (`StoreUnreachableError`, `StoreAuthError`, `StoreIoError`, …).
 */
export function createPostgresPool(
  server: StoreServer,
  options: PostgresPoolOptions & { logger: Logger },
): { pool: pg.Pool; dialect: PostgresDialect; close: () => Promise<void> } {
  const pool = new pg.Pool({
    ...server.config,
    types,
    Client: ClosingClient,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    application_name: server.config.application_name ?? 'agent-state',
    // Let a process exit while connections sit idle in the pool.
    allowExitOnIdle: true,
  });
  // An idle connection the server drops (a restart) must not crash the process: the next query
  // gets a new connection, or a typed error.
  pool.on('error', (error) => {
    options.logger.warn('store server connection lost', {
      server: server.display,
      error: toPostgresStoreError(error, server.display).message,
    });
  });
  let closed = false;
  const guarded = {
    async connect() {
      if (closed) throw new StoreIoError(server.display, 'the store is closed');
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw toPostgresStoreError(error, server.display);
      }
      // A connection in use that the server drops (a restart, a kill) emits 'error' on the
      // client, not the pool: unheard, it would end the process. Its query fails with a typed
      // error instead, and the broken connection is thrown away when released.
      let broken = false;
      const onError = (error: Error): void => {
        broken = true;
        options.logger.warn('store server connection lost', {
          server: server.display,
          error: toPostgresStoreError(error, server.display).message,
        });
      };
      client.on('error', onError);
      return {
        async query(text: string, parameters: readonly unknown[]) {
          try {
            return await client.query(text, parameters as unknown[]);
          } catch (error) {
            throw toPostgresStoreError(error, server.display);
          }
        },
        release(destroy?: boolean) {
          client.off('error', onError);
          client.release(destroy === true || broken);
        },
      };
    },
    // Kysely's end (`db.destroy()`) and ours (`close`) are one: the first ends the pool.
    end: () => close(),
  };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await pool.end();
  };
  // The cast: Kysely's pool type also has a cursor overload of `query`, which the store never uses.
  return { pool, dialect: new PostgresDialect({ pool: guarded as never }), close };
}
