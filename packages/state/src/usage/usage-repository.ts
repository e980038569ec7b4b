import { type RawBuilder, sql } from 'kysely';

import type { UsageStore } from '../contract/store-contract.js';
import {
  type CoverageTable,
  derivedCoverage,
  uncoveredThreads,
} from '../indexing/derived-coverage.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import type { UsageRecord } from './usage-record.js';
import type {
  UsageAggregateOptions,
  UsageCoverage,
  UsageDimension,
  UsageGroup,
} from './usage-results.js';
import {
  QUARTER_HOUR_MS,
  USAGE_DIMENSIONS,
  type UsageGroupRow,
  checkedUsageAggregate,
  usageGroupsFromRows,
  usageRecordFromRow,
} from './usage-rules.js';

/** Which threads the index covers. */
const USAGE_COVERAGE: CoverageTable = { table: 'usage_threads', count: 'records' };

/**
 * Token usage per model call in the SQLite store (`store.usage`): the records the indexer derives
 * from `token_count` and `token_usage_record` lines, summed in SQL over the counted ones.
 *
 * @example
 * ```ts
 * const byModel = await store.usage.aggregate({ groupBy: ['model'] });
 * ```
 */
export class UsageRepository implements UsageStore {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Counted usage, filtered, summed per group (unordered).
   *
   * @example
   * ```ts
   * const rows = await store.usage.aggregate({ groupBy: ['quarterHour'], models: ['gpt-5.5'] });
   * ```
   */
  async aggregate(options: UsageAggregateOptions): Promise<UsageGroup[]> {
    const checked = checkedUsageAggregate(options);
    const { groupBy, cwds, models, threadIds, archived } = checked;

    const where: RawBuilder<unknown>[] = [sql`u.excluded IS NULL`];
    if (checked.sinceMs !== undefined) where.push(sql`u.time_ms >= ${checked.sinceMs}`);
    if (checked.untilMs !== undefined) where.push(sql`u.time_ms < ${checked.untilMs}`);
    if (models.length > 0) where.push(sql`u.model IN (${sql.join(models)})`);
    if (threadIds.length > 0) {
      where.push(sql`u.thread_id IN (SELECT value FROM json_each(${JSON.stringify(threadIds)}))`);
    }
    if (cwds.length > 0) where.push(sql`t.cwd IN (${sql.join(cwds)})`);
    if (archived !== 'all') where.push(sql`t.archived = ${archived ? 1 : 0}`);

    // Each dimension's key, or NULL when not grouped by it; the thread row is joined only when
    // its columns are needed.
    const keyOf: Record<UsageDimension, RawBuilder<unknown>> = {
      quarterHour: sql`(u.time_ms / ${sql.lit(QUARTER_HOUR_MS)}) * ${sql.lit(QUARTER_HOUR_MS)}`,
      thread: sql`u.thread_id`,
      model: sql`u.model`,
      cwd: sql`t.cwd`,
    };
    const selected = USAGE_DIMENSIONS.map((dimension) =>
      groupBy.has(dimension) ? keyOf[dimension] : sql`NULL`,
    );
    const grouped = USAGE_DIMENSIONS.filter((dimension) => groupBy.has(dimension)).map(
      (dimension) => keyOf[dimension],
    );
    const { rows } = await sql<UsageGroupRow>`
      SELECT ${selected[0]} AS quarter_hour_ms, ${selected[1]} AS thread_id,
        ${selected[2]} AS model, ${selected[3]} AS cwd,
        count(*) AS calls,
        coalesce(sum(u.input_tokens), 0) AS input_tokens,
        coalesce(sum(u.cached_input_tokens), 0) AS cached_input_tokens,
        coalesce(sum(u.cache_write_input_tokens), 0) AS cache_write_input_tokens,
        coalesce(sum(u.output_tokens), 0) AS output_tokens,
        coalesce(sum(u.reasoning_output_tokens), 0) AS reasoning_output_tokens,
        coalesce(sum(u.total_tokens), 0) AS total_tokens,
        min(u.time_ms) AS first_ms, max(u.time_ms) AS last_ms
      FROM usage_records AS u ${checked.joinsThreads ? sql`JOIN threads AS t ON t.id = u.thread_id` : sql``}
      WHERE ${sql.join(where, sql` AND `)}
      ${grouped.length > 0 ? sql`GROUP BY ${sql.join(grouped)}` : sql``}`.execute(this.#context.db);
    return usageGroupsFromRows(rows);
  }

  /**
   * A thread's usage records in rollout order, as written, a legacy fork's copies marked
   * `inherited` (empty for a thread the index holds none of).
   *
   * @example
   * ```ts
   * for (const r of await store.usage.records(id)) console.log(r.line, r.excluded ?? 'counted');
   * ```
   */
  async records(threadId: string): Promise<UsageRecord[]> {
    const rows = await this.#context.db
      .selectFrom('usage_records')
      .selectAll()
      .where('thread_id', '=', normalizeThreadId(threadId))
      .orderBy('line')
      .execute();
    return rows.map(usageRecordFromRow);
  }

  /**
   * How many threads the usage index covers, of all threads.
   *
   * @example
   * ```ts
   * const { threads, indexed, records } = await store.usage.coverage();
   * ```
   */
  async coverage(): Promise<UsageCoverage> {
    return derivedCoverage(this.#context, USAGE_COVERAGE);
  }

  /**
   * Threads the usage index does not cover, by id (pass the last id as `afterId` for the next
   * batch).
   *
   * @example
   * ```ts
   * const batch = await store.usage.unindexed({ limit: 500 });
   * ```
   */
  async unindexed(options: {
    limit: number;
    afterId?: string | undefined;
  }): Promise<ThreadMetadata[]> {
    return uncoveredThreads(this.#context, USAGE_COVERAGE, options);
  }
}
