import { sql } from 'kysely';

import { checkedUpTo } from '../store/argument-checks.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';

/**
 * The table where a derived index records which threads it covers (one row per thread, with the
 * number of its records), and that count's column.
 */
export interface CoverageTable {
  table: 'search_threads' | 'usage_threads';
  count: 'documents' | 'records';
}

/**
 * How many threads a derived index covers, of all threads, and how many records it holds. A
 * coverage row whose thread is gone is not counted among the covered threads.
 */
export async function derivedCoverage(
  context: StoreContext,
  coverage: CoverageTable,
): Promise<{ threads: number; indexed: number; records: number }> {
  const table = sql.table(coverage.table);
  const { rows } = await sql<{ threads: number; indexed: number; records: number }>`
    SELECT
      (SELECT count(*) FROM threads) AS threads,
      (SELECT count(*) FROM ${table} AS c JOIN threads ON threads.id = c.thread_id) AS indexed,
      (SELECT coalesce(sum(${sql.ref(coverage.count)}), 0) FROM ${table}) AS records`.execute(
    context.db,
  );
  const row = rows[0];
  return {
    threads: Number(row?.threads ?? 0),
    indexed: Number(row?.indexed ?? 0),
    records: Number(row?.records ?? 0),
  };
}

/**
 * Threads a derived index does not cover, in id order, `limit` at a time after `afterId`.
 */
export async function uncoveredThreads(
  context: StoreContext,
  coverage: CoverageTable,
  options: { limit: number; afterId?: string | undefined },
): Promise<ThreadMetadata[]> {
  const table = sql.table(coverage.table);
  let query = context.db
    .selectFrom('threads')
    .select(THREAD_COLUMNS)
    .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM ${table} AS c WHERE c.thread_id = threads.id)`)
    .orderBy('id')
    .limit(checkedUpTo('limit', options.limit, 10_000));
  if (options.afterId !== undefined) {
    query = query.where('id', '>', normalizeThreadId(options.afterId, 'afterId'));
  }
  return (await query.execute()).map(threadFromRow);
}
