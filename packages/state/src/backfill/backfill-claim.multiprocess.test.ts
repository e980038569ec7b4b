import { fileURLToPath } from 'node:url';

import { runWorkers, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { openStateStore } from '../store/state-store.js';
import type { ClaimWorkerArgs, ClaimWorkerResult } from './backfill-claim.worker.js';

const WORKER = fileURLToPath(new URL('./backfill-claim.worker.ts', import.meta.url));
const T0 = 1_800_000_000_000;
const temp = tempDirs();
afterEach(() => temp.cleanup());

function race(
  home: string,
  nowMs: number,
  mode: ClaimWorkerArgs['mode'] = 'claim',
  iterations?: number,
) {
  return runWorkers<ClaimWorkerResult>({
    script: WORKER,
    count: 8,
    // The winners exit after their claim: with the time-based probe their leases stay live until
    // their deadline (lease-holder.multiprocess.test.ts shows a dead winner losing it at once).
    args: (index): ClaimWorkerArgs => ({
      home,
      nowMs,
      mode,
      index,
      iterations,
      probe: 'time-based',
    }),
    timeoutMs: 90_000,
  });
}

function outcomes(results: Array<{ value: ClaimWorkerResult }>): string[] {
  return results.map((r) => ('outcome' in r.value ? r.value.outcome : 'churn')).sort();
}

describe('backfill claim across 8 real processes', () => {
  it('exactly one wins, a stale lease is taken over once, and nobody claims after completion', async () => {
    // The home is brand new: the 8 processes also race to create and migrate the database.
    const home = temp.make('home');

    const first = await race(home, T0);
    expect(outcomes(first)).toEqual(['claimed', ...Array<string>(7).fill('held')]);

    const whileLive = await race(home, T0 + 59_000);
    expect(outcomes(whileLive)).toEqual(Array<string>(8).fill('held'));

    const afterExpiry = await race(home, T0 + 61_000);
    expect(outcomes(afterExpiry)).toEqual(['claimed', ...Array<string>(7).fill('held')]);
    const winner = afterExpiry
      .map((r) => r.value)
      .find((v) => 'outcome' in v && v.outcome === 'claimed');
    const firstWinner = first
      .map((r) => r.value)
      .find((v) => 'outcome' in v && v.outcome === 'claimed');
    if (!winner || !('token' in winner) || !firstWinner || !('token' in firstWinner))
      throw new Error('no winner');
    expect(winner.token).not.toBe(firstWinner.token);

    // The first winner was fenced off; the second completes the backfill.
    const store = await openStateStore({ home, clock: new ManualClock(T0 + 62_000) });
    await expect(
      store.backfill.heartbeat({ token: firstWinner.token, leaseSeconds: 60, leaseUntil: 0 }),
    ).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await store.backfill.markComplete({
      token: winner.token,
      leaseSeconds: 60,
      leaseUntil: winner.leaseUntil,
    });
    await store.close();

    const afterCompletion = await race(home, T0 + 10_000_000);
    expect(outcomes(afterCompletion)).toEqual(Array<string>(8).fill('complete'));
    // 32 processes in all: about 30 s on two busy cores.
  }, 180_000);

  it('under heavy contention no process ever sees SQLITE_BUSY and no write is lost', async () => {
    const home = temp.make('home');
    const iterations = 60;
    const results = await race(home, T0, 'churn', iterations);
    let claims = 0;
    for (const { value } of results) {
      if (!('upserts' in value)) throw new Error('unexpected result');
      expect(value.upserts).toBe(iterations);
      claims += value.claims;
    }
    expect(claims).toBeGreaterThan(0);

    const store = await openStateStore({ home, clock: new ManualClock(T0) });
    expect(await store.threads.count()).toBe(8 * iterations);
    expect((await store.backfill.get()).status).toBe('pending');
    await store.close();
  });
});
