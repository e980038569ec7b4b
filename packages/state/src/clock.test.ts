import { describe, expect, it } from 'vitest';

import { ManualClock, systemClock, unixSeconds } from './clock.js';

describe('clocks', () => {
  it('the manual clock moves only when told', () => {
    const clock = new ManualClock(1_700_000_000_999);
    expect(unixSeconds(clock)).toBe(1_700_000_000);
    clock.advance(1);
    expect(unixSeconds(clock)).toBe(1_700_000_001);
    clock.set(5_000);
    expect(clock.now()).toBe(5_000);
    expect(() => clock.advance(Number.NaN)).toThrowError(/clock time/);
  });

  it('the system clock reads Date.now()', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
