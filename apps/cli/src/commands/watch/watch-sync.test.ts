import type { SyncResult } from '@agent-state/postgres';
import { ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { ContinuousSync } from './watch-sync.js';

const RESULT: SyncResult = {
  homeId: 'home',
  server: 'postgres://me@db:5432/agent_state',
  threads: 1,
  pushed: 1,
  unchanged: 0,
  deleted: 0,
  documents: 0,
  usageRecords: 0,
  stopped: 0,
};

/** Lets the promises of a push settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function harness(outcomes: Array<'ok' | 'fail'>) {
  const clock = new ManualClock(1_000_000);
  const pushes: number[] = [];
  const failures: unknown[] = [];
  const sync = new ContinuousSync({
    clock,
    delayMs: 1_000,
    retryMs: 30_000,
    push: () => {
      pushes.push(clock.now());
      return outcomes.shift() === 'fail'
        ? Promise.reject(new Error('server away'))
        : Promise.resolve(RESULT);
    },
    onSynced: () => undefined,
    onFailed: (error) => failures.push(error),
  });
  return { clock, pushes, failures, sync };
}

describe('ContinuousSync (watch --sync)', () => {
  it('pushes a burst of changes once, a moment after the first', async () => {
    const { clock, pushes, sync } = harness(['ok']);
    sync.request();
    clock.advance(500);
    sync.request();
    sync.request();
    clock.advance(499);
    expect(pushes).toEqual([]);
    clock.advance(1);
    await settle();
    expect(pushes).toEqual([1_001_000]);
    await sync.stop();
  });

  it('pushes right after a push what changed during it', async () => {
    const { clock, pushes, sync } = harness(['ok', 'ok']);
    sync.request();
    clock.advance(1_000);
    sync.request(); // during the push
    await settle();
    clock.advance(0);
    await settle();
    expect(pushes).toEqual([1_001_000, 1_001_000]);
    await sync.stop();
  });

  it('tries a failed push again after the retry delay, or sooner when the home changes', async () => {
    const { clock, pushes, failures, sync } = harness(['fail', 'fail', 'ok']);
    sync.request();
    clock.advance(1_000);
    await settle();
    expect(failures).toHaveLength(1);
    clock.advance(29_999);
    expect(pushes).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(pushes).toEqual([1_001_000, 1_031_000]);
    // Failed again: a change 5 s later does not wait the 30 s.
    clock.advance(5_000);
    sync.request();
    clock.advance(1_000);
    await settle();
    expect(pushes).toEqual([1_001_000, 1_031_000, 1_037_000]);
    expect(failures).toHaveLength(2);
    await sync.stop();
  });

  it('plans nothing once stopped', async () => {
    const { clock, pushes, sync } = harness([]);
    sync.request();
    await sync.stop();
    clock.advance(60_000);
    sync.request();
    clock.advance(60_000);
    await settle();
    expect(pushes).toEqual([]);
  });
});
