import type { UsageModelPart, UsageRow } from '@agent-state/rollout';
import { describe, expect, it } from 'vitest';

import { UNNAMED_MODEL, usageChartData } from './usage-chart-data.js';

function part(model: string | null, total: number, costUsd: number | null = 0.1): UsageModelPart {
  return {
    model,
    calls: 1,
    cacheWriteInputTokens: 0,
    firstMs: 0,
    lastMs: 0,
    inputTokens: total - 10,
    cachedInputTokens: 5,
    outputTokens: 10,
    reasoningOutputTokens: 2,
    totalTokens: total,
    costUsd,
    knownCostUsd: costUsd ?? 0,
  };
}

function row(key: string, parts: UsageModelPart[]): UsageRow {
  const unknown = parts.some((entry) => entry.costUsd === null);
  const known = parts.reduce((sum, entry) => sum + entry.knownCostUsd, 0);
  return {
    ...part(
      null,
      parts.reduce((sum, entry) => sum + entry.totalTokens, 0),
    ),
    key,
    models: parts.map((entry) => entry.model),
    costUsd: unknown ? null : known,
    knownCostUsd: known,
    breakdown: parts,
  };
}

describe('usageChartData', () => {
  it('has one entry per day from the first to the last, days without usage at 0', () => {
    const data = usageChartData([
      row('2026-11-30', [part('gpt-5.5', 100, 0.123456)]),
      row('2026-12-02', [part('gpt-5.5', 50, 0.123456)]),
    ]);
    expect(data.days).toEqual([
      Date.UTC(2026, 10, 30) / 1000,
      Date.UTC(2026, 11, 1) / 1000,
      Date.UTC(2026, 11, 2) / 1000,
    ]);
    expect(data.models).toEqual([{ name: 'gpt-5.5', tokens: [100, 0, 50] }]);
    expect(data.cost).toEqual([0.1235, 0, 0.1235]);
    expect(data.costUnknown).toEqual([false, false, false]);
  });

  it("gives each model's own tokens, most tokens first, an unnamed model named", () => {
    const data = usageChartData([
      row('2026-12-01', [part('a', 10), part(null, 25)]),
      row('2026-12-02', [part('b', 25), part('a', 20)]),
    ]);
    expect(data.models).toEqual([
      { name: 'a', tokens: [10, 20] },
      { name: UNNAMED_MODEL, tokens: [25, 0] },
      { name: 'b', tokens: [0, 25] },
    ]);
  });

  it('sums the models after the first 6 as one "other"', () => {
    const names = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];
    const data = usageChartData([
      row(
        '2026-12-01',
        names.map((name, index) => part(name, 1000 - index * 100)),
      ),
    ]);
    expect(data.models.map((series) => series.name)).toEqual([
      ...names.slice(0, 6),
      '2 other models',
    ]);
    expect(data.models.at(-1)).toEqual({
      name: '2 other models',
      other: true,
      tokens: [400 + 300],
    });
  });

  it('names a seventh model rather than calling it "other"', () => {
    const names = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
    const data = usageChartData([
      row(
        '2026-12-01',
        names.map((name) => part(name, 10)),
      ),
    ]);
    expect(data.models.map((series) => series.name)).toEqual(names);
  });

  it('marks the days whose cost is partly or wholly unknown, with their known part', () => {
    const data = usageChartData([
      row('2026-12-01', [part('a', 10, 0.5), part('mystery', 10, null)]),
      row('2026-12-02', [part('mystery', 10, null)]),
      row('2026-12-03', [part('a', 10, 0.25)]),
    ]);
    expect(data.cost).toEqual([0.5, 0, 0.25]);
    expect(data.costUnknown).toEqual([true, true, false]);
  });

  it('is empty without usage', () => {
    expect(usageChartData([])).toEqual({ days: [], models: [], cost: [], costUnknown: [] });
  });
});
