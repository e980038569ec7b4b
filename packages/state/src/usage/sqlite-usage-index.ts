import type Database from 'better-sqlite3';

import type { SqliteDerivedIndex } from '../indexing/sqlite-derived-index.js';
import { InvalidArgumentError } from '../errors.js';
import { type UsageRecord, checkedUsageRecord } from './usage-record.js';

/**
 * The name of the usage index: the key of its records in `IndexedThread.derived`.
 *
 * @example
 * ```ts
 * await store.index.write([{ metadata, derived: { [USAGE_INDEX_NAME]: records } }]);
 * ```
 */
export const USAGE_INDEX_NAME = 'usage';

interface SequenceRow {
  line: number;
  excluded_by: string | null;
  running_input_tokens: number | null;
  running_output_tokens: number | null;
  running_total_tokens: number | null;
  excluded: string | null;
  forked_from_id: string | null;
}

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
  sequence: Database.Statement<[string], SequenceRow>;
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
    const checked = records.map((record, index) => checkedUsageRecord(record, threadId, index));
    checked.sort((a, b) => a.line - b.line);
    for (let i = 1; i < checked.length; i += 1) {
      if (checked[i]!.line === checked[i - 1]!.line) {
        throw new InvalidArgumentError(
          'derived.usage',
          `two records of thread ${threadId} at line ${checked[i]!.line}: a line holds one call at most`,
        );
      }
    }
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
  return [
    threadId,
    r.line,
    r.ordinal,
    Math.round(r.timeMs),
    r.turnId,
    r.model,
    r.source,
    r.inputTokens,
    r.cachedInputTokens,
    r.cacheWriteInputTokens,
    r.outputTokens,
    r.reasoningOutputTokens,
    r.totalTokens,
    r.runningInputTokens,
    r.runningOutputTokens,
    r.runningTotalTokens,
    // Whether a line was copied from the parent is the store's to say (below), not extraction's.
    r.excluded === 'inherited' ? null : r.excluded,
    r.excluded === 'inherited' ? null : r.excludedBy,
    r.forkedFromId,
  ];
}

/**
 * A legacy fork's file starts with a copy of its parent's lines, `token_count`s included, which
 * nothing marks. Its records that repeat the parent's first records, running total for running
 * total, are those copies: `inherited`, from the thread that counts them (the parent, or where the
 * parent's own record is a copy too, the thread it copied it from). The rest are the fork's own.
 */
function resolveInherited(statements: Statements, threadId: string): void {
  const own = statements.sequence.all(threadId);
  const parentId = own.find((row) => row.forked_from_id !== null)?.forked_from_id ?? null;
  if (parentId === null || parentId === threadId) return;
  const parent = statements.sequence.all(parentId);
  let copying = true;
  own.forEach((row, index) => {
    copying &&= index < parent.length && sameRunningTotals(row, parent[index]!);
    const copied = copying;
    const origin = !copied
      ? null
      : parent[index]!.excluded === 'inherited'
        ? parent[index]!.excluded_by
        : parentId;
    if (origin !== null && (row.excluded !== 'inherited' || row.excluded_by !== origin)) {
      statements.mark.run('inherited', origin, threadId, row.line);
    } else if (origin === null && row.excluded === 'inherited') {
      statements.mark.run(null, null, threadId, row.line);
    }
  });
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

function sameRunningTotals(a: SequenceRow, b: SequenceRow): boolean {
  return (
    a.running_total_tokens !== null &&
    a.running_total_tokens === b.running_total_tokens &&
    a.running_input_tokens === b.running_input_tokens &&
    a.running_output_tokens === b.running_output_tokens
  );
}
