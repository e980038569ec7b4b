import { type ThreadMetadata, normalizeThreadId } from '@agent-state/state';
import { THREAD_COLUMNS, checkedUpTo, threadFromRow } from '@agent-state/state/backend';
import { type SqlBool, sql } from 'kysely';

import { type PostgresContext, inHomes } from '../store/postgres-context.js';

/**
 * The table where a derived index records which threads it covers (one row per thread, with the
 * number of its records): the PostgreSQL counterpart of the SQLite store's `derived-coverage.ts`.
 *
 * @example
 * ```ts
 * const table: CoverageTable = 'search_threads';
 * ```
 */
export type CoverageTable = 'search_threads' | 'usage_threads';

const COUNT_COLUMN: Readonly<Record<CoverageTable, 'documents' | 'records'>> = {
  search_threads: 'documents',
  usage_threads: 'records',
};

/**
 * How many threads of the homes the store reads a derived index covers, of all their threads,
 * and how many records it holds. A coverage row goes with its thread (a foreign key), so every
 * row counts.
 *
 * @example
 * ```ts
 * const { threads, indexed, records } = await coveredCounts(context, 'usage_threads');
 * ```
 */
export async function coveredCounts(
  context: PostgresContext,
  table: CoverageTable,
): Promise<{ threads: number; indexed: number; records: number }> {
  const { rows } = await sql<{ threads: number; indexed: number; records: number }>`
    SELECT
      (SELECT count(*) FROM threads WHERE ${inHomes(context, 'threads.home_id')}) AS threads,
      count(*) AS indexed,
      coalesce(sum(c.${sql.ref(COUNT_COLUMN[table])}), 0) AS records
    FROM ${sql.table(table)} AS c
    WHERE ${inHomes(context, 'c.home_id')}`.execute(context.db);
  const row = rows[0];
  return {
    threads: Number(row?.threads ?? 0),
    indexed: Number(row?.indexed ?? 0),
    records: Number(row?.records ?? 0),
  };
}

/**
 * Threads of the homes the store reads that a derived index does not cover, in id order, `limit`
 * (1 to 10,000) at a time after `afterId`.
 *
 * @example
 * ```ts
 * const batch = await uncoveredThreads(context, 'search_threads', { limit: 500 });
 * ```
 */
export async function uncoveredThreads(
  context: PostgresContext,
  table: CoverageTable,
  options: { limit: number; afterId?: string | undefined },
): Promise<ThreadMetadata[]> {
  let query = context.db
    .selectFrom('threads')
    .select(THREAD_COLUMNS)
    .where(inHomes(context, 'threads.home_id'))
    .where(
      sql<SqlBool>`NOT EXISTS (SELECT 1 FROM ${sql.table(table)} AS c
        WHERE c.home_id = threads.home_id AND c.thread_id = threads.id)`,
    )
    .orderBy('id')
    .orderBy('home_id')
    .limit(checkedUpTo('limit', options.limit, 10_000));
  if (options.afterId !== undefined) {
    query = query.where('id', '>', normalizeThreadId(options.afterId, 'afterId'));
  }
  return (await query.execute()).map(threadFromRow);
}
