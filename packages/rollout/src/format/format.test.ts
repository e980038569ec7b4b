import { describe, expect, it } from 'vitest';

import { formatBytes } from './format-bytes.js';
import { formatCost } from './format-cost.js';
import { formatCount } from './format-count.js';
import { formatDuration } from './format-duration.js';

describe('figures for people', () => {
  it('counts with thousands separators, as en-US writes them', () => {
    for (const value of [0, 7, 999, 1_000, 12_345, 1_234_567, -4_500, 1_000_000_000, 12.5]) {
      expect(formatCount(value)).toBe(value.toLocaleString('en-US'));
    }
  });

  it('costs, unknown ones included', () => {
    expect(formatCost({ costUsd: 12.345, knownCostUsd: 12.345 })).toBe('$12.35');
    expect(formatCost({ costUsd: 0.01333, knownCostUsd: 0.01333 })).toBe('$0.0133');
    expect(formatCost({ costUsd: null, knownCostUsd: 0 })).toBe('?');
    expect(formatCost({ costUsd: null, knownCostUsd: 2 })).toBe('>= $2.00');
  });

  it('durations and sizes', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe('2 h 03 min');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_572_864)).toBe('1.5 MiB');
  });
});
