import type { UsageRow } from '@agent-state/rollout';
import { describe, expect, it } from 'vitest';

import { usageChartData } from './usage-chart-data.js';

function row(key: string, total: number): UsageRow {
  return {
    key,
    models: ['gpt-5.5'],
    calls: 1,
    cacheWriteInputTokens: 0,
    firstMs: 0,
    lastMs: 0,
    inputTokens: total - 10,
    cachedInputTokens: 5,
    outputTokens: 10,
    reasoningOutputTokens: 2,
    totalTokens: total,
    costUsd: null,
    knownCostUsd: 0.123456,
  };
}

describe('usageChartData', () => {
  it('has one entry per day from the first to the last, days without usage at 0', () => {
    const data = usageChartData([row('2026-11-30', 100), row('2026-12-02', 50)]);
    expect(data.days).toEqual([
      Date.UTC(2026, 10, 30) / 1000,
      Date.UTC(2026, 11, 1) / 1000,
      Date.UTC(2026, 11, 2) / 1000,
    ]);
    expect(data.total).toEqual([100, 0, 50]);
    expect(data.input).toEqual([90, 0, 40]);
    expect(data.cost).toEqual([0.1235, 0, 0.1235]);
  });

  it('is empty without usage', () => {
    expect(usageChartData([]).days).toEqual([]);
  });
});
