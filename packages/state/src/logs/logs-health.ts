import { statSync } from 'node:fs';

import { logsDbPath } from '../paths/home.js';
import { toStoreError } from '../sqlite/sqlite-errors.js';
import { openLogsDatabaseReadOnly } from './logs-store.js';

/**
 * Options of {@link readLogsHealth}.
 *
 * @example
 * ```ts
 * const options: ReadLogsHealthOptions = { home: resolveHome({ env: process.env }) };
 * ```
 */
export interface ReadLogsHealthOptions {
  /** The home whose `agent_logs_<N>.sqlite` is read. */
  home: string;
}

/**
 * What {@link readLogsHealth} found about the logs database of a home.
 *
 * @example
 * ```ts
 * const health: LogsHealth = readLogsHealth({ home });
 * if (health.droppedEntries > 0) console.warn(`${health.droppedEntries} log entries were lost`);
 * ```
 */
export interface LogsHealth {
  /** The logs database, `<home>/agent_logs_<N>.sqlite`. */
  path: string;
  /** Bytes of the database file plus its `-wal` file; `null` when the database does not exist. */
  sizeBytes: number | null;
  /** Bytes of the `-wal` file alone (0 when there is none); `null` when the database does not exist. */
  walBytes: number | null;
  /** Rows of the `logs` table; `null` when the database does not exist. */
  rows: number | null;
  /** Entries log sinks had to drop (queue full, failed write), summed over every process recorded. */
  droppedEntries: number;
  /** When an entry was last dropped, unix seconds; `null` when none was recorded. */
  lastDropAt: number | null;
}

/**
 * Reads the size, row count and recorded drops of the logs database of `home`, strictly
 * read-only: a missing database is reported (`sizeBytes: null`), never created, and a database
 * from before drops were recorded reads as no drops. Throws `StoreCorruptError` / `StoreIoError`
 * naming the path when the file exists but cannot be read.
 *
 * @example
 * ```ts
 * const { path, sizeBytes, rows, droppedEntries } = readLogsHealth({ home });
 * console.log(`${path}: ${sizeBytes ?? 0} bytes, ${rows ?? 0} rows, ${droppedEntries} dropped`);
 * ```
 */
export function readLogsHealth(options: ReadLogsHealthOptions): LogsHealth {
  const path = logsDbPath(options.home);
  const size = fileSize(path);
  if (size === null) {
    return {
      path,
      sizeBytes: null,
      walBytes: null,
      rows: null,
      droppedEntries: 0,
      lastDropAt: null,
    };
  }
  const { db, close } = openLogsDatabaseReadOnly(path);
  try {
    const rows = db.prepare('SELECT COUNT(*) FROM logs').pluck().get() as number;
    const hasDrops =
      db
        .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'log_sink_drops'")
        .get() !== undefined;
    const drops = hasDrops
      ? (db
          .prepare(
            'SELECT COALESCE(SUM(dropped), 0) AS dropped, MAX(last_dropped_at) AS last FROM log_sink_drops',
          )
          .get() as { dropped: number; last: number | null })
      : { dropped: 0, last: null };
    // Sizes after reading: the WAL of a busy writer is what it is now.
    const walBytes = fileSize(`${path}-wal`) ?? 0;
    return {
      path,
      sizeBytes: (fileSize(path) ?? size) + walBytes,
      walBytes,
      rows,
      droppedEntries: drops.dropped,
      lastDropAt: drops.last,
    };
  } catch (error) {
    throw toStoreError(error, path, { storesNoCallerData: true });
  } finally {
    close();
  }
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
