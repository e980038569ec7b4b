import {
  type ThreadMetadata,
  type UsageAggregateOptions,
  type UsageCoverage,
  type UsageDimension,
  type UsageGroup,
  type UsageRecord,
  type UsageStore,
  normalizeThreadId,
} from '@agent-state/state';
import {
  QUARTER_HOUR_MS,
  USAGE_DIMENSIONS,
  type UsageGroupRow,
  checkedUsageAggregate,
  usageGroupsFromRows,
  usageRecordFromRow,
} from '@agent-state/state/backend';
import { type RawBuilder, sql } from 'kysely';

import { coveredCounts, uncoveredThreads } from '../indexing/postgres-derived-coverage.js';
import { type PostgresContext, inHomes } from '../store/postgres-context.js';

/**
 * Token usage per model call in the PostgreSQL store (`store.usage`): the records the indexer
 * derives, summed on the server over the counted ones (a partial index holds every column the
 * sums read), with the SQLite store's groups, filters and checks.
 *
 * @example
 * ```ts
 * const byModel = await store.usage.aggregate({ groupBy: ['model'] });
 * ```
 */
export class PostgresUsage implements UsageStore {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * Counted usage of the homes the store reads, filtered, summed per group (unordered). A thread
   * is its id: the same thread in two homes is one group.
   *
   * @example
   * ```ts
   * const rows = await store.usage.aggregate({ groupBy: ['quarterHour'], models: ['gpt-5.5'] });
   * ```
   */
  async aggregate(options: UsageAggregateOptions): Promise<UsageGroup[]> {
    const checked = checkedUsageAggregate(options);
    const { groupBy, cwds, models, threadIds, archived } = checked;

    const where: RawBuilder<unknown>[] = [
      inHomes(this.#context, 'u.home_id'),
      sql`u.excluded IS NULL`,
    ];
    // Times are whole ms: `>= 1.5` is `>= 2`, `< 1.5` is `< 2` (a fraction is no bigint).
    if (checked.sinceMs !== undefined) {
      where.push(sql`u.time_ms >= ${Math.ceil(checked.sinceMs)}::bigint`);
    }
    if (checked.untilMs !== undefined) {
      where.push(sql`u.time_ms < ${Math.ceil(checked.untilMs)}::bigint`);
    }
    if (models.length > 0) where.push(sql`u.model = ANY(${models}::text[])`);
    if (threadIds.length > 0) where.push(sql`u.thread_id = ANY(${threadIds}::text[])`);
    if (cwds.length > 0) where.push(sql`t.cwd = ANY(${cwds}::text[])`);
    if (archived !== 'all') where.push(sql`t.archived = ${archived ? 1 : 0}::smallint`);

    // Each dimension's key, or NULL when not grouped by it; the thread row is joined only when
    // its columns are needed. Integer division of a bigint truncates, as SQLite's does.
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
      SELECT (${selected[0]})::bigint AS quarter_hour_ms, (${selected[1]})::text AS thread_id,
        (${selected[2]})::text AS model, (${selected[3]})::text AS cwd,
        count(*) AS calls,
        coalesce(sum(u.input_tokens), 0) AS input_tokens,
        coalesce(sum(u.cached_input_tokens), 0) AS cached_input_tokens,
        coalesce(sum(u.cache_write_input_tokens), 0) AS cache_write_input_tokens,
        coalesce(sum(u.output_tokens), 0) AS output_tokens,
        coalesce(sum(u.reasoning_output_tokens), 0) AS reasoning_output_tokens,
        coalesce(sum(u.total_tokens), 0) AS total_tokens,
        min(u.time_ms) AS first_ms, max(u.time_ms) AS last_ms
      FROM usage_records AS u
      ${checked.joinsThreads ? sql`JOIN threads AS t ON t.home_id = u.home_id AND t.id = u.thread_id` : sql``}
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
      .where(inHomes(this.#context, 'usage_records.home_id'))
      .orderBy('home_id')
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
    return coveredCounts(this.#context, 'usage_threads');
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
    return uncoveredThreads(this.#context, 'usage_threads', options);
  }
}
