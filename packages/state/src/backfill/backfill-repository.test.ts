import { tempDirs } from '@agent-state/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { ErrorCode, LeaseLostError } from '../errors.js';
import { currentLeaseHolder } from '../leases/lease-holder.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import type { BackfillLease } from './backfill-repository.js';

const T0 = 1_800_000_000_000;
const temp = tempDirs();
let clock: ManualClock;
let store: StateStore;
let home: string;

beforeEach(async () => {
  home = temp.make('home');
  clock = new ManualClock(T0);
  store = await openStateStore({ home, clock });
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

async function claim(leaseSeconds = 60): Promise<BackfillLease> {
  const result = await store.backfill.tryClaim({ leaseSeconds });
  if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
  return result.lease;
}

describe('backfill state', () => {
  it('starts pending, persists checkpoints, and completes', async () => {
    expect(await store.backfill.get()).toEqual({
      status: 'pending',
      lastWatermark: null,
      lastSuccessAt: null,
      updatedAt: T0 / 1000,
      leaseUntil: null,
      holder: null,
      holderDead: false,
      claimedAt: null,
      progress: null,
      generation: 1,
    });
    let lease = await claim();
    clock.advance(5_000);
    lease = await store.backfill.checkpoint(lease, 'sessions/2026/01/27/rollout-a.jsonl');
    expect(await store.backfill.get()).toMatchObject({
      status: 'running',
      lastWatermark: 'sessions/2026/01/27/rollout-a.jsonl',
      lastSuccessAt: null,
      leaseUntil: T0 / 1000 + 5 + 60,
    });
    clock.advance(5_000);
    await store.backfill.markComplete(lease, {
      lastWatermark: 'sessions/2026/01/28/rollout-b.jsonl',
    });
    expect(await store.backfill.get()).toEqual({
      status: 'complete',
      lastWatermark: 'sessions/2026/01/28/rollout-b.jsonl',
      lastSuccessAt: T0 / 1000 + 10,
      updatedAt: T0 / 1000 + 10,
      leaseUntil: null,
      holder: null,
      holderDead: false,
      claimedAt: null,
      progress: null,
      generation: 1,
    });
  });

  it('keeps the last checkpoint when completing without a watermark', async () => {
    const lease = await store.backfill.checkpoint(await claim(), 'sessions/a.jsonl');
    await store.backfill.markComplete(lease);
    expect((await store.backfill.get()).lastWatermark).toBe('sessions/a.jsonl');
  });

  it('is a singleton until the lease goes stale, and never claimable once complete', async () => {
    const first = await claim(3600);
    expect(await store.backfill.tryClaim({ leaseSeconds: 3600 })).toEqual({
      outcome: 'held',
      leaseUntil: T0 / 1000 + 3600,
      holder: currentLeaseHolder(),
    });
    clock.advance(3599_000);
    expect((await store.backfill.tryClaim({ leaseSeconds: 10 })).outcome).toBe('held');
    clock.advance(1_000); // the deadline itself counts as expired
    const second = await claim(10);
    expect(second.token).not.toBe(first.token);

    await store.backfill.markComplete(second);
    expect(await store.backfill.tryClaim({ leaseSeconds: 3600 })).toEqual({ outcome: 'complete' });
  });

  it('heartbeats extend the lease so a live owner is never taken over', async () => {
    let lease = await claim(60);
    for (let i = 0; i < 10; i += 1) {
      clock.advance(30_000);
      lease = await store.backfill.heartbeat(lease);
      expect((await store.backfill.tryClaim({ leaseSeconds: 60 })).outcome).toBe('held');
    }
    expect(lease.leaseUntil).toBe(T0 / 1000 + 300 + 60);
  });

  it('fences off an owner whose lease was taken over', async () => {
    const stale = await claim(60);
    clock.advance(61_000);
    const fresh = await claim(60);

    for (const call of [
      () => store.backfill.heartbeat(stale),
      () => store.backfill.checkpoint(stale, 'sessions/x.jsonl'),
      () => store.backfill.markComplete(stale),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(error).toMatchObject({ code: ErrorCode.LeaseLost });
    }
    await store.backfill.release(stale); // no effect, no error
    expect((await store.backfill.get()).status).toBe('running');
    await expect(store.backfill.heartbeat(fresh)).resolves.toMatchObject({ token: fresh.token });
  });

  it('release hands the lease over at once and keeps the watermark', async () => {
    const lease = await store.backfill.checkpoint(await claim(600), 'sessions/a.jsonl');
    await store.backfill.release(lease);
    expect(await store.backfill.get()).toMatchObject({
      status: 'pending',
      lastWatermark: 'sessions/a.jsonl',
      leaseUntil: null,
    });
    await claim(600);
  });

  it('reset forgets progress and fences the current owner', async () => {
    const lease = await store.backfill.checkpoint(await claim(), 'sessions/a.jsonl');
    await store.backfill.reset();
    expect(await store.backfill.get()).toMatchObject({ status: 'pending', lastWatermark: null });
    await expect(store.backfill.checkpoint(lease, 'sessions/b.jsonl')).rejects.toBeInstanceOf(
      LeaseLostError,
    );
  });

  it('a backfill completed under an older generation is claimed again by a newer one, from where it was', async () => {
    // An older release (generation 1) completes it.
    await store.backfill.markComplete(await claim(), { lastWatermark: 'sessions/z.jsonl' });
    expect(await store.backfill.tryClaim({ leaseSeconds: 60 })).toEqual({ outcome: 'complete' });
    expect(await store.backfill.tryClaim({ leaseSeconds: 60, generation: 1 })).toEqual({
      outcome: 'complete',
    });

    const newer = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 2 });
    if (newer.outcome !== 'claimed') throw new Error(`expected a claim, got ${newer.outcome}`);
    expect(newer.lease.generation).toBe(2);
    expect(newer.from).toMatchObject({
      status: 'complete',
      generation: 1,
      lastWatermark: 'sessions/z.jsonl',
    });
    // Running: the generation is the old one until the newer run records progress.
    expect(await store.backfill.get()).toMatchObject({ status: 'running', generation: 1 });
    const lease = await store.backfill.heartbeat(newer.lease);
    expect(lease.generation).toBe(2);
    await store.backfill.markComplete(lease);
    expect(await store.backfill.get()).toMatchObject({
      status: 'complete',
      generation: 2,
      lastWatermark: 'sessions/z.jsonl',
    });
    expect(await store.backfill.tryClaim({ leaseSeconds: 60, generation: 2 })).toEqual({
      outcome: 'complete',
    });
  });

  it('checkpoints record the lease generation with the watermark', async () => {
    const first = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 3 });
    if (first.outcome !== 'claimed') throw new Error(`expected a claim, got ${first.outcome}`);
    expect(first.from).toMatchObject({ status: 'pending', generation: 1, lastWatermark: null });
    await store.backfill.checkpoint(first.lease, 'sessions/a.jsonl');
    await store.backfill.release(first.lease);
    expect(await store.backfill.get()).toMatchObject({
      status: 'pending',
      generation: 3,
      lastWatermark: 'sessions/a.jsonl',
    });
  });

  it('rejects bad lease lengths, generations and watermarks', async () => {
    for (const leaseSeconds of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
      await expect(store.backfill.tryClaim({ leaseSeconds })).rejects.toMatchObject({
        argument: 'leaseSeconds',
      });
    }
    for (const generation of [0, -1, 2.5]) {
      await expect(store.backfill.tryClaim({ leaseSeconds: 60, generation })).rejects.toMatchObject(
        {
          argument: 'generation',
        },
      );
    }
    await expect(store.backfill.checkpoint(await claim(), '')).rejects.toMatchObject({
      argument: 'watermark',
    });
  });
});
