import { describe, expect, it } from 'vitest';

import { formatCost } from './format-cost.js';
import { formatCount, plural } from './format-count.js';
import { formatDuration, formatIsoTime, formatUnixTime } from './format-time.js';

describe('formatting', () => {
  it('counts with separators and plurals', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(plural(1, 'thread')).toBe('1 thread');
    expect(plural(2500, 'match', 'matches')).toBe('2,500 matches');
  });

  it('formats costs, unknown ones included', () => {
    expect(formatCost({ costUsd: 12.345, knownCostUsd: 12.345 })).toBe('$12.35');
    expect(formatCost({ costUsd: 0.01333, knownCostUsd: 0.01333 })).toBe('$0.0133');
    expect(formatCost({ costUsd: null, knownCostUsd: 0 })).toBe('?');
    expect(formatCost({ costUsd: null, knownCostUsd: 2 })).toBe('>= $2.00');
  });

  it('formats times and durations', () => {
    const date = new Date(2026, 10, 21, 5, 4);
    expect(formatUnixTime(date.getTime() / 1000)).toBe('2026-11-21 05:04');
    expect(formatIsoTime(date.toISOString())).toBe('2026-11-21 05:04');
    expect(formatIsoTime(null)).toBe('');
    expect(formatIsoTime('nonsense')).toBe('');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
  });
});
