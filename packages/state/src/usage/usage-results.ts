import type { UsageTokens } from './usage-record.js';

/**
 * What usage can be grouped by in a store: the quarter hour of the call (the unit every time zone's
 * days are made of: offsets are whole quarter hours), the thread, the model, the thread's cwd.
 *
 * @example
 * ```ts
 * const byDayAndModel: UsageDimension[] = ['quarterHour', 'model'];
 * ```
 */
export type UsageDimension = 'quarterHour' | 'thread' | 'model' | 'cwd';

/**
 * Options of `store.usage.aggregate`: counted records only (never the excluded ones), filtered,
 * summed per group.
 *
 * @example
 * ```ts
 * const options: UsageAggregateOptions = {
 *   groupBy: ['model'], sinceMs: Date.parse('2026-11-01T00:00:00Z'), cwds: ['/home/me/app'],
 * };
 * ```
 */
export interface UsageAggregateOptions {
  /** The dimensions to group by; empty: one group of everything. */
  groupBy: readonly UsageDimension[];
  /** Calls at or after this time, unix ms. */
  sinceMs?: number | undefined;
  /** Calls before this time, unix ms. */
  untilMs?: number | undefined;
  /** Threads whose cwd is one of these (exact; absent or empty: any). */
  cwds?: readonly string[] | undefined;
  /** Calls of these models (exact; absent or empty: any). */
  models?: readonly string[] | undefined;
  /** Archived threads too (`'all'`, the default: their tokens were spent), only them, or none. */
  archived?: boolean | 'all' | undefined;
  /** Only these threads (absent or empty: any). */
  threadIds?: readonly string[] | undefined;
}

/**
 * Sums of counted usage: the model calls, their tokens (see {@link UsageTokens} for what each
 * includes; `cacheWriteInputTokens` sums the calls that state it) and the first and last call.
 *
 * @example
 * ```ts
 * const share = totals.cachedInputTokens / Math.max(1, totals.inputTokens);
 * ```
 */
export interface UsageTotals extends Omit<UsageTokens, 'cacheWriteInputTokens'> {
  calls: number;
  cacheWriteInputTokens: number;
  /** The first and last call, unix ms. */
  firstMs: number;
  lastMs: number;
}

/**
 * One group of `store.usage.aggregate`: its keys (`null` for a dimension not grouped by, and for
 * a model or cwd the rollout does not name) and its sums.
 *
 * @example
 * ```ts
 * for (const row of await store.usage.aggregate({ groupBy: ['model'] })) {
 *   console.log(row.model ?? 'unknown', row.totalTokens);
 * }
 * ```
 */
export interface UsageGroup extends UsageTotals {
  /** Start of the quarter hour, unix ms. */
  quarterHourMs: number | null;
  threadId: string | null;
  model: string | null;
  cwd: string | null;
}

/**
 * How many threads the usage index covers, of all threads, and how many records it holds.
 *
 * @example
 * ```ts
 * const { threads, indexed } = await store.usage.coverage();
 * if (indexed < threads) console.warn(`${threads - indexed} threads not in the usage index`);
 * ```
 */
export interface UsageCoverage {
  threads: number;
  indexed: number;
  /** Records held: the calls that count, and the lines legacy forks copied. */
  records: number;
}
