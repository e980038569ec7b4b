import { describe, expect, it } from 'vitest';

import { formatIsoTime, formatUnixTime } from './format-time.js';
import { plural } from './plural.js';

describe('formatting', () => {
  it('plurals with separators', () => {
    expect(plural(1, 'thread')).toBe('1 thread');
    expect(plural(2500, 'match', 'matches')).toBe('2,500 matches');
  });

  it('formats local times', () => {
    const date = new Date(2026, 10, 21, 5, 4);
    expect(formatUnixTime(date.getTime() / 1000)).toBe('2026-11-21 05:04');
    expect(formatIsoTime(date.toISOString())).toBe('2026-11-21 05:04');
    expect(formatIsoTime(null)).toBe('');
    expect(formatIsoTime('nonsense')).toBe('');
  });
});
