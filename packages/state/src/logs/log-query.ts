import type Database from 'better-sqlite3';

import { InvalidArgumentError } from '../errors.js';
import { toStoreError } from '../sqlite/sqlite-errors.js';
import type { LogQuery, LogRow } from './log-entry.js';
import type { LogsTableShape } from './logs-shape.js';

/** The WHERE clause of a query (always starting `WHERE 1 = 1`) and its parameters. */
function whereClause(shape: LogsTableShape, q: LogQuery): { sql: string; params: unknown[] } {
  let sql = 'WHERE 1 = 1';
  const params: unknown[] = [];
  const any = (column: string, values: readonly string[], like: boolean) => {
    const kept = values.filter((v) => v !== '');
    if (kept.length === 0) return;
    sql += ` AND (${kept.map(() => (like ? `instr(${column}, ?) > 0` : `${column} = ?`)).join(' OR ')})`;
    params.push(...kept);
  };
  if (q.levels && q.levels.length > 0) {
    sql += ` AND level IN (${q.levels.map(() => '?').join(', ')})`;
    params.push(...q.levels.map((l) => l.toUpperCase()));
  }
  if (q.from !== undefined) {
    sql += ' AND ts >= ?';
    params.push(checkedInteger('from', q.from));
  }
  if (q.to !== undefined) {
    sql += ' AND ts <= ?';
    params.push(checkedInteger('to', q.to));
  }
  if (q.modules) {
    // A table without module_path has no row whose module contains anything.
    if (shape.hasModulePath) any('module_path', q.modules, true);
    else if (q.modules.some((m) => m !== '')) sql += ' AND 0';
  }
  if (q.files) any('file', q.files, true);
  const threadIds = (q.threadIds ?? []).filter((t) => t !== '');
  if (threadIds.length > 0 || q.includeThreadless) {
    const parts = threadIds.map(() => 'thread_id = ?');
    if (q.includeThreadless) parts.push('thread_id IS NULL');
    sql += ` AND (${parts.join(' OR ')})`;
    params.push(...threadIds);
  }
  if (q.afterId !== undefined) {
    sql += ' AND id > ?';
    params.push(checkedInteger('afterId', q.afterId));
  }
  if (q.untilId !== undefined) {
    sql += ' AND id <= ?';
    params.push(checkedInteger('untilId', q.untilId));
  }
  if (q.search !== undefined && q.search !== '') {
    sql += ` AND instr(${shape.messageColumn}, ?) > 0`;
    params.push(q.search);
  }
  return { sql, params };
}

/**
 * Rows of a `logs` table (ours or Codex's, see {@link LogsTableShape}) matching `q`, by id
 * (newest first with `descending`), at most `limit`. Substring filters are literal (`%` and `_`
 * match themselves).
 *
 * @example
 * ```ts
 * const newest = queryLogs(db, shape, { levels: ['ERROR'], limit: 200, descending: true }).reverse();
 * ```
 */
export function queryLogs(db: Database.Database, shape: LogsTableShape, q: LogQuery): LogRow[] {
  const where = whereClause(shape, q);
  const columns = [
    'id',
    'ts',
    'ts_nanos AS tsNanos',
    'level',
    'target',
    `${shape.messageColumn} AS message`,
    shape.hasModulePath ? 'module_path AS modulePath' : 'NULL AS modulePath',
    'file',
    'line',
    'thread_id AS threadId',
    shape.hasProcessUuid ? 'process_uuid AS processUuid' : 'NULL AS processUuid',
  ].join(', ');
  let sql = `SELECT ${columns} FROM logs ${where.sql} ORDER BY id ${q.descending ? 'DESC' : 'ASC'}`;
  if (q.limit !== undefined) {
    sql += ' LIMIT ?';
    where.params.push(checkedInteger('limit', q.limit));
  }
  try {
    return db.prepare(sql).all(...where.params) as LogRow[];
  } catch (error) {
    throw toStoreError(error, db.name, { storesNoCallerData: true });
  }
}

/**
 * The highest id among the rows matching `q` (0 when none): where a tail starts following.
 *
 * @example
 * ```ts
 * let last = maxLogId(db, shape, { threadIds: [id] });
 * ```
 */
export function maxLogId(db: Database.Database, shape: LogsTableShape, q: LogQuery): number {
  const where = whereClause(shape, q);
  try {
    const max = db
      .prepare(`SELECT MAX(id) FROM logs ${where.sql}`)
      .pluck()
      .get(...where.params) as number | null;
    return max ?? 0;
  } catch (error) {
    throw toStoreError(error, db.name, { storesNoCallerData: true });
  }
}

function checkedInteger(argument: string, value: number): number {
  if (!Number.isInteger(value))
    throw new InvalidArgumentError(argument, `expected an integer, got ${String(value)}`);
  return value;
}
