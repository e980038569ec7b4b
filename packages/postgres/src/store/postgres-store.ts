import {
  type AgentStateStore,
  type Clock,
  type LeaseHolderProbe,
  type Logger,
  type StoreInfo,
  StoreIoError,
  noopLogger,
  readHomeIdentity,
  systemClock,
  systemLeaseHolderProbe,
  unixSeconds,
} from '@agent-state/state';
import { Kysely, sql } from 'kysely';

import { createPostgresPool, type PostgresPoolOptions } from '../connection/postgres-pool.js';
import { toPostgresStoreError } from '../connection/postgres-errors.js';
import { parseStoreUrl } from '../connection/store-server.js';
import { PostgresBackfill } from '../backfill/postgres-backfill.js';
import { PostgresDiscrepancies } from '../discrepancies/postgres-discrepancies.js';
import { PostgresDynamicTools } from '../dynamic-tools/postgres-dynamic-tools.js';
import { PostgresHomes } from '../homes/postgres-homes.js';
import { PostgresThreadIndex } from '../indexing/postgres-thread-index.js';
import { PostgresMemories } from '../memories/postgres-memories.js';
import { PostgresPhase2Lock } from '../memories/postgres-phase2-lock.js';
import { PostgresStage1Jobs } from '../memories/postgres-stage1-jobs.js';
import { migratePostgres } from '../schema/migrate-postgres.js';
import { POSTGRES_MIGRATIONS } from '../schema/postgres-migrations.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { PostgresSearch } from '../search/postgres-search.js';
import { PostgresThreads } from '../threads/postgres-threads.js';
import { PostgresUsage } from '../usage/postgres-usage.js';
import { PostgresWatchLease } from '../watch/postgres-watch-lease.js';
import { type HomeSelection, type PostgresContext, inHomes } from './postgres-context.js';

/**
 * Options of {@link openPostgresStore}.
 *
 * @example
 * ```ts
 * const options: OpenPostgresStoreOptions = { url: process.env.AGENT_STATE_STORE_URL!, home };
 * ```
 */
export interface OpenPostgresStoreOptions extends PostgresPoolOptions {
  /**
   * The server: `postgres://user[:password]@host[:port]/database[?sslmode=…]`. What it leaves out
   * comes from `PGHOST`, `PGUSER`, `PGPASSWORD`, … and a pgpass file, as libpq reads them.
   */
  url: string;
  /** Names the URL's origin in errors (default `url`; the CLI passes `--store` or `--to`). */
  urlSource?: string | undefined;
  /**
   * The local home this store is for. Its id (`readHomeIdentity`, created once in the home) keys
   * every row this store writes and reads.
   */
  home: string;
  /**
   * Read every home on the server (or those selected) instead of `home`'s own rows; the store
   * is then read-only. `true` for all homes.
   */
  acrossHomes?: true | HomeSelection | undefined;
  /**
   * Only check the schema, never create or migrate it (default false; implied by `acrossHomes`).
   * A server without our schema, or with an older one, throws `StoreIoError`.
   */
  readOnly?: boolean | undefined;
  /** Default: the system clock. */
  clock?: Clock | undefined;
  /** Default: discard. */
  logger?: Logger | undefined;
  /** Who this process is as a lease holder (default `systemLeaseHolderProbe`). */
  holderProbe?: LeaseHolderProbe | undefined;
}

/**
 * The PostgreSQL implementation of the store contract: the state of one home (or, opened across
 * homes, of many, to read) on a server that many machines share. Create it with
 * {@link openPostgresStore}; close it when done.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url, home });
 * try {
 *   console.log(await store.threads.count());
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export class PostgresStore implements AgentStateStore {
  readonly home: string;
  /** The server, as `postgres://user@host:port/database` (never its password). */
  readonly path: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The id of the home this store writes, or `undefined` when it was opened across homes. */
  readonly homeId: string | undefined;
  readonly threads: PostgresThreads;
  readonly dynamicTools: PostgresDynamicTools;
  readonly backfill: PostgresBackfill;
  readonly stage1Jobs: PostgresStage1Jobs;
  readonly phase2Lock: PostgresPhase2Lock;
  readonly memories: PostgresMemories;
  readonly watchLease: PostgresWatchLease;
  readonly discrepancies: PostgresDiscrepancies;
  readonly index: PostgresThreadIndex;
  readonly search: PostgresSearch;
  readonly usage: PostgresUsage;
  /** The homes on the server that this store reads. */
  readonly homes: PostgresHomes;
  readonly #context: PostgresContext;
  readonly #close: () => Promise<void>;

  /** @internal Built by {@link openPostgresStore}. */
  constructor(home: string, context: PostgresContext, close: () => Promise<void>) {
    this.home = home;
    this.path = context.server;
    this.clock = context.clock;
    this.logger = context.logger;
    this.homeId = context.homeId;
    this.#context = context;
    this.#close = close;
    this.index = new PostgresThreadIndex(context);
    this.threads = new PostgresThreads(context, this.index);
    this.dynamicTools = new PostgresDynamicTools(context);
    this.backfill = new PostgresBackfill(context);
    this.stage1Jobs = new PostgresStage1Jobs(context);
    this.phase2Lock = new PostgresPhase2Lock(context);
    this.memories = new PostgresMemories(context);
    this.watchLease = new PostgresWatchLease(context);
    this.discrepancies = new PostgresDiscrepancies(context);
    this.search = new PostgresSearch(context);
    this.usage = new PostgresUsage(context);
    this.homes = new PostgresHomes(context);
  }

  /** @internal The context its repositories share (for `sync`). */
  get context(): PostgresContext {
    return this.#context;
  }

  /**
   * The schema version, and the size of the store's tables on the server (`walBytes` is 0: the
   * server's log is not the store's to measure). `generation` is 1.
   *
   * @example
   * ```ts
   * const { schemaVersion, sizeBytes } = await store.info();
   * ```
   */
  async info(): Promise<StoreInfo> {
    const { rows } = await sql<{ version: number; bytes: number }>`
      SELECT (SELECT version FROM agent_state_schema) AS version,
        (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname = current_schema()
            AND c.relname IN ('homes', 'threads', 'thread_dynamic_tools', 'backfill_state', 'jobs',
              'stage1_outputs', 'discrepancies', 'search_documents', 'search_threads',
              'usage_records', 'usage_threads', 'agent_state_schema')) AS bytes`.execute(
      this.#context.db,
    );
    const row = rows[0];
    return {
      path: this.path,
      generation: 1,
      schemaVersion: Number(row?.version ?? 0),
      sizeBytes: Number(row?.bytes ?? 0),
      walBytes: 0,
    };
  }

  /**
   * Problems of the store's rows that the schema cannot rule out by itself: rows of a derived
   * index whose coverage row is missing. Empty when sound.
   *
   * @example
   * ```ts
   * const problems = await store.checkIntegrity();
   * ```
   */
  async checkIntegrity(): Promise<string[]> {
    const homes = inHomes(this.#context, 'home_id');
    const { rows } = await sql<{ problem: string }>`
      SELECT 'search documents of thread ' || d.thread_id || ' without its coverage row' AS problem
        FROM (SELECT DISTINCT home_id, thread_id FROM search_documents WHERE ${homes}) d
        LEFT JOIN search_threads t USING (home_id, thread_id)
        WHERE t.thread_id IS NULL
      UNION ALL
      SELECT 'usage records of thread ' || r.thread_id || ' without its coverage row'
        FROM (SELECT DISTINCT home_id, thread_id FROM usage_records WHERE ${homes}) r
        LEFT JOIN usage_threads t USING (home_id, thread_id)
        WHERE t.thread_id IS NULL
      LIMIT 100`.execute(this.#context.db);
    return rows.map((row) => row.problem);
  }

  /**
   * Closes the pool; later calls throw `StoreIoError`. Closing twice is harmless.
   *
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#close();
  }
}

/**
 * Opens the PostgreSQL store of `home` on the server of `url` (its rows keyed by the home's id),
 * creating or migrating the schema first unless `readOnly`; or, with `acrossHomes`, a read-only
 * store over every home on the server (or those selected). Checks the connection and the schema:
 * an unreachable server throws `StoreUnreachableError`, refused credentials `StoreAuthError`, a
 * newer schema `StoreTooNewError`; every message names the server without its password.
 *
 * @example
 * ```ts
 * import { openPostgresStore } from '@agent-state/postgres';
 *
 * const store = await openPostgresStore({ url: 'postgres://me@db.lan/agent_state', home });
 * await store.index.write(entries);
 * await store.close();
 * ```
 */
export async function openPostgresStore(options: OpenPostgresStoreOptions): Promise<PostgresStore> {
  const server = parseStoreUrl(options.url, options.urlSource ?? 'url');
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const across = options.acrossHomes;
  const readOnly = options.readOnly === true || across !== undefined;
  // A store that only reads creates nothing in the home: a home never pushed has no id yet.
  const identity =
    across === undefined ? readHomeIdentity(options.home, { create: !readOnly }) : undefined;
  const { pool, dialect, close: closePool } = createPostgresPool(server, { ...options, logger });
  const db = new Kysely<PostgresDatabase>({ dialect });
  const context: PostgresContext = {
    db,
    server: server.display,
    clock,
    logger,
    holderProbe: options.holderProbe ?? systemLeaseHolderProbe,
    homeId: identity?.homeId,
    selection: across === undefined || across === true ? {} : across,
  };
  try {
    try {
      await migratePostgres(pool, {
        server: server.display,
        now: unixSeconds(clock),
        migrate: !readOnly,
        migrations: POSTGRES_MIGRATIONS,
      });
    } catch (error) {
      throw toPostgresStoreError(error, server.display);
    }
    const store = new PostgresStore(options.home, context, closePool);
    if (identity && !readOnly) await store.homes.touch(identity);
    return store;
  } catch (error) {
    await closePool().catch(() => undefined);
    if (error instanceof Error) throw error;
    throw new StoreIoError(server.display, String(error));
  }
}
