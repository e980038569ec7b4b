import { mkdirSync, statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { type Clock, systemClock, unixSeconds } from '../clock.js';
import { InvalidArgumentError, StoreIoError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import {
  AGENT_STATE_APPLICATION_ID,
  LOGS_DB_BASENAME,
  LOGS_DB_GENERATION,
} from '../paths/generations.js';
import { logsDbPath } from '../paths/home.js';
import { removeLegacyDatabases } from '../sqlite/legacy-cleanup.js';
import type { Migration } from '../sqlite/migrator.js';
import { BUSY_TIMEOUT_MS, openDatabase } from '../sqlite/open-database.js';
import { toStoreError } from '../sqlite/sqlite-errors.js';
import type { LogEntry, LogQuery, LogRow } from './log-entry.js';
import { maxLogId, queryLogs } from './log-query.js';
import { type LogsTableShape, detectLogsShape } from './logs-shape.js';

// The logs table keeps the reference's columns. Indexes serve the queries: newest rows of a
// thread by id (thread_id, id), time ranges and age pruning (ts), and size pruning of threadless
// rows per process.
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
]);

const INSERT_COLUMNS =
  '(ts, ts_nanos, level, target, message, module_path, file, line, thread_id, process_uuid, estimated_bytes)';
const ROWS_PER_STATEMENT = 64;

/**
 * Default age limit of {@link LogsStore.pruneOlderThan}: 90 days, as the reference.
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
   * Stores entries in one transaction. A no-op for an empty list.
   *
   * @example
   * ```ts
   * logs.insert(batch);
   * ```
   */
  insert(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    try {
      this.#insertMany.immediate(entries);
    } catch (error) {
      throw toStoreError(error, this.path);
    }
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
   * Deletes rows older than `days` (default {@link LOG_RETENTION_DAYS}); returns how many. Drop
   * records (see {@link recordDroppedEntries}) last seen before the cutoff go too, uncounted.
   *
   * @example
   * ```ts
   * logs.pruneOlderThan(30);
   * ```
   */
  pruneOlderThan(days: number = LOG_RETENTION_DAYS): number {
    const cutoff = unixSeconds(this.#clock) - Math.floor(days * 86_400);
    const deleted = this.#run('DELETE FROM logs WHERE ts < ?', cutoff);
    this.#run('DELETE FROM log_sink_drops WHERE last_dropped_at < ?', cutoff);
    return deleted;
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
  recordDroppedEntries(options: { processUuid: string; count: number }): void {
    const { processUuid, count } = options;
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvalidArgumentError('count', `must be a non-negative integer, got ${count}`);
    }
    if (count === 0) return;
    const now = unixSeconds(this.#clock);
    this.#run(
      `INSERT INTO log_sink_drops (process_uuid, dropped, first_dropped_at, last_dropped_at)
       VALUES (?, ?, ?, ?)
       ON CONFLICT(process_uuid) DO UPDATE SET
         dropped = dropped + excluded.dropped,
         last_dropped_at = MAX(last_dropped_at, excluded.last_dropped_at)`,
      processUuid,
      count,
      now,
      now,
    );
  }

  /**
   * Keeps each partition (a thread; the threadless rows of one process; the threadless rows
   * without a process) within `maxBytes` of estimated size, deleting its oldest rows first (a
   * single row larger than the limit goes too). Returns how many rows were deleted.
   *
   * @example
   * ```ts
   * logs.prunePartitions(); // 10 MiB per partition
   * ```
   */
  prunePartitions(maxBytes: number = LOG_PARTITION_MAX_BYTES): number {
    // One non-null key per partition; a pre-check finds the partitions over the limit so only
    // their rows are ranked, newest first, by running size.
    const key = "COALESCE('t:' || thread_id, 'p:' || process_uuid, '-')";
    return this.#run(
      `DELETE FROM logs WHERE id IN (
         SELECT id FROM (
           SELECT id, SUM(estimated_bytes) OVER (
             PARTITION BY ${key} ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS running
           FROM logs
           WHERE ${key} IN (SELECT ${key} FROM logs GROUP BY 1 HAVING SUM(estimated_bytes) > ?)
         ) WHERE running > ?)`,
      maxBytes,
      maxBytes,
    );
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

  #run(sql: string, ...params: unknown[]): number {
    try {
      return this.#db.prepare(sql).run(...params).changes;
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }
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
 * reading works while its writer runs (WAL, busy timeout). Throws `NotFoundError` when the file
 * or its `logs` table is missing, `StoreCorruptError` / `StoreIoError` naming the path otherwise.
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
      throw new StoreIoError(path, 'no such database file (or it cannot be opened read-only)', {
        cause: error,
      });
    }
    throw toStoreError(error, path);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const shape = detectLogsShape(db);
    return { db, shape, close: () => db.close() };
  } catch (error) {
    db.close();
    throw toStoreError(error, path);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
