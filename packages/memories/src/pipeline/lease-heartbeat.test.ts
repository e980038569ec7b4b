import { afterEach, describe, expect, it, vi } from 'vitest';

import { startLeaseHeartbeat } from './lease-heartbeat.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('startLeaseHeartbeat', () => {
  it('renews one call after the other, aborts when the lease is gone, and stops cleanly', async () => {
    vi.useFakeTimers();
    let inFlight = 0;
    let most = 0;
    const answers = [true, true, false, true];
    const renew = vi.fn(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15_000)); // slower than the period
      inFlight -= 1;
      return answers.shift() ?? true;
    });
    const errors: unknown[] = [];
    const heartbeat = startLeaseHeartbeat({
      everySeconds: 10,
      renew,
      lostReason: 'lease lost',
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(10_000 * 4 + 15_000 * 4);
    expect(most).toBe(1);
    expect(heartbeat.lost).toBe(true);
    expect(heartbeat.signal.aborted).toBe(true);
    expect((heartbeat.signal.reason as Error).message).toBe('lease lost');
    const stopped = heartbeat.stop();
    await vi.runAllTimersAsync();
    await stopped;
    const calls = renew.mock.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(renew.mock.calls.length).toBe(calls);
    expect(errors).toEqual([]);
  });

  it('reports a renewal that throws and keeps going', async () => {
    vi.useFakeTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const heartbeat = startLeaseHeartbeat({
      everySeconds: 1,
      renew: () => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new Error('database is locked'))
          : Promise.resolve(true);
      },
      lostReason: 'lease lost',
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(3_000);
    await heartbeat.stop();
    expect(calls).toBe(3);
    expect(errors).toEqual([new Error('database is locked')]);
    expect(heartbeat.lost).toBe(false);
  });
});
