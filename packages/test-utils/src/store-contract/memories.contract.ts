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
    const { claim, claimToken, succeed, claimedIds } = stage1Helpers(() => h.store);

    it('lists the latest outputs first, each with its cwd', async () => {
      await h.store.threads.upsertMany([memoryThread(1), memoryThread(2)]);
      expect(await succeed(A, await claimToken(A, 100), 100, 'summary a')).toBe(true);
      clock.advance(1_000);
      expect(await succeed(B, await claimToken(B, 101), 101, 'summary b')).toBe(true);
      const outputs = await h.store.memories.listStage1Outputs({ limit: 10 });
      expect(
        outputs.map((o) => [o.threadId, o.rolloutSummary, o.cwd, o.generatedAt, o.memoryMode]),
      ).toEqual([
        [B, 'summary b', '/home/me/src/2', NOW + 1, 'enabled'],
        [A, 'summary a', '/home/me/src/1', NOW, 'enabled'],
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
        disabledThreads: 0,
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
        disabledThreads: 0,
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

    describe('memory control', () => {
      /** Threads 1–4 in /p/app (updated 101–104), 5 in /p/app/sub, 6 in /p/other. */
      async function project(): Promise<void> {
        await h.store.threads.upsertMany([
          ...[1, 2, 3, 4].map((n) => memoryThread(n, { cwd: '/p/app' })),
          memoryThread(5, { cwd: '/p/app/sub' }),
          memoryThread(6, { cwd: '/p/other' }),
        ]);
        for (let n = 1; n <= 6; n += 1) {
          const id = idOf(n);
          expect(await succeed(id, await claimToken(id, 100 + n), 100 + n, `summary ${n}`)).toBe(
            true,
          );
        }
      }

      it('lists the outputs of one cwd (exactly), newest first, the limit kept', async () => {
        await project();
        const ids = async (options: { limit: number; cwd?: string }) =>
          (await h.store.memories.listStage1Outputs(options)).map((o) => o.threadId);
        expect(await ids({ limit: 10, cwd: '/p/app' })).toEqual([4, 3, 2, 1].map(idOf));
        expect(await ids({ limit: 2, cwd: '/p/app' })).toEqual([idOf(4), idOf(3)]);
        expect(await ids({ limit: 10, cwd: '/p/app/sub' })).toEqual([idOf(5)]);
        expect(await ids({ limit: 10, cwd: '/p' })).toEqual([]);
        expect(await ids({ limit: 10 })).toEqual([6, 5, 4, 3, 2, 1].map(idOf));
        await expect(h.store.memories.listStage1Outputs({ limit: 1, cwd: '' })).rejects.toThrow(
          /cwd/,
        );
      });

      it('disables and enables threads by id or by cwd; unknown ids change nothing', async () => {
        await project();
        expect(await h.store.memories.setMemoryMode({ cwd: '/p/app', mode: 'disabled' })).toEqual({
          threadIds: [1, 2, 3, 4].map(idOf).sort(),
          changed: 4,
        });
        expect(
          await h.store.memories.setMemoryMode({ threadIds: [idOf(4)], mode: 'disabled' }),
        ).toEqual({ threadIds: [idOf(4)], changed: 0 });
        expect((await h.store.memories.jobCounts()).disabledThreads).toBe(4);
        // Phase 2 leaves disabled threads' outputs out; a listing that asks shows them, marked.
        const enabled = await h.store.memories.listStage1Outputs({ limit: 10 });
        expect(enabled.map((o) => o.threadId)).toEqual([idOf(6), idOf(5)]);
        const all = await h.store.memories.listStage1Outputs({ limit: 10, includeDisabled: true });
        expect(all.map((o) => [o.threadId, o.memoryMode])).toEqual([
          [idOf(6), 'enabled'],
          [idOf(5), 'enabled'],
          ...[4, 3, 2, 1].map((n) => [idOf(n), 'disabled']),
        ]);

        const unknown = idOf(99);
        await expect(
          h.store.memories.setMemoryMode({ threadIds: [idOf(1), unknown], mode: 'enabled' }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect((await h.store.memories.jobCounts()).disabledThreads).toBe(4);
        expect(
          await h.store.memories.setMemoryMode({
            threadIds: [idOf(1).toUpperCase(), idOf(1)],
            mode: 'enabled',
          }),
        ).toEqual({ threadIds: [idOf(1)], changed: 1 });
        expect(await h.store.memories.setMemoryMode({ cwd: '/nowhere', mode: 'enabled' })).toEqual({
          threadIds: [],
          changed: 0,
        });
        for (const bad of [
          { threadIds: [], mode: 'enabled' },
          { cwd: '/p/app', threadIds: [idOf(1)], mode: 'enabled' },
          { cwd: '/p/app', mode: 'off' },
          { threadIds: ['not-a-uuid'], mode: 'enabled' },
        ]) {
          await expect(h.store.memories.setMemoryMode(bad as never)).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
          });
        }
      });

      it('forgets threads: outputs and jobs gone, threads disabled, phase 2 dirty', async () => {
        await project();
        const p2 = await h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 60 });
        expect(p2.outcome).toBe('claimed');
        if (p2.outcome !== 'claimed') return;
        expect(
          await h.store.phase2Lock.markSucceeded({
            ownershipToken: p2.ownershipToken,
            completedWatermark: p2.inputWatermark,
          }),
        ).toBe(true);
        expect((await h.store.memories.jobCounts()).phase2.dirty).toBe(false);

        const forgotten = await h.store.memories.forget({ cwd: '/p/app' });
        expect(forgotten).toEqual({
          threadIds: [1, 2, 3, 4].map(idOf).sort(),
          outputs: 4,
          jobs: 4,
          consolidationQueued: true,
        });
        const counts = await h.store.memories.jobCounts();
        expect(counts).toMatchObject({ outputs: 2, disabledThreads: 4, phase2: { dirty: true } });
        expect(counts.stage1.done).toBe(2);
        const left = await h.store.memories.listStage1Outputs({ limit: 10, includeDisabled: true });
        expect(left.map((o) => o.threadId)).toEqual([idOf(6), idOf(5)]);
        // Not extracted again, even once the thread changes (and would be eligible otherwise).
        await h.store.threads.upsertMany([
          memoryThread(1, { cwd: '/p/app', updatedAt: NOW - 13 * 3600 }),
          memoryThread(7, { cwd: '/p/app', updatedAt: NOW - 13 * 3600 }),
        ]);
        expect(await claimedIds()).toEqual([idOf(7)]);

        // Nothing left to forget: no output went, phase 2 is not queued again.
        expect(await h.store.memories.forget({ threadIds: [idOf(2)] })).toEqual({
          threadIds: [idOf(2)],
          outputs: 0,
          jobs: 0,
          consolidationQueued: false,
        });
        await expect(
          h.store.memories.forget({ threadIds: [idOf(6), idOf(98)] }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect((await h.store.memories.listStage1Outputs({ limit: 10 })).length).toBe(2);
      });
    });
  });
}
