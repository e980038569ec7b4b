import { ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { leaseHolders } from './lease-holders.js';
import { sampleThreadId as idOf } from './sample-threads.js';
import { memoryThread, stage1Helpers } from './stage1-jobs.contract.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const A = idOf(1);
const B = idOf(2);

/**
 * The contract of `store.memories` (see `MemoriesStore`): the stored stage-1 outputs phase 2
 * reads, the overview of the memory jobs, and forgetting them.
 */
export function describeMemoriesContract(factory: StoreContractFactory): void {
  describe('memories', () => {
    let clock = new ManualClock(T0);
    const holders = leaseHolders();
    const h = useContractStore(
      factory,
      () => (clock = new ManualClock(T0)),
      () => holders.probe('h', 100),
    );
    const { claim, claimToken, succeed } = stage1Helpers(() => h.store);

    it('lists the latest outputs first, each with its cwd', async () => {
      await h.store.threads.upsertMany([memoryThread(1), memoryThread(2)]);
      expect(await succeed(A, await claimToken(A, 100), 100, 'summary a')).toBe(true);
      clock.advance(1_000);
      expect(await succeed(B, await claimToken(B, 101), 101, 'summary b')).toBe(true);
      const outputs = await h.store.memories.listStage1Outputs({ limit: 10 });
      expect(outputs.map((o) => [o.threadId, o.rolloutSummary, o.cwd, o.generatedAt])).toEqual([
        [B, 'summary b', '/home/me/src/2', NOW + 1],
        [A, 'summary a', '/home/me/src/1', NOW],
      ]);
      expect(await h.store.memories.listStage1Outputs({ limit: 1 })).toHaveLength(1);
      expect(await h.store.memories.listStage1Outputs({ limit: 0 })).toEqual([]);
    });

    it('skips outputs with blank payloads', async () => {
      await h.store.threads.upsertMany([memoryThread(1), memoryThread(2)]);
      for (const [id, at, rawMemory] of [
        [A, 101, '   '], // newer, but blank (spaces: what both stores' trim() removes)
        [B, 100, 'raw memory'],
      ] as const) {
        expect(
          await h.store.stage1Jobs.markSucceeded({
            threadId: id,
            ownershipToken: await claimToken(id, at),
            sourceUpdatedAt: at,
            rawMemory,
            rolloutSummary: '',
          }),
        ).toBe(true);
      }
      const outputs = await h.store.memories.listStage1Outputs({ limit: 1 });
      expect(outputs.map((o) => o.threadId)).toEqual([B]);
      expect(outputs[0]?.rolloutSlug).toBeNull();
      // Blank outputs are stored all the same (they count), only not listed.
      expect((await h.store.memories.jobCounts()).outputs).toBe(2);
    });

    it('counts stage-1 jobs by state, the phase-2 job and the outputs', async () => {
      expect(await h.store.memories.jobCounts()).toEqual({
        stage1: { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 },
        phase2: {
          status: null,
          dirty: false,
          leaseUntil: null,
          holder: null,
          retryAt: null,
          lastError: null,
        },
        outputs: 0,
      });
      await h.store.threads.upsertMany(Array.from({ length: 6 }, (_, i) => memoryThread(i + 1)));
      const tokens: string[] = [];
      for (let i = 0; i < 6; i += 1) tokens.push(await claimToken(idOf(i + 1), 100));
      const fail = (i: number, retryDelaySeconds: number, token = tokens[i] ?? '') =>
        h.store.stage1Jobs.markFailed({
          threadId: idOf(i + 1),
          ownershipToken: token,
          reason: 'boom',
          retryDelaySeconds,
        });
      expect(await succeed(idOf(1), tokens[0] ?? '', 100)).toBe(true); // done
      expect(await fail(1, 3600)).toBe(true); // error (in backoff)
      expect(await fail(2, 0)).toBe(true); // pending (backoff over)
      // Out of retries: two more failures after the first.
      expect(await fail(3, 0)).toBe(true);
      for (let k = 0; k < 2; k += 1)
        expect(await fail(3, 0, await claimToken(idOf(4), 100))).toBe(true);
      expect(
        await h.store.stage1Jobs.release({ threadId: idOf(5), ownershipToken: tokens[4] ?? '' }),
      ).toBe(true); // pending
      // idOf(6) keeps its live lease: running.
      expect(await h.store.memories.jobCounts()).toEqual({
        stage1: { running: 1, pending: 2, done: 1, error: 1, exhausted: 1 },
        phase2: {
          status: 'pending',
          dirty: true,
          leaseUntil: null,
          holder: null,
          retryAt: null,
          lastError: null,
        },
        outputs: 1,
      });
      // A lease that ran out without a result is pending too.
      clock.advance(3600_000);
      expect((await h.store.memories.jobCounts()).stage1).toEqual({
        running: 0,
        pending: 4,
        done: 1,
        error: 0,
        exhausted: 1,
      });
      const claimed = await h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 60 });
      expect(claimed.outcome).toBe('claimed');
      expect((await h.store.memories.jobCounts()).phase2).toMatchObject({
        status: 'running',
        leaseUntil: NOW + 3600 + 60,
        holder: { host: 'h', pid: 100, startedAt: 'start-100' },
      });
    });

    it('clears outputs and both job kinds in one go, fencing off running workers', async () => {
      await h.store.threads.upsertMany([memoryThread(1), memoryThread(2)]);
      expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
      const running = await claimToken(B, 100);
      expect(await h.store.memories.clearMemories()).toEqual({ outputs: 1, jobs: 3 });
      expect(await succeed(B, running, 100)).toBe(false);
      expect(await h.store.memories.jobCounts()).toMatchObject({
        stage1: { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 },
        phase2: { status: null },
        outputs: 0,
      });
      expect(await h.store.memories.listStage1Outputs({ limit: 10 })).toEqual([]);
      // Everything is claimable again.
      expect((await claim(A, 100)).outcome).toBe('claimed');
      expect(await h.store.memories.clearMemories()).toEqual({ outputs: 0, jobs: 1 });
    });
  });
}
