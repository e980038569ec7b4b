import type Database from 'better-sqlite3';

import { NotFoundError } from '../errors.js';

/**
 * Which columns a `logs` table has: ours and Codex 0.100's keep the text in `message`, today's
 * Codex (0.169, `logs_2.sqlite`) in `feedback_log_body`; `process_uuid` and `estimated_bytes`
 * came later.
 *
 * @example
 * ```ts
 * const shape = detectLogsShape(db); // { messageColumn: 'feedback_log_body', hasProcessUuid: true, … }
 * ```
 */
export interface LogsTableShape {
  messageColumn: 'message' | 'feedback_log_body';
  hasProcessUuid: boolean;
  hasEstimatedBytes: boolean;
  hasModulePath: boolean;
}

/**
 * Reads the columns of the database's `logs` table. Throws {@link NotFoundError} when it has none.
 *
 * @example
 * ```ts
 * const shape = detectLogsShape(new Database(path, { readonly: true }));
 * ```
 */
export function detectLogsShape(db: Database.Database): LogsTableShape {
  const columns = new Set(
    (db.prepare("SELECT name FROM pragma_table_info('logs')").pluck().all() as string[]).map((c) =>
      c.toLowerCase(),
    ),
  );
  if (columns.size === 0) throw new NotFoundError(`logs table in ${db.name}`, { path: db.name });
  return {
    messageColumn: columns.has('message') ? 'message' : 'feedback_log_body',
    hasProcessUuid: columns.has('process_uuid'),
    hasEstimatedBytes: columns.has('estimated_bytes'),
    hasModulePath: columns.has('module_path'),
  };
}
