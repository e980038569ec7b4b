import { describe, expect, it } from 'vitest';

import { type Clock, ManualClock, setClockTimer, systemClock, unixSeconds } from './clock.js';

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

  it('the manual clock calls its timers when a move reaches them, earliest first', () => {
    const clock = new ManualClock(1_000);
    const calls: string[] = [];
    clock.setTimer(300, () => calls.push('b'));
    clock.setTimer(100, () => {
      calls.push('a');
      // Set by a timer that is due: waits for the next move, even when due already.
      clock.setTimer(0, () => calls.push('d'));
    });
    const cancel = clock.setTimer(200, () => calls.push('cancelled'));
    clock.setTimer(500, () => calls.push('c'));
    cancel();
    clock.advance(99);
    expect(calls).toEqual([]);
    clock.advance(201); // reaches 100 and 300 at once
    expect(calls).toEqual(['a', 'b']);
    clock.set(2_000);
    expect(calls).toEqual(['a', 'b', 'd', 'c']);
    clock.advance(10_000);
    expect(calls).toHaveLength(4);
  });

  it('setClockTimer uses real timers for a clock without its own', async () => {
    const clock: Clock = { now: () => Date.now() };
    await new Promise<void>((resolve) => setClockTimer(clock, 1, resolve));
    let called = false;
    setClockTimer(systemClock, 1, () => {
      called = true;
    })();
    await new Promise<void>((resolve) => setClockTimer(systemClock, 5, resolve));
    expect(called).toBe(false);
  });
});
