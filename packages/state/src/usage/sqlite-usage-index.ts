import type Database from 'better-sqlite3';

import type { SqliteDerivedIndex } from '../indexing/sqlite-derived-index.js';
import type { UsageRecord } from './usage-record.js';
import {
  type UsageSequenceRow,
  checkedUsageRecords,
  forkParentOf,
  inheritedMarks,
  usageRecordRow,
} from './usage-rules.js';

/**
 * The name of the usage index: the key of its records in `IndexedThread.derived`.
 *
 * @example
 * ```ts
 * await store.index.write([{ metadata, derived: { [USAGE_INDEX_NAME]: records } }]);
 * ```
 */
export const USAGE_INDEX_NAME = 'usage';

/** Columns of a row of `usage_records` as the writer inserts it. */
const COLUMNS = [
  'thread_id',
  'line',
  'ordinal',
  'time_ms',
  'turn_id',
  'model',
  'source',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_input_tokens',
  'output_tokens',
  'reasoning_output_tokens',
  'total_tokens',
  'running_input_tokens',
  'running_output_tokens',
  'running_total_tokens',
  'excluded',
  'excluded_by',
  'forked_from_id',
] as const;
/** Rows per INSERT: a thread's records go in a few statements, not one each. */
const INSERT_ROWS = 32;

function insertStatement(
  connection: Database.Database,
  rows: number,
): Database.Statement<unknown[]> {
  const row = `(${COLUMNS.map(() => '?').join(', ')})`;
  return connection.prepare(
    `INSERT INTO usage_records (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`,
  );
}

interface Statements {
  deleteThread: Database.Statement<[string]>;
  insert: Database.Statement<unknown[]>;
  insertMany: Database.Statement<unknown[]>;
  cover: Database.Statement<[string, number, number]>;
  sequence: Database.Statement<[string], UsageSequenceRow>;
  forksOf: Database.Statement<[string], { thread_id: string }>;
  mark: Database.Statement<[string | null, string | null, string, number]>;
}

const statementsByConnection = new WeakMap<Database.Database, Statements>();

function statementsOf(connection: Database.Database): Statements {
  let statements = statementsByConnection.get(connection);
  if (!statements) {
    statements = {
      deleteThread: connection.prepare('DELETE FROM usage_records WHERE thread_id = ?'),
      insert: insertStatement(connection, 1),
      insertMany: insertStatement(connection, INSERT_ROWS),
      cover: connection.prepare(
        `INSERT INTO usage_threads (thread_id, records, indexed_at) VALUES (?, ?, ?)
         ON CONFLICT (thread_id) DO UPDATE SET records = excluded.records, indexed_at = excluded.indexed_at`,
      ),
      // The records a thread's running totals went through: counted ones, and those a fork
      // inherited (its parent's lines, which a fork of the fork copies in turn).
      sequence: connection.prepare(
        `SELECT line, running_input_tokens, running_output_tokens, running_total_tokens, excluded, excluded_by, forked_from_id
         FROM usage_records
         WHERE thread_id = ? AND (excluded IS NULL OR excluded = 'inherited')
         ORDER BY line`,
      ),
      forksOf: connection.prepare(
        'SELECT DISTINCT thread_id FROM usage_records WHERE forked_from_id = ?',
      ),
      mark: connection.prepare(
        'UPDATE usage_records SET excluded = ?, excluded_by = ? WHERE thread_id = ? AND line = ?',
      ),
    };
    statementsByConnection.set(connection, statements);
  }
  return statements;
}

/**
 * The SQLite store's writer of usage records. A thread's records replace its old ones (a thread
 * has one per model call: rewriting them is cheap). Then the copied lines of legacy forks are
 * resolved, in both directions: this thread's, if it is one, against its parent's records, and
 * those of its own forks (and of theirs) against its new records. Whichever of a parent and its
 * fork is indexed first, the second write settles them.
 */
export const SQLITE_USAGE_INDEX: SqliteDerivedIndex = {
  name: USAGE_INDEX_NAME,
  replace(connection, threadId, records, nowMs) {
    const checked = checkedUsageRecords(records, threadId);
    const statements = statementsOf(connection);
    statements.deleteThread.run(threadId);
    let at = 0;
    for (; at + INSERT_ROWS <= checked.length; at += INSERT_ROWS) {
      statements.insertMany.run(
        checked.slice(at, at + INSERT_ROWS).flatMap((r) => values(threadId, r)),
      );
    }
    for (const r of checked.slice(at)) statements.insert.run(values(threadId, r));
    statements.cover.run(threadId, checked.length, Math.floor(nowMs / 1000));
    if (checked.some((r) => r.forkedFromId !== null)) resolveInherited(statements, threadId);
    resolveForksOf(statements, threadId, new Set([threadId]));
  },
};

/** The values of a row, in {@link COLUMNS} order. */
function values(threadId: string, r: UsageRecord): unknown[] {
  const row = usageRecordRow(threadId, r);
  return COLUMNS.map((column) => row[column]);
}

/** Marks a legacy fork's copies of its parent's records (see `inheritedMarks`). */
function resolveInherited(statements: Statements, threadId: string): void {
  const own = statements.sequence.all(threadId);
  const parentId = forkParentOf(threadId, own);
  if (parentId === null) return;
  for (const mark of inheritedMarks(own, statements.sequence.all(parentId), parentId)) {
    statements.mark.run(mark.excluded, mark.excludedBy, threadId, mark.line);
  }
}

/** Resolves the forks of a thread, then theirs (a fork of a fork copies what its parent copied). */
function resolveForksOf(statements: Statements, threadId: string, seen: Set<string>): void {
  for (const { thread_id: fork } of statements.forksOf.all(threadId)) {
    if (seen.has(fork)) continue;
    seen.add(fork);
    resolveInherited(statements, fork);
    resolveForksOf(statements, fork, seen);
  }
}
