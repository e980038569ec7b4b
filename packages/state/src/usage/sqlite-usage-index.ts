import type Database from 'better-sqlite3';

import type { SqliteDerivedIndex } from '../indexing/sqlite-derived-index.js';
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
  id: number;
  running_input_tokens: number | null;
  running_output_tokens: number | null;
  running_total_tokens: number | null;
  excluded: string | null;
  forked_from_id: string | null;
}

interface Statements {
  deleteThread: Database.Statement<[string]>;
  insert: Database.Statement<unknown[]>;
  cover: Database.Statement<[string, number, number]>;
  sequence: Database.Statement<[string], SequenceRow>;
  forksOf: Database.Statement<[string], { thread_id: string }>;
  mark: Database.Statement<[string | null, string | null, number]>;
}

const statementsByConnection = new WeakMap<Database.Database, Statements>();

function statementsOf(connection: Database.Database): Statements {
  let statements = statementsByConnection.get(connection);
  if (!statements) {
    statements = {
      deleteThread: connection.prepare('DELETE FROM usage_records WHERE thread_id = ?'),
      insert: connection.prepare(
        `INSERT INTO usage_records (thread_id, line, ordinal, time_ms, turn_id, model, source,
           input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens,
           reasoning_output_tokens, total_tokens, running_input_tokens, running_output_tokens,
           running_total_tokens, excluded, excluded_by, forked_from_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      cover: connection.prepare(
        `INSERT INTO usage_threads (thread_id, records, indexed_at) VALUES (?, ?, ?)
         ON CONFLICT (thread_id) DO UPDATE SET records = excluded.records, indexed_at = excluded.indexed_at`,
      ),
      // The records a thread's running totals went through: counted ones, and those a fork
      // inherited (its parent's lines, which a fork of the fork copies in turn).
      sequence: connection.prepare(
        `SELECT id, running_input_tokens, running_output_tokens, running_total_tokens, excluded, forked_from_id
         FROM usage_records
         WHERE thread_id = ? AND (excluded IS NULL OR excluded = 'inherited')
         ORDER BY line`,
      ),
      forksOf: connection.prepare(
        'SELECT DISTINCT thread_id FROM usage_records WHERE forked_from_id = ?',
      ),
      mark: connection.prepare(
        'UPDATE usage_records SET excluded = ?, excluded_by = ? WHERE id = ?',
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
 * those of its own forks against its new records. Whichever of a parent and its fork is indexed
 * first, the second write settles them.
 */
export const SQLITE_USAGE_INDEX: SqliteDerivedIndex = {
  name: USAGE_INDEX_NAME,
  replace(connection, threadId, records, nowMs) {
    const checked = records.map((record, index) => checkedUsageRecord(record, threadId, index));
    const statements = statementsOf(connection);
    statements.deleteThread.run(threadId);
    for (const r of checked) insert(statements, threadId, r);
    statements.cover.run(threadId, checked.length, Math.floor(nowMs / 1000));
    resolveInherited(statements, threadId);
    for (const { thread_id: fork } of statements.forksOf.all(threadId)) {
      if (fork !== threadId) resolveInherited(statements, fork);
    }
  },
};

function insert(statements: Statements, threadId: string, r: UsageRecord): void {
  statements.insert.run(
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
  );
}

/**
 * A legacy fork's file starts with a copy of its parent's lines, `token_count`s included, which
 * nothing marks. Its records that repeat the parent's first records, running total for running
 * total, are those copies: they are the parent's usage, `inherited`. The rest are the fork's own.
 */
function resolveInherited(statements: Statements, threadId: string): void {
  const own = statements.sequence.all(threadId);
  const parentId = own.find((row) => row.forked_from_id !== null)?.forked_from_id ?? null;
  if (parentId === null || parentId === threadId) return;
  const parent = statements.sequence.all(parentId);
  let copied = 0;
  while (
    copied < own.length &&
    copied < parent.length &&
    sameRunningTotals(own[copied]!, parent[copied]!)
  ) {
    copied += 1;
  }
  own.forEach((row, index) => {
    const inherited = index < copied;
    if (inherited && row.excluded !== 'inherited') {
      statements.mark.run('inherited', parentId, row.id);
    } else if (!inherited && row.excluded === 'inherited') {
      statements.mark.run(null, null, row.id);
    }
  });
}

function sameRunningTotals(a: SequenceRow, b: SequenceRow): boolean {
  return (
    a.running_total_tokens !== null &&
    a.running_total_tokens === b.running_total_tokens &&
    a.running_input_tokens === b.running_input_tokens &&
    a.running_output_tokens === b.running_output_tokens
  );
}
