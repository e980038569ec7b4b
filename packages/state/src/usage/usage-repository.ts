import { type RawBuilder, sql } from 'kysely';

import type { UsageStore } from '../contract/store-contract.js';
import { InvalidArgumentError } from '../errors.js';
import { checkedUnixMs } from '../store/argument-checks.js';
import {
  type CoverageTable,
  derivedCoverage,
  uncoveredThreads,
} from '../indexing/derived-coverage.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import type { UsageExclusion, UsageRecord, UsageSource } from './usage-record.js';
import type {
  UsageAggregateOptions,
  UsageCoverage,
  UsageDimension,
  UsageGroup,
} from './usage-results.js';

const QUARTER_HOUR_MS = 900_000;
const DIMENSIONS: ReadonlySet<string> = new Set(['quarterHour', 'thread', 'model', 'cwd']);

interface GroupRow {
  quarter_hour_ms: number | null;
  thread_id: string | null;
  model: string | null;
  cwd: string | null;
  calls: number;
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  first_ms: number;
  last_ms: number;
}

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
    const groupBy = checkedDimensions(options.groupBy);
    const cwds = checkedStrings('cwds', options.cwds);
    const models = checkedStrings('models', options.models);
    const threadIds = checkedStrings('threadIds', options.threadIds).map((id) =>
      normalizeThreadId(id, 'threadIds'),
    );
    const archived = options.archived ?? 'all';
    const byThreadRow = groupBy.has('cwd') || cwds.length > 0 || archived !== 'all';

    const where: RawBuilder<unknown>[] = [sql`u.excluded IS NULL`];
    if (options.sinceMs !== undefined) {
      where.push(sql`u.time_ms >= ${checkedUnixMs('sinceMs', options.sinceMs)}`);
    }
    if (options.untilMs !== undefined) {
      where.push(sql`u.time_ms < ${checkedUnixMs('untilMs', options.untilMs)}`);
    }
    if (models.length > 0) where.push(sql`u.model IN (${sql.join(models)})`);
    if (threadIds.length > 0) {
      where.push(sql`u.thread_id IN (SELECT value FROM json_each(${JSON.stringify(threadIds)}))`);
    }
    if (cwds.length > 0) where.push(sql`t.cwd IN (${sql.join(cwds)})`);
    if (archived !== 'all') where.push(sql`t.archived = ${archived ? 1 : 0}`);

    // Each dimension's key, or NULL when not grouped by it; the thread row is joined only when
    // its columns are needed.
    const keys: Array<[UsageDimension, RawBuilder<unknown>]> = [
      ['quarterHour', sql`(u.time_ms / ${sql.lit(QUARTER_HOUR_MS)}) * ${sql.lit(QUARTER_HOUR_MS)}`],
      ['thread', sql`u.thread_id`],
      ['model', sql`u.model`],
      ['cwd', sql`t.cwd`],
    ];
    const selected = keys.map(([dimension, key]) => (groupBy.has(dimension) ? key : sql`NULL`));
    const grouped = keys.filter(([dimension]) => groupBy.has(dimension)).map(([, key]) => key);
    const { rows } = await sql<GroupRow>`
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
      FROM usage_records AS u ${byThreadRow ? sql`JOIN threads AS t ON t.id = u.thread_id` : sql``}
      WHERE ${sql.join(where, sql` AND `)}
      ${grouped.length > 0 ? sql`GROUP BY ${sql.join(grouped)}` : sql``}`.execute(this.#context.db);
    return rows
      .filter((row) => row.calls > 0)
      .map((row) => ({
        quarterHourMs: row.quarter_hour_ms,
        threadId: row.thread_id,
        model: row.model,
        cwd: row.cwd,
        calls: row.calls,
        inputTokens: row.input_tokens,
        cachedInputTokens: row.cached_input_tokens,
        cacheWriteInputTokens: row.cache_write_input_tokens,
        outputTokens: row.output_tokens,
        reasoningOutputTokens: row.reasoning_output_tokens,
        totalTokens: row.total_tokens,
        firstMs: row.first_ms,
        lastMs: row.last_ms,
      }));
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
    return rows.map((row) => ({
      line: row.line,
      ordinal: row.ordinal,
      timeMs: row.time_ms,
      turnId: row.turn_id,
      model: row.model,
      source: row.source as UsageSource,
      inputTokens: row.input_tokens,
      cachedInputTokens: row.cached_input_tokens,
      cacheWriteInputTokens: row.cache_write_input_tokens,
      outputTokens: row.output_tokens,
      reasoningOutputTokens: row.reasoning_output_tokens,
      totalTokens: row.total_tokens,
      runningInputTokens: row.running_input_tokens,
      runningOutputTokens: row.running_output_tokens,
      runningTotalTokens: row.running_total_tokens,
      excluded: row.excluded as UsageExclusion | null,
      excludedBy: row.excluded_by,
      forkedFromId: row.forked_from_id,
    }));
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

function checkedDimensions(groupBy: readonly UsageDimension[]): ReadonlySet<UsageDimension> {
  if (!Array.isArray(groupBy)) {
    throw new InvalidArgumentError('groupBy', 'expected a list of dimensions');
  }
  for (const dimension of groupBy as readonly string[]) {
    if (!DIMENSIONS.has(dimension)) {
      throw new InvalidArgumentError(
        'groupBy',
        `unknown dimension ${JSON.stringify(dimension)} (expected quarterHour, thread, model or cwd)`,
      );
    }
  }
  return new Set(groupBy);
}

/** A list filter: an array of strings (absent or empty: no filter). */
function checkedStrings(argument: string, values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  const list: readonly unknown[] = Array.isArray(values) ? values : [];
  if (list !== values || list.some((value) => typeof value !== 'string')) {
    throw new InvalidArgumentError(argument, 'expected a list of strings');
  }
  return list as string[];
}
