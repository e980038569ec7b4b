import type { UsageModelPart, UsageRow } from '@agent-state/rollout';

/** How many models the tokens chart draws by name; the others are summed as one. */
export const CHART_MODELS = 6;

/** The name the charts and tables give calls whose rollout names no model. */
export const UNNAMED_MODEL = '(unnamed model)';

/**
 * What the usage page gives its charts (as JSON in a `<script type="application/json">`): one
 * entry per day from the first to the last day with usage, days without any at 0.
 */
export interface UsageChartData {
  /** Each day as unix seconds of its 00:00 UTC (the charts draw dates, not instants). */
  days: number[];
  /**
   * Tokens per day of each model, the models with most tokens over the period first: at most
   * {@link CHART_MODELS} by name, then one entry for all the others (`other: true`). Each holds
   * its own tokens (the chart stacks them).
   */
  models: Array<{ name: string; other?: true; tokens: number[] }>;
  /** The known cost of each day, US dollars (a model without a price adds nothing). */
  cost: number[];
  /** Whether part (or all) of each day's cost is unknown: it used a model without a price. */
  costUnknown: boolean[];
}

const DAY_SECONDS = 86_400;

function dayStart(key: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!match) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 1000;
}

/** A row's parts by model (the whole row as one unnamed part when it has no `breakdown`). */
function partsOf(row: UsageRow): ReadonlyArray<Pick<UsageModelPart, 'model' | 'totalTokens'>> {
  return row.breakdown ?? [{ model: null, totalTokens: row.totalTokens }];
}

/**
 * The chart data of daily usage rows (`summarizeUsage` with `groupBy: 'daily'` and `breakdown`,
 * which the tokens chart needs to stack the models).
 */
export function usageChartData(rows: readonly UsageRow[]): UsageChartData {
  const byDay = new Map<number, UsageRow>();
  const modelTokens = new Map<string | null, number>();
  for (const row of rows) {
    const day = dayStart(row.key);
    if (day === undefined) continue;
    byDay.set(day, row);
    for (const part of partsOf(row)) {
      modelTokens.set(part.model, (modelTokens.get(part.model) ?? 0) + part.totalTokens);
    }
  }
  const data: UsageChartData = { days: [], models: [], cost: [], costUnknown: [] };
  if (byDay.size === 0) return data;

  const ranked = [...modelTokens]
    .sort(([a, aTokens], [b, bTokens]) => bTokens - aTokens || (a ?? '').localeCompare(b ?? ''))
    .map(([model]) => model);
  // An "other" of a single model would hide its name for nothing.
  const named = ranked.length <= CHART_MODELS + 1 ? ranked : ranked.slice(0, CHART_MODELS);
  const seriesOf = new Map(named.map((model, index) => [model, index]));
  data.models = named.map((model) => ({ name: model ?? UNNAMED_MODEL, tokens: [] }));
  const others = ranked.length - named.length;
  if (others > 0) data.models.push({ name: `${others} other models`, other: true, tokens: [] });

  const first = Math.min(...byDay.keys());
  const last = Math.max(...byDay.keys());
  for (let day = first; day <= last; day += DAY_SECONDS) {
    const row = byDay.get(day);
    data.days.push(day);
    for (const series of data.models) series.tokens.push(0);
    for (const part of row === undefined ? [] : partsOf(row)) {
      const { tokens } = data.models[seriesOf.get(part.model) ?? data.models.length - 1]!;
      tokens[tokens.length - 1] = tokens.at(-1)! + part.totalTokens;
    }
    data.cost.push(row === undefined ? 0 : Math.round(row.knownCostUsd * 10_000) / 10_000);
    data.costUnknown.push(row !== undefined && row.costUsd === null);
  }
  return data;
}
