import { existsSync, mkdirSync, statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { type Clock, systemClock, unixSeconds } from '../clock.js';
import { InvalidArgumentError, NotFoundError, StoreIoError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import {
  AGENT_STATE_APPLICATION_ID,
  LOGS_DB_BASENAME,
  LOGS_DB_GENERATION,
} from '../paths/generations.js';
import { logsDbPath } from '../paths/home.js';
import { withBusyTimeout } from '../sqlite/busy-timeout.js';
import { removeLegacyDatabases } from '../sqlite/legacy-cleanup.js';
import type { Migration } from '../sqlite/migrator.js';
import { BUSY_TIMEOUT_MS, openDatabase } from '../sqlite/open-database.js';
import { isSqliteBusy, toStoreError } from '../sqlite/sqlite-errors.js';
import type { LogEntry, LogQuery, LogRow } from './log-entry.js';
import {
  PRUNE_CHUNK_ROWS,
  claimPrune,
  pruneByAgeSteps,
  prunePartitionSteps,
  releasePrune,
} from './log-pruning.js';
import { maxLogId, queryLogs } from './log-query.js';
import { type LogsTableShape, detectLogsShape } from './logs-shape.js';

// The logs table keeps Codex's columns. Indexes serve the queries: newest rows of a
// thread by id (thread_id, id), time ranges and age pruning (ts), and size pruning per thread
// and per process's threadless rows (migration 4 adds estimated_bytes to those two).
const LOGS_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: '0001_logs',
    sql: `
CREATE TABLE logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  ts_nanos INTEGER NOT NULL,
  level TEXT NOT NULL,
  target TEXT NOT NULL,
  message TEXT,
  module_path TEXT,
  file TEXT,
  line INTEGER,
  thread_id TEXT,
  process_uuid TEXT,
  estimated_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX idx_logs_ts ON logs(ts, ts_nanos);
CREATE INDEX idx_logs_thread_id ON logs(thread_id, id);
CREATE INDEX idx_logs_process_uuid_threadless ON logs(process_uuid, id) WHERE thread_id IS NULL;
`,
  },
  // Entries a sink had to drop (queue full, failed write), one row per process, so `doctor` can
  // report them after the process is gone. Ours only: Codex's log databases never get this table.
  {
    version: 2,
    name: '0002_log_sink_drops',
    sql: `
CREATE TABLE log_sink_drops (
  process_uuid TEXT PRIMARY KEY NOT NULL,
  dropped INTEGER NOT NULL,
  first_dropped_at INTEGER NOT NULL,
  last_dropped_at INTEGER NOT NULL
);
CREATE INDEX idx_log_sink_drops_last ON log_sink_drops(last_dropped_at);
`,
  },
  // When this database was last pruned (by any process), so that short-lived processes do not
  // all prune: a sink prunes when it starts only if the last prune is older than its interval.
  {
    version: 3,
    name: '0003_log_prune_state',
    sql: `
CREATE TABLE log_prune_state (
  id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  last_pruned_at INTEGER NOT NULL
);
`,
  },
  // Size pruning sums estimated_bytes per thread and per process's threadless rows: with the
  // size in the index, that is a pass over the index, never over the table. thread_id (always
  // NULL there) is in the threadless index only so that SQLite counts it as covering. The new
  // indexes serve the queries of the old ones (same leading columns), which would only slow
  // inserts.
  {
    version: 4,
    name: '0004_logs_partition_size_indexes',
    sql: `
CREATE INDEX idx_logs_thread_bytes ON logs(thread_id, id, estimated_bytes);
CREATE INDEX idx_logs_threadless_bytes ON logs(process_uuid, id, estimated_bytes, thread_id)
  WHERE thread_id IS NULL;
DROP INDEX idx_logs_thread_id;
DROP INDEX idx_logs_process_uuid_threadless;
`,
  },
]);

const INSERT_COLUMNS =
  '(ts, ts_nanos, level, target, message, module_path, file, line, thread_id, process_uuid, estimated_bytes)';
const ROWS_PER_STATEMENT = 64;

/**
 * Default age limit of {@link LogsStore.pruneOlderThan}: 90 days, as Codex.
 *
 * @example
 * ```ts
 * logs.pruneOlderThan(LOG_RETENTION_DAYS);
 * ```
 */
export const LOG_RETENTION_DAYS = 90;

/**
 * Default size limit of one partition (a thread, or one process's threadless rows): 10 MiB.
 *
 * @example
 * ```ts
 * logs.prunePartitions(LOG_PARTITION_MAX_BYTES / 2);
 * ```
 */
export const LOG_PARTITION_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Default busy timeout of the writes that must never stall their process for long — a sink's
 * batch inserts and drop records, and each transaction of {@link LogsStore.prune} — in
 * milliseconds: 200, instead of the 5 s of other statements. A write that meets the lock for
 * longer gives up (a sink counts its batch as dropped; a prune stops until next time).
 *
 * @example
 * ```ts
 * logs.insert(batch, { busyTimeoutMs: LOG_WRITE_BUSY_TIMEOUT_MS });
 * ```
 */
export const LOG_WRITE_BUSY_TIMEOUT_MS = 200;

/**
 * Options of {@link LogsStore.prune}.
 *
 * @example
 * ```ts
 * const options: PruneLogsOptions = { minIntervalMs: 3_600_000, retentionDays: 30 };
 * ```
 */
export interface PruneLogsOptions {
  /** Rows older than this many days go (default 90). */
  retentionDays?: number | undefined;
  /** Each partition keeps at most this many estimated bytes (default 10 MiB). */
  maxPartitionBytes?: number | undefined;
  /**
   * Skip when any process recorded a prune of this database less than this many milliseconds
   * ago (default 0: always prune). The time of this prune is recorded before it starts, and
   * taken back when it stops with work left (a busy lock, or a backlog when `signal` stops it),
   * so the next one goes on at once.
   */
  minIntervalMs?: number | undefined;
  /** Rows deleted per transaction (default 1000). */
  chunkRows?: number | undefined;
  /** Pause between two transactions, so that other writers get the lock, ms (default 20). */
  pauseMs?: number | undefined;
  /**
   * How long each transaction waits for another process's lock, ms (default 200); when that runs
   * out the prune stops (`interrupted`).
   */
  busyTimeoutMs?: number | undefined;
  /** Stops the prune after the transaction in progress (`interrupted`). */
  signal?: AbortSignal | undefined;
}

/**
 * What {@link LogsStore.prune} did: `pruned` (all of it), `skipped` (another prune was recorded
 * within `minIntervalMs`, or the lock was busy when it started), or `interrupted` (the signal
 * aborted, or a transaction met a lock busy beyond its timeout; the rest waits for the next prune).
 *
 * @example
 * ```ts
 * const { outcome, deletedByAge, deletedBySize } = await logs.prune({ minIntervalMs: 3_600_000 });
 * ```
 */
export interface LogsPruneResult {
  outcome: 'pruned' | 'skipped' | 'interrupted';
  /** Rows older than the retention that were deleted. */
  deletedByAge: number;
  /** Rows deleted to keep partitions within their size limit. */
  deletedBySize: number;
}

/**
 * Options of {@link openLogsStore}.
 *
 * @example
 * ```ts
 * const options: OpenLogsStoreOptions = { home, clock: systemClock, busyTimeoutMs: 5000 };
 * ```
 */
export interface OpenLogsStoreOptions {
  home: string;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  busyTimeoutMs?: number | undefined;
  /** Move a corrupt logs file aside and start afresh (default true: logs are expendable). */
  recoverCorrupt?: boolean | undefined;
}

/**
 * The logs database of a home (`agent_logs_<N>.sqlite`, its own file, so log volume never slows
 * the state store). Inserts go in one transaction of multi-row statements; reads use the shared
 * {@link queryLogs} filters; pruning keeps the newest rows by age and per partition.
 *
 * @example
 * ```ts
 * const logs = await openLogsStore({ home });
 * logs.insert([{ ts: 1795241524, tsNanos: 0, level: 'INFO', target: 'demo', message: 'hello',
 *   modulePath: null, file: null, line: null, threadId: null, processUuid: null }]);
 * console.log(logs.query({ limit: 10, descending: true }));
 * logs.close();
 * ```
 */
export class LogsStore {
  readonly path: string;
  readonly shape: LogsTableShape;
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #statements = new Map<number, Database.Statement>();
  readonly #insertMany: Database.Transaction<(entries: readonly LogEntry[]) => void>;

  /** @internal Use {@link openLogsStore}. */
  constructor(db: Database.Database, path: string, clock: Clock) {
    this.#db = db;
    this.path = path;
    this.#clock = clock;
    this.shape = detectLogsShape(db);
    this.#insertMany = db.transaction((entries: readonly LogEntry[]) => {
      for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
        const end = Math.min(start + ROWS_PER_STATEMENT, entries.length);
        const params: unknown[] = [];
        for (let i = start; i < end; i += 1) pushRowValues(params, entries[i]!);
        this.#statement(end - start).run(params);
      }
    });
  }

  /**
   * Stores entries in one transaction. A no-op for an empty list. `options.busyTimeoutMs` bounds
   * how long this write waits for another process's lock (default: the store's, 5 s); past it, a
   * `StoreBusyError` is thrown and nothing is stored. The shorter timeout applies to this call
   * only: the store's connection is its own, and the timeout is restored before it returns.
   *
   * @example
   * ```ts
   * logs.insert(batch);
   * logs.insert(batch, { busyTimeoutMs: 200 }); // a logger must not stall
   * ```
   */
  insert(entries: readonly LogEntry[], options: { busyTimeoutMs?: number | undefined } = {}): void {
    if (entries.length === 0) return;
    this.#write(options.busyTimeoutMs, () => this.#insertMany.immediate(entries));
  }

  /**
   * Rows matching `q` (see {@link LogQuery}).
   *
   * @example
   * ```ts
   * const errors = logs.query({ levels: ['ERROR'], limit: 50, descending: true });
   * ```
   */
  query(q: LogQuery): LogRow[] {
    return queryLogs(this.#db, this.shape, q);
  }

  /**
   * The highest id matching `q` (0 when none).
   *
   * @example
   * ```ts
   * const last = logs.maxId({});
   * ```
   */
  maxId(q: LogQuery = {}): number {
    return maxLogId(this.#db, this.shape, q);
  }

  /**
   * Deletes rows older than `days` (default 90); returns how many. Drop
   * records (see {@link recordDroppedEntries}) last seen before the cutoff go too, uncounted.
   * Deletes in transactions of at most 1000 rows, one after the other; {@link prune} also pauses
   * between them and is what a long-running process should use.
   *
   * @example
   * ```ts
   * logs.pruneOlderThan(30);
   * ```
   */
  pruneOlderThan(days: number = LOG_RETENTION_DAYS): number {
    return this.#drain(pruneByAgeSteps(this.#db, this.#ageCutoff(days)));
  }

  /**
   * Adds `count` entries to the drops recorded for `processUuid` (its first and last drop times
   * are kept, from the store's clock), so they outlive the process: {@link readLogsHealth} sums
   * them for `doctor`. A no-op for a count of 0. Throws a typed store error when the write fails.
   *
   * @example
   * ```ts
   * logs.recordDroppedEntries({ processUuid: sink.processUuid, count: sink.dropped });
   * ```
   */
  recordDroppedEntries(options: {
    processUuid: string;
    count: number;
    /** Bounds this write's wait for another process's lock, as for {@link insert}. */
    busyTimeoutMs?: number | undefined;
  }): void {
    const { processUuid, count } = options;
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvalidArgumentError('count', `must be a non-negative integer, got ${count}`);
    }
    if (count === 0) return;
    const now = unixSeconds(this.#clock);
    this.#write(options.busyTimeoutMs, () =>
      this.#db
        .prepare(
          `INSERT INTO log_sink_drops (process_uuid, dropped, first_dropped_at, last_dropped_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT(process_uuid) DO UPDATE SET
             dropped = dropped + excluded.dropped,
             last_dropped_at = MAX(last_dropped_at, excluded.last_dropped_at)`,
        )
        .run(processUuid, count, now, now),
    );
  }

  /**
   * Keeps each partition (a thread; the threadless rows of one process; the threadless rows
   * without a process) within `maxBytes` of estimated size, deleting its oldest rows first (a
   * single row larger than the limit goes too; default 10 MiB). Returns how many rows were deleted. The
   * partitions over the limit are found from indexes, without the write lock; their rows are
   * deleted in transactions of at most 1000 rows, one after the other ({@link prune} also pauses
   * between them).
   *
   * @example
   * ```ts
   * logs.prunePartitions(); // 10 MiB per partition
   * ```
   */
  prunePartitions(maxBytes: number = LOG_PARTITION_MAX_BYTES): number {
    return this.#drain(prunePartitionSteps(this.#db, checkedBytes(maxBytes)));
  }

  /**
   * Prunes by age, then by partition size (as {@link pruneOlderThan} and {@link prunePartitions}),
   * without ever stalling other processes' writers or this process: each transaction deletes at
   * most `chunkRows` rows and waits at most `busyTimeoutMs` for the lock, with a pause between
   * two. With `minIntervalMs` it first records the time of this prune in the database and skips
   * when one was recorded more recently than that, by any process — so many short-lived
   * processes prune once per interval between them. Never throws for a busy database (see
   * {@link LogsPruneResult}); other failures are thrown as typed store errors.
   *
   * @example
   * ```ts
   * const result = await logs.prune({ minIntervalMs: 60 * 60 * 1000 });
   * if (result.outcome === 'pruned') console.log(`${result.deletedByAge} rows were too old`);
   * ```
   */
  async prune(options: PruneLogsOptions = {}): Promise<LogsPruneResult> {
    const cutoff = this.#ageCutoff(options.retentionDays ?? LOG_RETENTION_DAYS);
    const maxBytes = checkedBytes(options.maxPartitionBytes ?? LOG_PARTITION_MAX_BYTES);
    const minIntervalMs = checkedCount('minIntervalMs', options.minIntervalMs ?? 0);
    const chunkRows = checkedCount('chunkRows', options.chunkRows ?? PRUNE_CHUNK_ROWS);
    if (chunkRows === 0) throw new InvalidArgumentError('chunkRows', 'must be at least 1');
    const pauseMs = checkedCount('pauseMs', options.pauseMs ?? 20);
    const busyTimeoutMs = options.busyTimeoutMs ?? LOG_WRITE_BUSY_TIMEOUT_MS;
    const result: LogsPruneResult = { outcome: 'skipped', deletedByAge: 0, deletedBySize: 0 };

    const now = unixSeconds(this.#clock);
    const claim = this.#tryWrite(busyTimeoutMs, () =>
      claimPrune(this.#db, now, Math.ceil(minIntervalMs / 1000)),
    );
    if (claim?.claimed !== true) return result;
    result.outcome = 'pruned';
    // The last transaction deleted a whole chunk: more is probably waiting.
    let backlog = false;
    const stop = (cause: 'aborted' | 'busy'): LogsPruneResult => {
      // Stopped with work left (a backlog, or a lock it never got): the time it recorded is
      // taken back, so the next prune (any process) goes on at once instead of in an interval.
      // A prune stopped with nothing much left keeps its time: short runs do not all prune.
      if (cause === 'busy' || backlog) {
        this.#tryWrite(busyTimeoutMs, () => releasePrune(this.#db, now, claim.previous));
      }
      result.outcome = 'interrupted';
      return result;
    };

    const phases = [
      { steps: pruneByAgeSteps(this.#db, cutoff, chunkRows), key: 'deletedByAge' },
      { steps: prunePartitionSteps(this.#db, maxBytes, chunkRows), key: 'deletedBySize' },
    ] as const;
    for (const { steps, key } of phases) {
      for (;;) {
        if (options.signal?.aborted === true) return stop('aborted');
        const step = this.#tryWrite(busyTimeoutMs, () => steps.next());
        if (step === undefined) return stop('busy');
        if (step.done === true) break;
        result[key] += step.value;
        backlog = step.value >= chunkRows;
        await pause(pauseMs);
      }
    }
    return result;
  }

  /**
   * Number of rows and size of the file (for `doctor`).
   *
   * @example
   * ```ts
   * const { rows, sizeBytes } = logs.stats();
   * ```
   */
  stats(): { rows: number; sizeBytes: number; walBytes: number } {
    const rows = this.#db.prepare('SELECT COUNT(*) FROM logs').pluck().get() as number;
    return { rows, sizeBytes: fileSize(this.path), walBytes: fileSize(`${this.path}-wal`) };
  }

  /**
   * Gives the space of deleted rows back to the file system: `VACUUM` rewrites the database, then
   * the write-ahead log is truncated. Run it after a prune; it needs a moment when no other
   * process writes (it throws SQLite's `SQLITE_BUSY` error otherwise, the file unchanged). Returns
   * the bytes of the database and its log before and after.
   *
   * @example
   * ```ts
   * await logs.prune();
   * const { before, after } = logs.vacuum();
   * ```
   */
  vacuum(): { before: number; after: number } {
    const size = () => fileSize(this.path) + fileSize(`${this.path}-wal`);
    const before = size();
    this.#db.exec('VACUUM');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    return { before, after: size() };
  }

  /**
   * Closes the database.
   *
   * @example
   * ```ts
   * logs.close();
   * ```
   */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #statement(rows: number): Database.Statement {
    let statement = this.#statements.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(
        ', ',
      );
      statement = this.#db.prepare(`INSERT INTO logs ${INSERT_COLUMNS} VALUES ${values}`);
      this.#statements.set(rows, statement);
    }
    return statement;
  }

  /** Runs a write, with `busyTimeoutMs` when given; errors become typed store errors. */
  #write<T>(busyTimeoutMs: number | undefined, body: () => T): T {
    try {
      return busyTimeoutMs === undefined ? body() : withBusyTimeout(this.#db, busyTimeoutMs, body);
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }

  /** As {@link #write}, but `undefined` when the lock stayed busy beyond `busyTimeoutMs`. */
  #tryWrite<T>(busyTimeoutMs: number, body: () => T): T | undefined {
    try {
      return this.#write(busyTimeoutMs, body);
    } catch (error) {
      if (isSqliteBusy(error)) return undefined;
      throw error;
    }
  }

  /** Runs every step of a prune at once; returns the rows deleted. */
  #drain(steps: Generator<number, void, void>): number {
    let deleted = 0;
    for (;;) {
      const step = this.#write(undefined, () => steps.next());
      if (step.done === true) return deleted;
      deleted += step.value;
    }
  }

  #ageCutoff(days: number): number {
    if (!Number.isFinite(days) || days < 0) {
      throw new InvalidArgumentError('days', `expected a non-negative number, got ${days}`);
    }
    return unixSeconds(this.#clock) - Math.floor(days * 86_400);
  }
}

function checkedBytes(maxBytes: number): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new InvalidArgumentError(
      'maxBytes',
      `expected a non-negative integer, got ${String(maxBytes)}`,
    );
  }
  return maxBytes;
}

function checkedCount(argument: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

/** Yields to the event loop for `ms` (at least one turn), so other work and writers can run. */
async function pause(ms: number): Promise<void> {
  await new Promise<void>((resolve) => {
    if (ms === 0) setImmediate(resolve);
    else setTimeout(resolve, ms);
  });
}

function pushRowValues(params: unknown[], entry: LogEntry): void {
  params.push(
    entry.ts,
    entry.tsNanos,
    entry.level,
    entry.target,
    entry.message,
    entry.modulePath,
    entry.file,
    entry.line,
    entry.threadId,
    entry.processUuid,
    estimatedBytes(entry),
  );
}

/** The reference's size estimate of a row: UTF-8 bytes of its text columns. */
function estimatedBytes(entry: LogEntry): number {
  return (
    Buffer.byteLength(entry.message ?? '') +
    Buffer.byteLength(entry.level) +
    Buffer.byteLength(entry.target) +
    Buffer.byteLength(entry.modulePath ?? '') +
    Buffer.byteLength(entry.file ?? '')
  );
}

/**
 * Opens (creating if needed) the logs database of `home`, with the pragmas, application id,
 * migrations and legacy-generation cleanup of the state store. A corrupt logs file is moved aside
 * and replaced by default (logs are expendable).
 *
 * @example
 * ```ts
 * const logs = await openLogsStore({ home: resolveHome({ env: process.env }) });
 * ```
 */
export async function openLogsStore(options: OpenLogsStoreOptions): Promise<LogsStore> {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? noopLogger).child({ target: 'agent_state::logs' });
  try {
    mkdirSync(options.home, { recursive: true });
  } catch (error) {
    throw new StoreIoError(options.home, `cannot create the home directory: ${String(error)}`, {
      cause: error,
    });
  }
  removeLegacyDatabases({
    home: options.home,
    basename: LOGS_DB_BASENAME,
    generation: LOGS_DB_GENERATION,
    applicationId: AGENT_STATE_APPLICATION_ID,
    logger,
  });
  const path = logsDbPath(options.home);
  const opened = openDatabase({
    path,
    applicationId: AGENT_STATE_APPLICATION_ID,
    migrations: LOGS_MIGRATIONS,
    clock,
    logger,
    recoverCorrupt: options.recoverCorrupt ?? true,
    integrityCheck: false,
    busyTimeoutMs: options.busyTimeoutMs,
  });
  return new LogsStore(opened.db, path, clock);
}

/**
 * Opens any SQLite file with a `logs` table — ours or Codex's (`state_5.sqlite` of 0.100,
 * `logs_2.sqlite` of 0.169) — strictly read-only: it is never created, migrated or written, and
 * reading works while its writer runs (WAL, busy timeout). Throws `NotFoundError` (code
 * `NOT_FOUND`) when the file or its `logs` table is missing, `StoreCorruptError` /
 * `StoreIoError` naming the path otherwise (not a database; a directory; no permission).
 *
 * @example
 * ```ts
 * const { db, shape, close } = openLogsDatabaseReadOnly(`${home}/logs_2.sqlite`);
 * const rows = queryLogs(db, shape, { levels: ['WARN', 'ERROR'], limit: 20, descending: true });
 * close();
 * ```
 */
export function openLogsDatabaseReadOnly(path: string): {
  db: Database.Database;
  shape: LogsTableShape;
  close: () => void;
} {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_CANTOPEN') {
      if (!existsSync(path)) throw new NotFoundError(`log database ${path}`, { path });
      throw new StoreIoError(path, 'the database file cannot be opened read-only', {
        cause: error,
      });
    }
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const shape = detectLogsShape(db);
    return { db, shape, close: () => db.close() };
  } catch (error) {
    db.close();
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
