import { type BackfillLease, ErrorCode, LeaseHeldError, ManualClock } from '@agent-state/state';
import { beforeEach, describe, expect, it } from 'vitest';

import { leaseHolders } from './lease-holders.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
/** The holder every test's own store records: pid 100 on host `h`. */
const HOLDER = { host: 'h', pid: 100, startedAt: 'start-100' };

/** The contract of `store.backfill` (see `BackfillStore`): the home's one backfill lease. */
export function describeBackfillContract(factory: StoreContractFactory): void {
  describe('backfill lease', () => {
    let clock = new ManualClock(T0);
    const holders = leaseHolders();
    const h = useContractStore(
      factory,
      () => (clock = new ManualClock(T0)),
      () => holders.probe('h', 100),
    );
    beforeEach(() => holders.dead.clear());
    /** Another process on `host` with `pid`, on the same clock. */
    const reopen = (host: string, pid: number) =>
      h.reopen({ clock, holderProbe: holders.probe(host, pid) });

    async function claim(leaseSeconds = 60): Promise<BackfillLease> {
      const result = await h.store.backfill.tryClaim({ leaseSeconds });
      if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
      return result.lease;
    }

    it('starts pending, persists checkpoints, and completes', async () => {
      const { store } = h;
      expect(await store.backfill.get()).toEqual({
        status: 'pending',
        lastWatermark: null,
        lastSuccessAt: null,
        updatedAt: NOW,
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
        leaseUntil: NOW + 5 + 60,
        holder: HOLDER,
        claimedAt: NOW,
      });
      clock.advance(5_000);
      await store.backfill.markComplete(lease, {
        lastWatermark: 'sessions/2026/01/28/rollout-b.jsonl',
      });
      expect(await store.backfill.get()).toEqual({
        status: 'complete',
        lastWatermark: 'sessions/2026/01/28/rollout-b.jsonl',
        lastSuccessAt: NOW + 10,
        updatedAt: NOW + 10,
        leaseUntil: null,
        holder: null,
        holderDead: false,
        claimedAt: null,
        progress: null,
        generation: 1,
      });
    });

    it('keeps the last checkpoint when completing without a watermark', async () => {
      const lease = await h.store.backfill.checkpoint(await claim(), 'sessions/a.jsonl');
      await h.store.backfill.markComplete(lease);
      expect((await h.store.backfill.get()).lastWatermark).toBe('sessions/a.jsonl');
    });

    it('is held by one claimant until its lease runs out, and never claimable once complete', async () => {
      const first = await claim(3600);
      expect(await h.store.backfill.tryClaim({ leaseSeconds: 3600 })).toEqual({
        outcome: 'held',
        leaseUntil: NOW + 3600,
        holder: HOLDER,
      });
      clock.advance(3599_000);
      expect((await h.store.backfill.tryClaim({ leaseSeconds: 10 })).outcome).toBe('held');
      clock.advance(1_000); // the deadline itself counts as expired
      const second = await claim(10);
      expect(second.token).not.toBe(first.token);
      await h.store.backfill.markComplete(second);
      expect(await h.store.backfill.tryClaim({ leaseSeconds: 3600 })).toEqual({
        outcome: 'complete',
      });
    });

    it('is won by exactly one of many concurrent claimants', async () => {
      const other = await reopen('h', 200);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : h.store).backfill.tryClaim({ leaseSeconds: 60 }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'held')).toHaveLength(7);
    });

    it('heartbeats extend the lease so a live owner is never taken over', async () => {
      let lease = await claim(60);
      for (let i = 0; i < 10; i += 1) {
        clock.advance(30_000);
        lease = await h.store.backfill.heartbeat(lease);
        expect((await h.store.backfill.tryClaim({ leaseSeconds: 60 })).outcome).toBe('held');
      }
      expect(lease.leaseUntil).toBe(NOW + 300 + 60);
    });

    it('fences off an owner whose lease was taken over', async () => {
      const stale = await claim(60);
      clock.advance(61_000);
      const fresh = await claim(60);
      for (const call of [
        () => h.store.backfill.heartbeat(stale),
        () => h.store.backfill.checkpoint(stale, 'sessions/x.jsonl'),
        () => h.store.backfill.markComplete(stale),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: ErrorCode.LeaseLost,
          message: expect.stringMatching(/^backfill lease/) as unknown,
        });
      }
      await h.store.backfill.release(stale); // no effect, no error
      expect((await h.store.backfill.get()).status).toBe('running');
      await expect(h.store.backfill.heartbeat(fresh)).resolves.toMatchObject({
        token: fresh.token,
      });
    });

    it('a heartbeat at or past the deadline is lost even when nobody took over', async () => {
      const lease = await claim(60);
      clock.advance(60_000);
      await expect(h.store.backfill.heartbeat(lease)).rejects.toMatchObject({
        code: ErrorCode.LeaseLost,
      });
    });

    it('release hands the lease over at once and keeps the watermark', async () => {
      const lease = await h.store.backfill.checkpoint(await claim(600), 'sessions/a.jsonl');
      await h.store.backfill.release(lease);
      expect(await h.store.backfill.get()).toMatchObject({
        status: 'pending',
        lastWatermark: 'sessions/a.jsonl',
        leaseUntil: null,
        holder: null,
        claimedAt: null,
      });
      await claim(600);
    });

    it('reset forgets progress and fences the current owner', async () => {
      const lease = await h.store.backfill.checkpoint(await claim(), 'sessions/a.jsonl');
      await h.store.backfill.reset();
      expect(await h.store.backfill.get()).toMatchObject({
        status: 'pending',
        lastWatermark: null,
      });
      await expect(h.store.backfill.checkpoint(lease, 'sessions/b.jsonl')).rejects.toMatchObject({
        code: ErrorCode.LeaseLost,
      });
    });

    it('a backfill completed under an older generation is claimed again by a newer one, from where it was', async () => {
      const { store } = h;
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
      const first = await h.store.backfill.tryClaim({ leaseSeconds: 60, generation: 3 });
      if (first.outcome !== 'claimed') throw new Error(`expected a claim, got ${first.outcome}`);
      expect(first.from).toMatchObject({ status: 'pending', generation: 1, lastWatermark: null });
      await h.store.backfill.checkpoint(first.lease, 'sessions/a.jsonl');
      await h.store.backfill.release(first.lease);
      expect(await h.store.backfill.get()).toMatchObject({
        status: 'pending',
        generation: 3,
        lastWatermark: 'sessions/a.jsonl',
      });
    });

    it('records when it was claimed and the progress its holder reports', async () => {
      const other = await reopen('h', 200);
      let lease = await claim(120);
      clock.advance(5_000);
      lease = await h.store.backfill.heartbeat(lease, { progress: { done: 0, total: 10 } });
      expect((await other.backfill.get()).progress).toEqual({ done: 0, total: 10 });
      lease = await h.store.backfill.checkpoint(lease, 'sessions/a.jsonl', {
        progress: { done: 4, total: 10 },
      });
      lease = await h.store.backfill.heartbeat(lease);
      expect(await other.backfill.get()).toMatchObject({
        holder: HOLDER,
        holderDead: false,
        progress: { done: 4, total: 10 },
        claimedAt: NOW,
        leaseUntil: NOW + 5 + 120,
      });
      await expect(
        h.store.backfill.heartbeat(lease, { progress: { done: -1, total: 10 } }),
      ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'progress.done' });
      await h.store.backfill.release(lease);
      expect(await other.backfill.get()).toMatchObject({
        status: 'pending',
        holder: null,
        claimedAt: null,
        progress: null,
      });
    });

    it('a live holder keeps it; a dead one on this host loses it at once, one on another host when it runs out', async () => {
      const sameHost = await reopen('h', 200);
      const otherHost = await reopen('other', 300);
      const first = await claim(120);
      const held = await sameHost.backfill.tryClaim({ leaseSeconds: 120 });
      expect(held).toEqual({ outcome: 'held', leaseUntil: NOW + 120, holder: HOLDER });
      expect(
        new LeaseHeldError('the backfill', { holder: held.outcome === 'held' ? held.holder : null })
          .message,
      ).toBe('the backfill is held by another process (pid 100 on host h)');

      holders.dead.add(100);
      // Another host cannot tell: it waits for the lease to run out.
      expect((await otherHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('held');
      expect(await sameHost.backfill.get()).toMatchObject({
        holderDead: true,
        leaseUntil: NOW + 120,
      });
      const takeover = await sameHost.backfill.tryClaim({ leaseSeconds: 120 });
      if (takeover.outcome !== 'claimed') throw new Error(takeover.outcome);
      expect(await otherHost.backfill.get()).toMatchObject({
        holder: { host: 'h', pid: 200 },
        holderDead: false,
      });
      await expect(h.store.backfill.heartbeat(first)).rejects.toMatchObject({
        code: ErrorCode.LeaseLost,
      });

      // Held from the other host, the lease is this host's to wait for, dead pid or not.
      await sameHost.backfill.release(takeover.lease);
      const remote = await otherHost.backfill.tryClaim({ leaseSeconds: 120 });
      expect(remote.outcome).toBe('claimed');
      holders.dead.add(300);
      expect((await sameHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('held');
      clock.advance(120_000);
      expect((await sameHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('claimed');
    });

    it('rejects bad lease lengths, generations and watermarks', async () => {
      for (const leaseSeconds of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
        await expect(h.store.backfill.tryClaim({ leaseSeconds })).rejects.toMatchObject({
          code: ErrorCode.InvalidArgument,
          argument: 'leaseSeconds',
        });
      }
      for (const generation of [0, -1, 2.5]) {
        await expect(
          h.store.backfill.tryClaim({ leaseSeconds: 60, generation }),
        ).rejects.toMatchObject({ argument: 'generation' });
      }
      await expect(h.store.backfill.checkpoint(await claim(), '')).rejects.toMatchObject({
        argument: 'watermark',
      });
    });
  });
}
