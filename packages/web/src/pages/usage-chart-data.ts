import type { UsageRow } from '@agent-state/rollout';

/**
 * What the usage page gives its charts (as JSON in a `<script type="application/json">`): one
 * entry per day from the first to the last day with usage, days without any at 0.
 */
export interface UsageChartData {
  /** Each day as unix seconds of its 00:00 UTC (the charts draw dates, not instants). */
  days: number[];
  input: number[];
  cachedInput: number[];
  output: number[];
  reasoning: number[];
  total: number[];
  /** The known cost of each day, US dollars (a model without a price adds nothing). */
  cost: number[];
}

const DAY_SECONDS = 86_400;

function dayStart(key: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!match) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 1000;
}

/** The chart data of daily usage rows (`summarizeUsage` with `groupBy: 'daily'`). */
export function usageChartData(rows: readonly UsageRow[]): UsageChartData {
  const byDay = new Map<number, UsageRow>();
  for (const row of rows) {
    const day = dayStart(row.key);
    if (day !== undefined) byDay.set(day, row);
  }
  const data: UsageChartData = {
    days: [],
    input: [],
    cachedInput: [],
    output: [],
    reasoning: [],
    total: [],
    cost: [],
  };
  if (byDay.size === 0) return data;
  const first = Math.min(...byDay.keys());
  const last = Math.max(...byDay.keys());
  for (let day = first; day <= last; day += DAY_SECONDS) {
    const row = byDay.get(day);
    data.days.push(day);
    data.input.push(row?.inputTokens ?? 0);
    data.cachedInput.push(row?.cachedInputTokens ?? 0);
    data.output.push(row?.outputTokens ?? 0);
    data.reasoning.push(row?.reasoningOutputTokens ?? 0);
    data.total.push(row?.totalTokens ?? 0);
    data.cost.push(row === undefined ? 0 : Math.round(row.knownCostUsd * 10_000) / 10_000);
  }
  return data;
}
