import { storableText } from '../connection/storable-text.js';
import { USAGE_INDEX_NAME } from '@agent-state/state';
import {
  type UsageMark,
  type UsageSequenceRow,
  checkedUsageRecords,
  forkParentOf,
  inheritedMarks,
  usageRecordRow,
} from '@agent-state/state/backend';
import { type Transaction, sql } from 'kysely';

import { type BinaryElementType, binaryArray } from '../indexing/postgres-binary-arrays.js';
import type { PostgresDerivedIndex } from '../indexing/postgres-derived-index.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';

/**
 * Columns of `usage_records` the writer sets (besides `home_id`), with their element types. Keyed
 * by every column of the shared row shape, so that a column added to it fails to compile here.
 */
const COLUMN_TYPES = {
  thread_id: 'text',
  line: 'int4',
  ordinal: 'int4',
  time_ms: 'int8',
  turn_id: 'text',
  model: 'text',
  source: 'text',
  input_tokens: 'int8',
  cached_input_tokens: 'int8',
  cache_write_input_tokens: 'int8',
  output_tokens: 'int8',
  reasoning_output_tokens: 'int8',
  total_tokens: 'int8',
  running_input_tokens: 'int8',
  running_output_tokens: 'int8',
  running_total_tokens: 'int8',
  excluded: 'text',
  excluded_by: 'text',
  forked_from_id: 'text',
} as const satisfies Record<keyof ReturnType<typeof usageRecordRow>, BinaryElementType>;
const SQL_TYPES: Readonly<Record<BinaryElementType, string>> = {
  text: 'text',
  int4: 'integer',
  int8: 'bigint',
};
type Column = keyof typeof COLUMN_TYPES;
const COLUMNS = Object.keys(COLUMN_TYPES) as Column[];

/**
 * Records per INSERT, one array per column (binary, see `postgres-binary-arrays.ts`). The next
 * statement's arrays are built here while the server writes the last one, so statements are
 * small enough for the two to overlap most of the time, and large enough that a round trip is
 * nothing next to a statement's work.
 */
const ROWS_PER_STATEMENT = 5_000;

/** A stored record of a fork's (or its parent's) sequence, with its thread. */
type SequenceRow = UsageSequenceRow & { thread_id: string };

/**
 * The PostgreSQL store's writer of usage records, for a whole batch of threads at once. The
 * threads' records replace their old ones (a thread has one per model call: rewriting them is
 * cheap). Then the copied lines of legacy forks are resolved as the SQLite writer resolves them,
 * in both directions: the batch's forks against their parents' records, and the forks of the
 * batch's threads (and theirs, to any depth) against the new records; whichever of a parent and
 * its fork is written first, the second write settles them. Forks are few: for a batch without
 * any, that costs one query, which finds none.
 *
 * @example
 * ```ts
 * await POSTGRES_USAGE_INDEX.replace(trx, homeId, [{ threadId, records }], Date.now());
 * ```
 */
export const POSTGRES_USAGE_INDEX: PostgresDerivedIndex = {
  name: USAGE_INDEX_NAME,
  async replace(trx, homeId, threads, nowMs) {
    if (threads.length === 0) return;
    // Every record is checked before anything is written.
    const batch = threads.map(({ threadId, records }) => ({
      threadId,
      rows: checkedUsageRecords(records, threadId).map((record) =>
        usageRecordRow(threadId, record),
      ),
    }));
    const ids = batch.map((thread) => thread.threadId);
    // The server deletes, then writes one statement, while the next one's arrays are built.
    let pending: Promise<unknown> = sql`DELETE FROM usage_records
      WHERE home_id = ${homeId} AND thread_id = ANY(${ids}::text[])`.execute(trx);
    // Awaited before the next statement or after the last: never left unhandled.
    pending.catch(() => undefined);
    const rows = batch.flatMap((thread) => thread.rows);
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
      const arrays = COLUMNS.map((column) => {
        const type = COLUMN_TYPES[column];
        return sql`${binaryArray(
          type,
          chunk.map((row) => storableText(row[column])),
        )}::${sql.raw(SQL_TYPES[type])}[]`;
      });
      await pending;
      pending = sql`
        INSERT INTO usage_records (home_id, ${sql.join(COLUMNS.map((column) => sql.ref(column)))})
        SELECT ${homeId}::text, * FROM unnest(${sql.join(arrays)})`.execute(trx);
      pending.catch(() => undefined);
    }
    await pending;
    await sql`
      INSERT INTO usage_threads (home_id, thread_id, records, indexed_at)
      SELECT ${homeId}::text, c.thread_id, c.records, ${Math.floor(nowMs / 1000)}::bigint
      FROM unnest(${ids}::text[], ${batch.map((thread) => thread.rows.length)}::integer[])
        AS c(thread_id, records)
      ON CONFLICT (home_id, thread_id)
        DO UPDATE SET records = excluded.records, indexed_at = excluded.indexed_at`.execute(trx);
    const forks = batch
      .filter((thread) => thread.rows.some((row) => row.forked_from_id !== null))
      .map((thread) => thread.threadId);
    await resolveForks(trx, homeId, forks, ids);
  },
};

/**
 * Marks the copied lines of `forks` (the batch's legacy forks) and of every fork descending from
 * one of `written`, each against its parent's records as they stand once the parent itself is
 * resolved: parents first, so that a fork of a fork credits its copies to the thread that counts
 * them. The SQLite writer reaches the same marks thread by thread; here it is one read of the
 * forks and their parents, and one update.
 */
async function resolveForks(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  forks: readonly string[],
  written: readonly string[],
): Promise<void> {
  // The forks of the written threads, to any depth (UNION: a cycle ends).
  const { rows: descendants } = await sql<{ thread_id: string }>`
    WITH RECURSIVE fork (thread_id) AS (
      SELECT r.thread_id FROM usage_records AS r
        WHERE r.home_id = ${homeId} AND r.forked_from_id = ANY(${[...written]}::text[])
      UNION
      SELECT r.thread_id FROM usage_records AS r JOIN fork ON r.forked_from_id = fork.thread_id
        WHERE r.home_id = ${homeId}
    )
    SELECT thread_id FROM fork`.execute(trx);
  const resolving = new Set([...forks, ...descendants.map((row) => row.thread_id)]);
  if (resolving.size === 0) return;

  // Their sequences and their parents'.
  const { rows } = await sql<SequenceRow>`
    SELECT thread_id, line, running_input_tokens, running_output_tokens, running_total_tokens,
      excluded, excluded_by, forked_from_id
    FROM usage_records
    WHERE home_id = ${homeId} AND (excluded IS NULL OR excluded = 'inherited')
      AND (thread_id = ANY(${[...resolving]}::text[]) OR thread_id IN (
        SELECT forked_from_id FROM usage_records
        WHERE home_id = ${homeId} AND thread_id = ANY(${[...resolving]}::text[])
          AND forked_from_id IS NOT NULL))
    ORDER BY thread_id, line`.execute(trx);
  const sequences = new Map<string, SequenceRow[]>();
  for (const row of rows) {
    const sequence = sequences.get(row.thread_id);
    if (sequence) sequence.push(row);
    else sequences.set(row.thread_id, [row]);
  }

  const marks: Array<UsageMark & { threadId: string }> = [];
  const done = new Set<string>();
  const resolve = (threadId: string, path: Set<string>): void => {
    if (done.has(threadId) || path.has(threadId)) return;
    path.add(threadId);
    const own = sequences.get(threadId) ?? [];
    const parentId = forkParentOf(threadId, own);
    if (parentId !== null) {
      if (resolving.has(parentId)) resolve(parentId, path);
      for (const mark of inheritedMarks(own, sequences.get(parentId) ?? [], parentId)) {
        marks.push({ ...mark, threadId });
        // The fork's own forks compare with its marks as they are now.
        const row = own.find((candidate) => candidate.line === mark.line)!;
        row.excluded = mark.excluded;
        row.excluded_by = mark.excludedBy;
      }
    }
    done.add(threadId);
  };
  for (const threadId of resolving) resolve(threadId, new Set());
  if (marks.length === 0) return;
  await sql`
    UPDATE usage_records AS u SET excluded = m.excluded, excluded_by = m.excluded_by
    FROM unnest(${marks.map((m) => m.threadId)}::text[], ${marks.map((m) => m.line)}::integer[],
      ${marks.map((m) => m.excluded)}::text[], ${marks.map((m) => m.excludedBy)}::text[])
      AS m(thread_id, line, excluded, excluded_by)
    WHERE u.home_id = ${homeId} AND u.thread_id = m.thread_id AND u.line = m.line`.execute(trx);
}
