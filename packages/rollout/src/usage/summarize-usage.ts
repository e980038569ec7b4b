import {
  type AgentStateStore,
  InvalidArgumentError,
  type ThreadMetadata,
  type UsageCoverage,
  type UsageDimension,
  type UsageGroup,
  type UsageTotals,
} from '@agent-state/state';

import { OPENAI_PRICING, type PricingTable, costOf, priceOf } from './pricing.js';

/**
 * What usage is summed by: the local day, week (from Monday) or month of each call, the thread
 * (`session`), the model, or the thread's working directory (`project`).
 *
 * @example
 * ```ts
 * const groupBy: UsageReportKind = 'monthly';
 * ```
 */
export type UsageReportKind = 'daily' | 'weekly' | 'monthly' | 'session' | 'model' | 'project';

/**
 * Every {@link UsageReportKind}, in the order the CLI lists them.
 *
 * @example
 * ```ts
 * if (!(USAGE_REPORT_KINDS as readonly string[]).includes(arg)) throw new Error(`unknown report ${arg}`);
 * ```
 */
export const USAGE_REPORT_KINDS: readonly UsageReportKind[] = Object.freeze([
  'daily',
  'weekly',
  'monthly',
  'session',
  'model',
  'project',
]);

/**
 * Options of {@link summarizeUsage}.
 *
 * @example
 * ```ts
 * const options: SummarizeUsageOptions = { store, groupBy: 'model', timeZone: 'Europe/Paris' };
 * ```
 */
export interface SummarizeUsageOptions {
  store: Pick<AgentStateStore, 'usage' | 'threads'>;
  /** Default `daily`. */
  groupBy?: UsageReportKind | undefined;
  /** Calls at or after this time, unix ms. */
  sinceMs?: number | undefined;
  /** Calls before this time, unix ms. */
  untilMs?: number | undefined;
  /** Calls on or after this day of `timeZone`, `YYYY-MM-DD` (with `sinceMs`, the later wins). */
  sinceDay?: string | undefined;
  /** Calls on or before this day of `timeZone`, `YYYY-MM-DD` (with `untilMs`, the earlier wins). */
  untilDay?: string | undefined;
  /** Threads whose cwd is one of these (exact). */
  cwds?: readonly string[] | undefined;
  /** Calls of these models (exact names). */
  models?: readonly string[] | undefined;
  /** Archived threads too (`'all'`, the default), only them, or none. */
  archived?: boolean | 'all' | undefined;
  /** IANA time zone of the days, weeks and months (default: this machine's). */
  timeZone?: string | undefined;
  /** Prices (default {@link OPENAI_PRICING}). */
  pricing?: PricingTable | undefined;
  /** Each row's models as rows of their own (`breakdown`). */
  breakdown?: boolean | undefined;
}

/**
 * Counted usage with its cost. `costUsd` is `null` when some of the tokens are of a model the
 * pricing table does not list (an unknown cost is never 0); `knownCostUsd` is the cost of the
 * tokens it does list.
 *
 * @example
 * ```ts
 * const text = usage.costUsd === null ? `>= $${usage.knownCostUsd.toFixed(2)}` : `$${usage.costUsd.toFixed(2)}`;
 * ```
 */
export interface PricedUsage extends UsageTotals {
  costUsd: number | null;
  knownCostUsd: number;
}

/**
 * One model's part of a row (see `breakdown`). `model` is `null` for calls whose rollout names
 * none.
 *
 * @example
 * ```ts
 * for (const part of row.breakdown ?? []) console.log(part.model ?? 'unknown', part.totalTokens);
 * ```
 */
export interface UsageModelPart extends PricedUsage {
  model: string | null;
}

/**
 * One row of a usage summary: its key (`2026-11-21`, `2026-11`, a thread id, a model, a cwd), the
 * models its calls used, and, with `breakdown`, each model's part.
 *
 * @example
 * ```ts
 * for (const row of summary.rows) console.log(row.key, row.totalTokens, row.costUsd);
 * ```
 */
export interface UsageRow extends PricedUsage {
  key: string;
  models: Array<string | null>;
  /** The thread (`session` rows), when the store still has it. */
  thread?: Pick<ThreadMetadata, 'id' | 'title' | 'cwd' | 'createdAt' | 'archivedAt'> | undefined;
  breakdown?: UsageModelPart[] | undefined;
}

/**
 * What {@link summarizeUsage} gives: rows, their totals, what prices were used and what the index
 * covers.
 *
 * @example
 * ```ts
 * const { rows, totals, unpricedModels } = await summarizeUsage({ store });
 * ```
 */
export interface UsageSummary {
  groupBy: UsageReportKind;
  timeZone: string;
  rows: UsageRow[];
  totals: PricedUsage;
  pricing: { asOf: string; source: string };
  /** Models with counted calls that the pricing table does not list (`null`: not named). */
  unpricedModels: Array<string | null>;
  coverage: UsageCoverage;
}

const DIMENSION: Readonly<Record<UsageReportKind, UsageDimension>> = {
  daily: 'quarterHour',
  weekly: 'quarterHour',
  monthly: 'quarterHour',
  session: 'thread',
  model: 'model',
  project: 'cwd',
};

/**
 * Token usage and its cost from the store's usage index, summed by day, week, month, thread,
 * model or project. Every model call counts once: repeats, duplicates and the lines legacy forks
 * copied from their parents are left out (see `usage --explain`). Days are those of `timeZone`.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { rows, totals } = await summarizeUsage({ store, groupBy: 'daily', timeZone: 'UTC' });
 * for (const row of rows) console.log(row.key, row.totalTokens, row.costUsd ?? 'unknown');
 * console.log('total', totals.totalTokens);
 * ```
 */
export async function summarizeUsage(options: SummarizeUsageOptions): Promise<UsageSummary> {
  const groupBy = options.groupBy ?? 'daily';
  if (!(USAGE_REPORT_KINDS as readonly string[]).includes(groupBy)) {
    throw new InvalidArgumentError(
      'groupBy',
      `unknown report ${JSON.stringify(groupBy)} (expected ${USAGE_REPORT_KINDS.join(', ')})`,
    );
  }
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const dayOf = localDay(timeZone); // refuses an unknown zone, whatever the grouping
  const keyOf = groupKey(groupBy, dayOf);
  const pricing = options.pricing ?? OPENAI_PRICING;
  const sinceMs = latest(
    options.sinceMs,
    options.sinceDay === undefined
      ? undefined
      : dayStart(options.sinceDay, timeZone, dayOf, 'sinceDay'),
  );
  const untilMs = earliest(
    options.untilMs,
    options.untilDay === undefined
      ? undefined
      : dayStart(options.untilDay, timeZone, dayOf, 'untilDay', 1),
  );

  const dimension = DIMENSION[groupBy];
  const [groups, coverage] = await Promise.all([
    options.store.usage.aggregate({
      groupBy: dimension === 'model' ? ['model'] : [dimension, 'model'],
      sinceMs,
      untilMs,
      cwds: options.cwds,
      models: options.models,
      archived: options.archived,
    }),
    options.store.usage.coverage(),
  ]);

  // Rows by key, each with its models' parts.
  const parts = new Map<string, Map<string | null, UsageTotals>>();
  for (const group of groups) {
    const key = keyOf(group);
    let models = parts.get(key);
    if (!models) parts.set(key, (models = new Map<string | null, UsageTotals>()));
    const part = models.get(group.model);
    models.set(group.model, part ? add(part, group) : pick(group));
  }

  const unpriced = new Set<string | null>();
  const rows: UsageRow[] = [];
  for (const [key, models] of parts) {
    const breakdown = [...models]
      .map(([model, totals]): UsageModelPart => {
        const price = priceOf(pricing, model);
        if (!price) unpriced.add(model);
        const cost = price ? costOf(totals, price) : null;
        return { model, ...totals, costUsd: cost, knownCostUsd: cost ?? 0 };
      })
      .sort((a, b) => b.totalTokens - a.totalTokens);
    rows.push({
      key,
      ...priced(breakdown),
      models: breakdown.map((part) => part.model),
      ...(options.breakdown ? { breakdown } : {}),
    });
  }

  if (groupBy === 'session') {
    const threads = await options.store.threads.getMany(rows.map((row) => row.key));
    const byId = new Map(threads.map((thread) => [thread.id, thread]));
    for (const row of rows) {
      const thread = byId.get(row.key);
      if (thread) {
        row.thread = {
          id: thread.id,
          title: thread.title,
          cwd: thread.cwd,
          createdAt: thread.createdAt,
          archivedAt: thread.archivedAt,
        };
      }
    }
  }
  rows.sort(rowOrder(groupBy));

  return {
    groupBy,
    timeZone,
    rows,
    totals: priced(rows),
    pricing: { asOf: pricing.asOf, source: pricing.source },
    unpricedModels: [...unpriced],
    coverage,
  };
}

/** The key of a group's row: a local date, week or month, or the group's thread, model or cwd. */
function groupKey(
  groupBy: UsageReportKind,
  dayOf: (ms: number) => string,
): (group: UsageGroup) => string {
  switch (groupBy) {
    case 'daily':
    case 'weekly':
    case 'monthly': {
      // Quarter hours repeat across groups (one per model): each is formatted once.
      const keys = new Map<number, string>();
      return (group) => {
        const at = group.quarterHourMs ?? group.firstMs;
        let key = keys.get(at);
        if (key === undefined) {
          const day = dayOf(at);
          key = groupBy === 'daily' ? day : groupBy === 'monthly' ? day.slice(0, 7) : mondayOf(day);
          keys.set(at, key);
        }
        return key;
      };
    }
    case 'session':
      return (group) => group.threadId ?? '';
    case 'model':
      return (group) => group.model ?? '';
    case 'project':
      return (group) => group.cwd ?? '';
  }
}

/** `YYYY-MM-DD` of a time in `timeZone`; an unknown zone is an `InvalidArgumentError`. */
function localDay(timeZone: string): (ms: number) => string {
  // UTC needs no time zone data (loading it costs a short command tens of milliseconds).
  if (isUtc(timeZone)) return (ms) => new Date(ms).toISOString().slice(0, 10);
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  } catch {
    throw new InvalidArgumentError(
      'timeZone',
      `unknown time zone ${JSON.stringify(timeZone)} (expected an IANA name such as Europe/Paris or UTC)`,
    );
  }
  return (ms) => {
    const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}

/**
 * The first millisecond of `day` (`YYYY-MM-DD`, plus `addDays`) in `timeZone`: its local
 * midnight, found from the zone's offset around it. Where a clock change skips midnight (a day
 * that starts at 01:00), the day starts at the change: of the two candidates, the earlier one
 * that is already that day.
 */
function dayStart(
  day: string,
  timeZone: string,
  dayOf: (ms: number) => string,
  argument: string,
  addDays = 0,
): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(day);
  const asUtc = match
    ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + addDays)
    : Number.NaN;
  if (
    !match ||
    !Number.isFinite(asUtc) ||
    new Date(asUtc - addDays * 86_400_000).toISOString().slice(0, 10) !== day
  ) {
    throw new InvalidArgumentError(
      argument,
      `expected a day YYYY-MM-DD, got ${JSON.stringify(day)}`,
    );
  }
  const target = new Date(asUtc).toISOString().slice(0, 10);
  const offsetAt = zoneOffset(timeZone);
  const first = asUtc - offsetAt(asUtc);
  const second = asUtc - offsetAt(first);
  const candidates = [first, second].filter((ms) => dayOf(ms) === target);
  return candidates.length > 0 ? Math.min(...candidates) : Math.max(first, second);
}

/** Whether `timeZone` names UTC itself. */
function isUtc(timeZone: string): boolean {
  return /^(etc\/)?utc$/iu.test(timeZone);
}

/** How far `timeZone`'s clocks are ahead of UTC at a time, ms. */
function zoneOffset(timeZone: string): (ms: number) => number {
  if (isUtc(timeZone)) return () => 0;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (ms) => {
    const p = Object.fromEntries(format.formatToParts(ms).map((part) => [part.type, part.value]));
    const local = Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
    return local - (ms - (((ms % 1000) + 1000) % 1000));
  };
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The Monday of the week of `day` (`YYYY-MM-DD`), weeks starting on Monday (ISO 8601). */
function mondayOf(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, date));
  utc.setUTCDate(utc.getUTCDate() - ((utc.getUTCDay() + 6) % 7));
  return utc.toISOString().slice(0, 10);
}

function rowOrder(groupBy: UsageReportKind): (a: UsageRow, b: UsageRow) => number {
  switch (groupBy) {
    case 'daily':
    case 'weekly':
    case 'monthly':
      return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    case 'session':
      // Oldest activity first: the newest sessions end the table, beside its totals.
      return (a, b) => a.lastMs - b.lastMs || (a.key < b.key ? -1 : 1);
    case 'model':
    case 'project':
      return (a, b) => b.totalTokens - a.totalTokens || (a.key < b.key ? -1 : 1);
  }
}

function pick(group: UsageTotals): UsageTotals {
  return {
    calls: group.calls,
    inputTokens: group.inputTokens,
    cachedInputTokens: group.cachedInputTokens,
    cacheWriteInputTokens: group.cacheWriteInputTokens,
    outputTokens: group.outputTokens,
    reasoningOutputTokens: group.reasoningOutputTokens,
    totalTokens: group.totalTokens,
    firstMs: group.firstMs,
    lastMs: group.lastMs,
  };
}

function add(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteInputTokens: a.cacheWriteInputTokens + b.cacheWriteInputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningOutputTokens: a.reasoningOutputTokens + b.reasoningOutputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    firstMs: Math.min(a.firstMs, b.firstMs),
    lastMs: Math.max(a.lastMs, b.lastMs),
  };
}

const EMPTY: UsageTotals = {
  calls: 0,
  inputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteInputTokens: 0,
  outputTokens: 0,
  reasoningOutputTokens: 0,
  totalTokens: 0,
  firstMs: Number.POSITIVE_INFINITY,
  lastMs: Number.NEGATIVE_INFINITY,
};

/** The sum of priced parts: its cost is known only when every part's is. */
function priced(parts: readonly PricedUsage[]): PricedUsage {
  const totals = parts.reduce<UsageTotals>((sum, part) => add(sum, part), EMPTY);
  const known = parts.reduce((sum, part) => sum + part.knownCostUsd, 0);
  return {
    ...totals,
    firstMs: parts.length === 0 ? 0 : totals.firstMs,
    lastMs: parts.length === 0 ? 0 : totals.lastMs,
    costUsd: parts.every((part) => part.costUsd !== null) ? known : null,
    knownCostUsd: known,
  };
}
