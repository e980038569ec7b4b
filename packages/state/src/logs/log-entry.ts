/**
 * Level names as stored in a logs table, lowest first.
 *
 * @example
 * ```ts
 * LOG_LEVEL_NAMES.slice(LOG_LEVEL_NAMES.indexOf('WARN')); // ['WARN', 'ERROR']: "warn and above"
 * ```
 */
export const LOG_LEVEL_NAMES = Object.freeze(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const);

/**
 * One log entry to store. Times are the unix second and its nanoseconds; `level` is upper-case.
 *
 * @example
 * ```ts
 * const entry: LogEntry = {
 *   ts: 1795241524, tsNanos: 552220384, level: 'INFO', target: 'agent_state::backfill',
 *   message: 'backfill complete', modulePath: null, file: null, line: null,
 *   threadId: null, processUuid: 'pid:4242:0c9f…',
 * };
 * ```
 */
export interface LogEntry {
  ts: number;
  tsNanos: number;
  level: string;
  target: string;
  message: string | null;
  modulePath: string | null;
  file: string | null;
  line: number | null;
  threadId: string | null;
  processUuid: string | null;
}

/**
 * A stored log entry with its id (ids grow with insertion).
 *
 * @example
 * ```ts
 * for (const row of queryLogs(db, shape, { limit: 10, descending: true })) console.log(row.id, row.message);
 * ```
 */
export interface LogRow extends LogEntry {
  id: number;
}

/**
 * Filters of a logs query, ANDed: any of `levels` (exact, upper-case); `from`/`to` unix seconds
 * (inclusive); any of `modules` / `files` (substrings of `module_path` / `file`); any of
 * `threadIds`, plus rows without a thread when `includeThreadless` (alone: only those); ids after
 * `afterId` and up to `untilId` (inclusive); `search` a case-sensitive substring of the message.
 * Newest first with `descending`. On a table without a `module_path` column (see
 * `LogsTableShape`), `modules` matches no row.
 *
 * @example
 * ```ts
 * const q: LogQuery = { levels: ['WARN', 'ERROR'], threadIds: [id], limit: 200, descending: true };
 * const next: LogQuery = { levels: ['ERROR'], afterId: last, untilId: maxLogId(db, shape, {}) };
 * ```
 */
export interface LogQuery {
  levels?: readonly string[] | undefined;
  from?: number | undefined;
  to?: number | undefined;
  modules?: readonly string[] | undefined;
  files?: readonly string[] | undefined;
  threadIds?: readonly string[] | undefined;
  includeThreadless?: boolean | undefined;
  afterId?: number | undefined;
  /** Only rows with an id at most this one (a poll bounded by the highest id it saw). */
  untilId?: number | undefined;
  search?: string | undefined;
  limit?: number | undefined;
  descending?: boolean | undefined;
}
