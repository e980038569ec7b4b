import { mkdirSync, realpathSync, statSync } from 'node:fs';

import { BackfillRepository } from '../backfill/backfill-repository.js';
import { ChangeFeedRepository } from '../changes/change-feed-repository.js';
import type {
  AgentStateStore,
  BackfillStore,
  ChangeFeed,
  DiscrepancyStore,
  DynamicToolStore,
  MemoriesStore,
  Phase2LockStore,
  WatchLeaseStore,
  Stage1JobStore,
  StoreInfo,
  SearchStore,
  UsageStore,
  ThreadIndexStore,
  ThreadStore,
} from '../contract/store-contract.js';
import { type Clock, systemClock } from '../clock.js';
import { DiscrepanciesRepository } from '../discrepancies/discrepancies-repository.js';
import { DynamicToolsRepository } from '../dynamic-tools/dynamic-tools-repository.js';
import { InvalidArgumentError, StoreIoError } from '../errors.js';
import { ThreadIndexRepository } from '../indexing/thread-index-repository.js';
import { type LeaseHolderProbe, systemLeaseHolderProbe } from '../leases/lease-holder.js';
import { type Logger, noopLogger } from '../logger.js';
import { MemoriesRepository } from '../memories/memories-repository.js';
import { Phase2LockRepository } from '../memories/phase2-lock-repository.js';
import { WatchLeaseRepository } from '../watch/watch-lease-repository.js';
import { Stage1JobsRepository } from '../memories/stage1-jobs-repository.js';
import {
  AGENT_STATE_APPLICATION_ID,
  STATE_DB_BASENAME,
  STATE_DB_GENERATION,
} from '../paths/generations.js';
import { stateDbPath } from '../paths/home.js';
import { removeLegacyDatabases } from '../sqlite/legacy-cleanup.js';
import { openDatabase, quickCheck } from '../sqlite/open-database.js';
import { toStoreError } from '../sqlite/sqlite-errors.js';
import { SearchRepository } from '../search/search-repository.js';
import { searchIndexCheck } from '../search/search-index-check.js';
import { UsageRepository } from '../usage/usage-repository.js';
import { ThreadsRepository } from '../threads/threads-repository.js';
import {
  type SharedConnection,
  acquireConnection,
  releaseConnection,
} from './shared-connection.js';
import type { StoreContext } from './store-context.js';
import { STATE_MIGRATIONS } from './state-migrations.js';

/**
 * Options of {@link openStateStore}.
 *
 * @example
 * ```ts
 * const options: OpenStateStoreOptions = { home, recoverCorrupt: true, busyTimeoutMs: 10_000 };
 * const store = await openStateStore(options);
 * ```
 */
export interface OpenStateStoreOptions {
  /** The home directory (see `resolveHome`); created when missing. */
  home: string;
  /** Default: the system clock. */
  clock?: Clock | undefined;
  /** Default: discard. */
  logger?: Logger | undefined;
  /**
   * When the database is corrupt, move it aside (`<name>.corrupt-<timestamp>`) and start a fresh
   * one instead of throwing `StoreCorruptError`. Safe: the rollouts can rebuild the store.
   */
  recoverCorrupt?: boolean | undefined;
  /**
   * Run `PRAGMA quick_check` when opening (default true). It reads the whole file: with the
   * search index of a large home, a second or more. Where a store is opened often, pass false
   * (as the CLI does): SQLite still reports damage in the pages a query touches.
   */
  integrityCheck?: boolean | undefined;
  /**
   * How long a statement waits for another process's lock before the bounded retries start, in
   * milliseconds (default 5000).
   */
  busyTimeoutMs?: number | undefined;
  /**
   * Who this process is as a lease holder and whether another holder died (default
   * `systemLeaseHolderProbe`: host, pid and process start time). Every lease (backfill, stage-1
   * job, phase-2 lock) records its holder; a holder that died on this host loses its lease at
   * once. Tests inject their own (or `timeBasedLeaseHolderProbe`).
   */
  holderProbe?: LeaseHolderProbe | undefined;
  /**
   * Open the home's existing store for reading only (default false): nothing in the home is
   * created, migrated or written, and any write throws (SQLite may add the empty `-wal`/`-shm`
   * companions a reader of a WAL database needs). For readers that must leave the home as
   * it is, such as the web UI. A home without a store throws `NotFoundError` (naming the file and
   * `agent-state backfill`); a store of an older release throws `StoreIoError` until a writer
   * migrates it.
   */
  readOnly?: boolean | undefined;
}

/**
 * An open state store: the SQLite implementation of {@link AgentStateStore}, the database of one
 * home, with one repository per table group.
 * Create it with {@link openStateStore}; close it when done. Safe to share one home between many
 * processes: every read-then-write runs in `BEGIN IMMEDIATE`.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home: resolveHome({ env: process.env }) });
 * try {
 *   const page = await store.threads.list({ pageSize: 10 });
 *   console.log(page.items.map((t) => t.title));
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export class StateStore implements AgentStateStore {
  /** The home directory. */
  readonly home: string;
  /** Absolute path of the database file. */
  readonly path: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly threads: ThreadStore;
  readonly dynamicTools: DynamicToolStore;
  readonly backfill: BackfillStore;
  /** The memories pipeline's per-thread extraction jobs (leased like the backfill). */
  readonly stage1Jobs: Stage1JobStore;
  /** The memories pipeline's global consolidation lock (leased like the backfill). */
  readonly phase2Lock: Phase2LockStore;
  /** The lease of `agent-state watch` (one watcher per home). */
  readonly watchLease: WatchLeaseStore;
  /** The memories pipeline's stored outputs and job overview. */
  readonly memories: MemoriesStore;
  readonly discrepancies: DiscrepancyStore;
  readonly index: ThreadIndexStore;
  readonly search: SearchStore;
  readonly usage: UsageStore;
  /** Which threads changed, in commit order (the `thread_changes` table). */
  readonly changes: ChangeFeed;
  /** Where a corrupt database was moved when `recoverCorrupt` had to act. */
  readonly recoveredCorruptTo: string | undefined;
  readonly #connection: SharedConnection;
  #closed = false;

  /** @internal Use {@link openStateStore}. */
  constructor(init: {
    home: string;
    clock: Clock;
    logger: Logger;
    connection: SharedConnection;
    holderProbe?: LeaseHolderProbe | undefined;
  }) {
    this.home = init.home;
    this.path = init.connection.path;
    this.clock = init.clock;
    this.logger = init.logger;
    this.recoveredCorruptTo = init.connection.recoveredCorruptTo;
    this.#connection = init.connection;
    const context: StoreContext = {
      db: init.connection.db,
      raw: init.connection.raw,
      path: this.path,
      clock: init.clock,
      holderProbe: init.holderProbe ?? systemLeaseHolderProbe,
    };
    // Every repository call checks that this store is still open: the connection is shared
    // with the other stores of the file in this process, so it may well still be open.
    const isClosed = (): boolean => this.#closed;
    this.index = openOnly(new ThreadIndexRepository(context), isClosed, this.path);
    this.threads = openOnly(new ThreadsRepository(context, this.index), isClosed, this.path);
    this.dynamicTools = openOnly(new DynamicToolsRepository(context), isClosed, this.path);
    this.backfill = openOnly(new BackfillRepository(context), isClosed, this.path);
    this.stage1Jobs = openOnly(new Stage1JobsRepository(context), isClosed, this.path);
    this.phase2Lock = openOnly(new Phase2LockRepository(context), isClosed, this.path);
    this.watchLease = openOnly(new WatchLeaseRepository(context), isClosed, this.path);
    this.memories = openOnly(new MemoriesRepository(context), isClosed, this.path);
    this.discrepancies = openOnly(new DiscrepanciesRepository(context), isClosed, this.path);
    this.search = openOnly(new SearchRepository(context), isClosed, this.path);
    this.usage = openOnly(new UsageRepository(context), isClosed, this.path);
    this.changes = openOnly(new ChangeFeedRepository(context), isClosed, this.path);
  }

  /**
   * Runs `PRAGMA quick_check` now; returns the problems found (empty when the file is sound).
   *
   * @example
   * ```ts
   * const problems = await store.checkIntegrity();
   * if (problems.length) console.error(problems.join('\n'));
   * ```
   */
  async checkIntegrity(): Promise<string[]> {
    return this.#withRaw(() => [
      ...quickCheck(this.#connection.raw),
      ...searchIndexCheck(this.#connection.raw),
    ]);
  }

  /**
   * Generation, schema version and sizes of the database.
   *
   * @example
   * ```ts
   * const { generation, schemaVersion, sizeBytes } = await store.info();
   * ```
   */
  async info(): Promise<StoreInfo> {
    const schemaVersion = await this.#withRaw(
      () => this.#connection.raw.pragma('user_version', { simple: true }) as number,
    );
    return {
      path: this.path,
      generation: STATE_DB_GENERATION,
      schemaVersion,
      sizeBytes: fileSize(this.path),
      walBytes: fileSize(`${this.path}-wal`),
    };
  }

  /**
   * Closes this store; the connection closes with the last store of the file in this process.
   * Any later call on this store or its repositories (even while another store of the same home
   * is open) throws a `StoreIoError` (code `STORE_IO`) naming the file; closing twice is harmless.
   *
   * @example
   * ```ts
   * await store.close();
   * await store.threads.count(); // throws StoreIoError: cannot use …/agent_state_1.sqlite: this store was closed
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await releaseConnection(this.#connection);
  }

  /** Runs a synchronous call on the raw connection, queued behind Kysely's pending queries. */
  async #withRaw<T>(run: () => T): Promise<T> {
    if (this.#closed) throw closedError(this.path);
    return this.#connection.db.connection().execute(async () => {
      try {
        return run();
      } catch (error) {
        throw toStoreError(error, this.path);
      }
    });
  }
}

/**
 * Opens the state store of `home` (creating the home and the database when missing): removes our
 * own older database generations, checks the file is a healthy database of ours, migrates it
 * forward, and refuses one written by a newer agent-state.
 *
 * Throws `StoreCorruptError` (unless `recoverCorrupt`), `StoreTooNewError`, `StoreForeignError`,
 * `StoreBusyError` or `StoreIoError`, each naming the file.
 *
 * @example
 * ```ts
 * import { openStateStore, resolveHome } from '@agent-state/state';
 *
 * const store = await openStateStore({ home: resolveHome({ env: process.env }), recoverCorrupt: true });
 * console.log(await store.threads.count());
 * await store.close();
 * ```
 */
export async function openStateStore(options: OpenStateStoreOptions): Promise<StateStore> {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? noopLogger).child({ target: 'agent_state::store' });
  const home = options.home;
  const readOnly = options.readOnly ?? false;
  if (!readOnly) {
    try {
      mkdirSync(home, { recursive: true });
    } catch (error) {
      throw new StoreIoError(home, `cannot create the home directory: ${String(error)}`, {
        cause: error,
      });
    }
    removeLegacyDatabases({
      home,
      basename: STATE_DB_BASENAME,
      generation: STATE_DB_GENERATION,
      applicationId: AGENT_STATE_APPLICATION_ID,
      logger,
    });
  }
  const busyTimeoutMs = checkedBusyTimeout(options.busyTimeoutMs);
  // One connection per database file and mode per process (see SharedConnection), keyed by its
  // real path.
  const path = stateDbPath(realHome(home));
  const connection = acquireConnection(
    path,
    () => {
      const opened = openDatabase({
        path,
        applicationId: AGENT_STATE_APPLICATION_ID,
        migrations: STATE_MIGRATIONS,
        clock,
        logger,
        recoverCorrupt: !readOnly && (options.recoverCorrupt ?? false),
        integrityCheck: options.integrityCheck ?? true,
        busyTimeoutMs,
        readOnly,
      });
      if (opened.migration.applied.length > 0) {
        logger.info('migrated the state database', {
          path,
          from: opened.migration.from,
          to: opened.migration.to,
        });
      }
      return { raw: opened.db, recoveredCorruptTo: opened.recoveredCorruptTo };
    },
    readOnly ? 'read-only' : 'read-write',
  );
  return new StateStore({
    home,
    clock,
    logger: options.logger ?? noopLogger,
    connection,
    holderProbe: options.holderProbe,
  });
}

/** The error of a call on a store after its `close()`. */
function closedError(path: string): StoreIoError {
  return new StoreIoError(path, 'this store was closed');
}

const AsyncFunction = (async () => undefined).constructor;

/**
 * `repository`, whose methods throw {@link closedError} once `isClosed()` (async ones by
 * rejecting). Methods run on the repository itself, so its private fields keep working.
 */
function openOnly<T extends object>(repository: T, isClosed: () => boolean, path: string): T {
  return new Proxy(repository, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      const isAsync = method instanceof AsyncFunction;
      return (...args: unknown[]): unknown => {
        if (isClosed()) {
          const error = closedError(path);
          if (isAsync) return Promise.reject(error);
          throw error;
        }
        return Reflect.apply(method, target, args);
      };
    },
  });
}

function realHome(home: string): string {
  try {
    return realpathSync(home);
  } catch {
    return home;
  }
}

function checkedBusyTimeout(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      'busyTimeoutMs',
      `expected a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
