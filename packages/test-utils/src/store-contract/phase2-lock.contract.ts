import { ErrorCode, ManualClock } from '@agent-state/state';
import { beforeEach, describe, expect, it } from 'vitest';

import { leaseHolders } from './lease-holders.js';
import { sampleThreadId as idOf } from './sample-threads.js';
import { memoryThread, stage1Helpers } from './stage1-jobs.contract.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const P2 = { leaseSeconds: 3600 };

/**
 * The contract of `store.phase2Lock` (see `Phase2LockStore`): the home's one consolidation lock,
 * its dirty watermark, retries and backoff.
 */
export function describePhase2LockContract(factory: StoreContractFactory): void {
  describe('phase-2 lock', () => {
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
    const { claimToken, succeed } = stage1Helpers(() => h.store);

    async function claimPhase2(workerId = 'p2-a') {
      const result = await h.store.phase2Lock.tryClaim({ workerId, ...P2 });
      if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
      return result;
    }

    it('is not dirty before anything was enqueued', async () => {
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
    });

    it('runs again when the watermark advances', async () => {
      await h.store.phase2Lock.enqueue(100);
      const first = await claimPhase2();
      expect(first).toMatchObject({ inputWatermark: 100, leaseUntil: NOW + 3600 });
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: first.ownershipToken,
          completedWatermark: 100,
        }),
      ).toBe(true);
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
      await h.store.phase2Lock.enqueue(101);
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toMatchObject({
        outcome: 'claimed',
        inputWatermark: 101,
      });
    });

    it('is enqueued by stage-1 successes, with the newest input', async () => {
      await h.store.threads.upsertMany([memoryThread(1), memoryThread(2)]);
      expect(await succeed(idOf(1), await claimToken(idOf(1), 100), 100)).toBe(true);
      expect(await succeed(idOf(2), await claimToken(idOf(2), 101), 101)).toBe(true);
      expect((await claimPhase2()).inputWatermark).toBe(101);
    });

    it('allows only one fresh runner, even to concurrent claimants', async () => {
      await h.store.phase2Lock.enqueue(200);
      const other = await reopen('h', 200);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? other : h.store).phase2Lock.tryClaim({ workerId: `p2-${i}`, ...P2 }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'running')).toHaveLength(7);
    });

    it('is taken over once stale, fencing off its first holder', async () => {
      await h.store.phase2Lock.enqueue(300);
      const a = await claimPhase2('p2-a');
      clock.advance(3599_000);
      expect((await h.store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).outcome).toBe(
        'running',
      );
      clock.advance(1_000);
      const b = await claimPhase2('p2-b');
      expect(b.ownershipToken).not.toBe(a.ownershipToken);
      expect(b.inputWatermark).toBe(300);
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: a.ownershipToken,
          completedWatermark: 300,
        }),
      ).toBe(false);
      await expect(
        h.store.phase2Lock.heartbeat({ ownershipToken: a.ownershipToken, leaseSeconds: 60 }),
      ).rejects.toMatchObject({
        code: ErrorCode.LeaseLost,
        message: expect.stringMatching(/^phase-2 lock lease/) as unknown,
      });
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: b.ownershipToken,
          completedWatermark: 300,
        }),
      ).toBe(true);
    });

    it('is dirty again after a backfilled input below its last success', async () => {
      await h.store.phase2Lock.enqueue(500);
      const first = await claimPhase2();
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: first.ownershipToken,
          completedWatermark: 500,
        }),
      ).toBe(true);
      await h.store.phase2Lock.enqueue(400);
      expect((await claimPhase2()).inputWatermark).toBeGreaterThan(500);
    });

    it('fails with its fallback only while the token holds it (or nobody does)', async () => {
      await h.store.phase2Lock.enqueue(100);
      const a = await claimPhase2('p2-a');
      clock.advance(3600_000);
      const b = await claimPhase2('p2-b');
      const lost = { ownershipToken: a.ownershipToken, reason: 'lost', retryDelaySeconds: 3600 };
      expect(await h.store.phase2Lock.markFailed(lost)).toBe(false);
      expect(await h.store.phase2Lock.markFailedIfUnowned(lost)).toBe(false);
      expect(
        await h.store.phase2Lock.markFailedIfUnowned({ ...lost, ownershipToken: b.ownershipToken }),
      ).toBe(true);
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2-c', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
      expect((await h.store.memories.jobCounts()).phase2).toMatchObject({
        status: 'error',
        lastError: 'lost',
        retryAt: NOW + 3600 + 3600,
      });
    });

    it('heartbeats, fails with backoff and retries, and stays dirty when inputs arrive mid-run', async () => {
      await h.store.phase2Lock.enqueue(100);
      const first = await claimPhase2();
      clock.advance(3000_000);
      expect(
        await h.store.phase2Lock.heartbeat({
          ownershipToken: first.ownershipToken,
          leaseSeconds: 3600,
        }),
      ).toBe(NOW + 3000 + 3600);
      clock.advance(3000_000); // past the first lease, within the renewed one
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
        outcome: 'running',
      });
      // An input arrives during the run: the job stays running, and dirty after its success.
      await h.store.phase2Lock.enqueue(150);
      expect((await h.store.memories.jobCounts()).phase2.status).toBe('running');
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: first.ownershipToken,
          completedWatermark: first.inputWatermark,
        }),
      ).toBe(true);
      const second = await claimPhase2('p2-b');
      expect(second.inputWatermark).toBe(150);
      expect(
        await h.store.phase2Lock.markFailed({
          ownershipToken: second.ownershipToken,
          reason: 'agent failed',
          retryDelaySeconds: 600,
        }),
      ).toBe(true);
      expect((await h.store.memories.jobCounts()).phase2).toEqual({
        status: 'error',
        dirty: true,
        leaseUntil: null,
        holder: null,
        retryAt: NOW + 6000 + 600,
        lastError: 'agent failed',
      });
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2-c', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
      clock.advance(600_000);
      const third = await claimPhase2('p2-c');
      expect(third.inputWatermark).toBe(150);
      await expect(
        h.store.phase2Lock.heartbeat({ ownershipToken: second.ownershipToken, leaseSeconds: 3600 }),
      ).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
    });

    it('an enqueue lifts the backoff and re-arms the retries', async () => {
      await h.store.phase2Lock.enqueue(100);
      for (let i = 0; i < 3; i += 1) {
        const { ownershipToken } = await claimPhase2();
        expect(
          await h.store.phase2Lock.markFailed({
            ownershipToken,
            reason: 'x',
            retryDelaySeconds: 0,
          }),
        ).toBe(true);
      }
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
      await h.store.phase2Lock.enqueue(100); // older or equal: watermark + 1
      expect((await claimPhase2()).inputWatermark).toBe(101);
    });

    it('is released still dirty, without a retry, a backoff or an error', async () => {
      await h.store.phase2Lock.enqueue(100);
      const { ownershipToken } = await claimPhase2();
      expect(await h.store.phase2Lock.release({ ownershipToken: 'other' })).toBe(false);
      expect(await h.store.phase2Lock.release({ ownershipToken })).toBe(true);
      expect((await h.store.memories.jobCounts()).phase2).toEqual({
        status: 'pending',
        dirty: true,
        leaseUntil: null,
        holder: null,
        retryAt: null,
        lastError: null,
      });
      expect(await h.store.phase2Lock.release({ ownershipToken })).toBe(false);
      expect(
        await h.store.phase2Lock.markSucceeded({ ownershipToken, completedWatermark: 100 }),
      ).toBe(false);
      await expect(
        h.store.phase2Lock.heartbeat({ ownershipToken, leaseSeconds: 3600 }),
      ).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
      // Released three times in a row: no retry was used, so three failures still fit.
      for (let i = 0; i < 3; i += 1) {
        const again = await claimPhase2('p2-b');
        expect(again.inputWatermark).toBe(100);
        expect(await h.store.phase2Lock.release({ ownershipToken: again.ownershipToken })).toBe(
          true,
        );
      }
      for (let i = 0; i < 3; i += 1) {
        const again = await claimPhase2('p2-c');
        expect(
          await h.store.phase2Lock.markFailed({
            ownershipToken: again.ownershipToken,
            reason: 'x',
            retryDelaySeconds: 0,
          }),
        ).toBe(true);
      }
      expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).toEqual({
        outcome: 'not-dirty',
      });
    });

    it('records its holder; a dead holder’s lock is claimed at once on its host, a live or remote one is not', async () => {
      const sameHost = await reopen('h', 200);
      const otherHost = await reopen('other', 300);
      await h.store.phase2Lock.enqueue(100);
      const claim = await claimPhase2('p1');
      expect((await sameHost.memories.jobCounts()).phase2).toMatchObject({
        status: 'running',
        leaseUntil: NOW + 3600,
        holder: { host: 'h', pid: 100, startedAt: 'start-100' },
      });
      expect((await sameHost.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).outcome).toBe(
        'running',
      );
      holders.dead.add(100);
      expect((await otherHost.phase2Lock.tryClaim({ workerId: 'p3', ...P2 })).outcome).toBe(
        'running',
      );
      expect(await sameHost.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).toMatchObject({
        outcome: 'claimed',
        inputWatermark: 100,
      });
      expect((await h.store.memories.jobCounts()).phase2.holder).toMatchObject({
        host: 'h',
        pid: 200,
      });
      expect(
        await h.store.phase2Lock.markSucceeded({
          ownershipToken: claim.ownershipToken,
          completedWatermark: 100,
        }),
      ).toBe(false);
    });

    it('rejects bad arguments', async () => {
      await expect(h.store.phase2Lock.enqueue(1.5)).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
        argument: 'inputWatermark',
      });
      await expect(
        h.store.phase2Lock.tryClaim({ workerId: '', leaseSeconds: 60 }),
      ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'workerId' });
      await expect(
        h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 0 }),
      ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'leaseSeconds' });
      await expect(
        h.store.phase2Lock.markFailed({ ownershipToken: 't', reason: 'x', retryDelaySeconds: -1 }),
      ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'retryDelaySeconds' });
    });
  });
}
