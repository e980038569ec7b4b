import {
  type AgentStateStore,
  type ClaimStage1JobsOptions,
  ErrorCode,
  ManualClock,
  type Stage1ClaimOutcome,
  type ThreadMetadata,
} from '@agent-state/state';
import { beforeEach, describe, expect, it } from 'vitest';

import { leaseHolders } from './lease-holders.js';
import { sampleThread, sampleThreadId as idOf } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const HOUR = 3_600;
const DAY = 86_400;
const A = idOf(1);
const B = idOf(2);

/** A thread as the memories tests want it: a user message, a cwd of its own, source `cli`. */
export function memoryThread(n: number, overrides: Partial<ThreadMetadata> = {}): ThreadMetadata {
  return sampleThread(n, {
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    cwd: `/home/me/src/${n}`,
    firstUserMessage: 'hello',
    ...overrides,
  });
}

/** Codex's startup parameters (its Rust code of early 2026). */
export function startupClaim(
  overrides: Partial<ClaimStage1JobsOptions> = {},
): ClaimStage1JobsOptions {
  return {
    workerId: 'startup-worker',
    scanLimit: 5000,
    maxClaimed: 64,
    maxAgeDays: 30,
    minIdleHours: 12,
    allowedSources: ['cli'],
    leaseSeconds: 3600,
    ...overrides,
  };
}

/**
 * What the memories contracts do with a store's stage-1 jobs: claim one (its outcome, or its token),
 * finish it with an output.
 */
export function stage1Helpers(store: () => AgentStateStore) {
  async function claim(
    threadId: string,
    sourceUpdatedAt: number,
    workerId = 'worker-a',
    maxRunning = 64,
  ): Promise<Stage1ClaimOutcome> {
    return store().stage1Jobs.tryClaim({
      threadId,
      workerId,
      sourceUpdatedAt,
      leaseSeconds: 3600,
      maxRunning,
    });
  }
  async function claimToken(threadId: string, sourceUpdatedAt: number, workerId = 'worker-a') {
    const result = await claim(threadId, sourceUpdatedAt, workerId);
    if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
    return result.ownershipToken;
  }
  async function succeed(
    threadId: string,
    ownershipToken: string,
    sourceUpdatedAt: number,
    rolloutSummary = 'sum',
  ): Promise<boolean> {
    return store().stage1Jobs.markSucceeded({
      threadId,
      ownershipToken,
      sourceUpdatedAt,
      rawMemory: 'raw',
      rolloutSummary,
    });
  }
  async function claimedIds(overrides: Partial<ClaimStage1JobsOptions> = {}): Promise<string[]> {
    return (await store().stage1Jobs.claimEligible(startupClaim(overrides))).map(
      (c) => c.thread.id,
    );
  }
  return { claim, claimToken, succeed, claimedIds };
}

/**
 * The contract of `store.stage1Jobs` (see `Stage1JobStore`): per-thread owned leases under a
 * running cap, with retries, backoff and the eligibility rules of Codex's phase 1.
 */
export function describeStage1JobsContract(factory: StoreContractFactory): void {
  describe('stage-1 jobs', () => {
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
    const { claim, claimToken, succeed, claimedIds } = stage1Helpers(() => h.store);
    const addThreads = (...threads: ThreadMetadata[]) => h.store.threads.upsertMany(threads);
    const fail = (threadId: string, ownershipToken: string, retryDelaySeconds = 0) =>
      h.store.stage1Jobs.markFailed({
        threadId,
        ownershipToken,
        reason: 'boom',
        retryDelaySeconds,
      });

    describe('claims', () => {
      beforeEach(() => addThreads(memoryThread(1), memoryThread(2)));

      it('skips a thread whose memory is up to date', async () => {
        expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
        expect((await claim(A, 101, 'worker-b')).outcome).toBe('claimed');
      });

      it('counts a no-output success as up to date too', async () => {
        const token = await claimToken(A, 100);
        expect(
          await h.store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
        ).toBe(true);
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
        expect(await claim(A, 99, 'worker-b')).toEqual({ outcome: 'up-to-date' });
      });

      it('skips a fresh running job, takes a stale one over and fences its first owner', async () => {
        const first = await claimToken(A, 100);
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'running' });
        clock.advance(3599_000);
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'running' });
        clock.advance(1_000); // the deadline itself counts as expired
        const second = await claimToken(A, 100, 'worker-b');
        expect(second).not.toBe(first);
        expect(await succeed(A, first, 100)).toBe(false);
        await expect(
          h.store.stage1Jobs.heartbeat({ threadId: A, ownershipToken: first, leaseSeconds: 60 }),
        ).rejects.toMatchObject({
          code: ErrorCode.LeaseLost,
          message: expect.stringMatching(/^stage-1 job lease/) as unknown,
        });
        expect(await succeed(A, second, 100)).toBe(true);
      });

      it('gives a contested thread to exactly one of many concurrent claimants', async () => {
        const second = await reopen('h', 200);
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? second : h.store).stage1Jobs.tryClaim({
              threadId: A,
              workerId: `w${i}`,
              sourceUpdatedAt: 100,
              leaseSeconds: 3600,
            }),
          ),
        );
        expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === 'running')).toHaveLength(7);
      });

      it('respects the running cap under concurrent claims, counting live leases only', async () => {
        const second = await reopen('h', 200);
        const outcomes = await Promise.all([
          claim(A, 100, 'w1', 1),
          second.stage1Jobs.tryClaim({
            threadId: B,
            workerId: 'w2',
            sourceUpdatedAt: 101,
            leaseSeconds: 3600,
            maxRunning: 1,
          }),
        ]);
        expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
        expect(outcomes.filter((o) => o.outcome === 'running')).toHaveLength(1);
        // The cap counts live leases only: once the winner's runs out, the other gets its turn.
        const refused = outcomes[0]?.outcome === 'claimed' ? B : A;
        expect((await claim(refused, 101, 'w3', 1)).outcome).toBe('running');
        clock.advance(3600_000);
        expect((await claim(refused, 101, 'w3', 1)).outcome).toBe('claimed');
      });

      it('renews and finishes an owned job, then refuses its token', async () => {
        const result = await claim(A, 100);
        expect(result).toMatchObject({ outcome: 'claimed', leaseUntil: NOW + 3600 });
        if (result.outcome !== 'claimed') return;
        const token = result.ownershipToken;
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ running: 1 });
        clock.advance(10_000);
        expect(
          await h.store.stage1Jobs.heartbeat({
            threadId: A,
            ownershipToken: token,
            leaseSeconds: 60,
          }),
        ).toBe(NOW + 10 + 60);
        clock.advance(59_000); // within the renewed lease, which ends at +70 s
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'running' });
        expect(await succeed(A, token, 100)).toBe(true);
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ running: 0, done: 1 });
        await expect(
          h.store.stage1Jobs.heartbeat({ threadId: A, ownershipToken: token, leaseSeconds: 60 }),
        ).rejects.toMatchObject({ code: ErrorCode.LeaseLost });
        expect(await succeed(A, token, 100)).toBe(false);
      });

      it('uses up its retries, and a newer input gives them all back', async () => {
        for (let i = 0; i < 3; i += 1) expect(await fail(A, await claimToken(A, 100))).toBe(true);
        expect(await claim(A, 100)).toEqual({ outcome: 'retry-exhausted' });
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ exhausted: 1 });
        // Three retries again: it takes three more failures to exhaust them.
        for (let i = 0; i < 3; i += 1) expect(await fail(A, await claimToken(A, 101))).toBe(true);
        expect(await claim(A, 101)).toEqual({ outcome: 'retry-exhausted' });
      });

      it('rejects a failure or a release by another token, and bad arguments', async () => {
        const token = await claimToken(A, 100);
        expect(await fail(A, 'someone-else')).toBe(false);
        expect(await h.store.stage1Jobs.release({ threadId: A, ownershipToken: 'other' })).toBe(
          false,
        );
        expect(await h.store.stage1Jobs.release({ threadId: B, ownershipToken: token })).toBe(
          false,
        );
        await expect(
          h.store.stage1Jobs.release({ threadId: A, ownershipToken: '' }),
        ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
        await expect(claim('nope', 1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
        await expect(
          h.store.stage1Jobs.tryClaim({
            threadId: A,
            workerId: 'w',
            sourceUpdatedAt: 1.5,
            leaseSeconds: 60,
          }),
        ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'sourceUpdatedAt' });
      });
    });

    describe('candidate selection', () => {
      it('filters by age, idle time and the current thread, and returns the threads as stored', async () => {
        await addThreads(
          memoryThread(1, { updatedAt: NOW }), // current
          memoryThread(2, { updatedAt: NOW - HOUR }), // fresh
          memoryThread(3, { updatedAt: NOW - 12 * HOUR + 60 }), // just under idle
          memoryThread(4, { updatedAt: NOW - 12 * HOUR - 60 }), // eligible
          memoryThread(5, { updatedAt: NOW - 31 * DAY }), // old
        );
        const claims = await h.store.stage1Jobs.claimEligible(
          startupClaim({ scanLimit: 1, maxClaimed: 5, excludeThreadId: idOf(1) }),
        );
        expect(claims.map((c) => c.thread.id)).toEqual([idOf(4)]);
        expect(claims[0]).toMatchObject({
          thread: memoryThread(4, { updatedAt: NOW - 12 * HOUR - 60 }),
          leaseUntil: NOW + 3600,
        });
        // The claim's input is the thread's update time: it succeeds up to date.
        const [first] = claims;
        expect(await succeed(idOf(4), first?.ownershipToken ?? '', NOW - 12 * HOUR - 60)).toBe(
          true,
        );
        expect(await claim(idOf(4), NOW - 12 * HOUR - 60)).toEqual({ outcome: 'up-to-date' });
      });

      it('never claims a disabled thread, even the newest eligible one; enabled, it is claimed', async () => {
        await addThreads(
          memoryThread(1, { updatedAt: NOW - 12 * HOUR - 60 }), // the newest eligible
          memoryThread(2, { updatedAt: NOW - 14 * HOUR }),
        );
        await h.store.memories.setMemoryMode({ threadIds: [A], mode: 'disabled' });
        expect(await claimedIds({ maxClaimed: 1, workerId: 'w1' })).toEqual([B]);
        expect(await claimedIds({ workerId: 'w2' })).toEqual([]);
        await h.store.memories.setMemoryMode({ threadIds: [A], mode: 'enabled' });
        expect(await claimedIds({ workerId: 'w3' })).toEqual([A]);
      });

      it('prefilters threads whose memory is up to date', async () => {
        await addThreads(
          memoryThread(1, { updatedAt: NOW - 13 * HOUR }),
          memoryThread(2, { updatedAt: NOW - 14 * HOUR }),
        );
        expect(await succeed(A, await claimToken(A, NOW - 13 * HOUR), NOW - 13 * HOUR)).toBe(true);
        expect(await claimedIds({ scanLimit: 1, maxClaimed: 1 })).toEqual([B]);
      });

      it('enforces the global running cap', async () => {
        await addThreads(
          ...Array.from({ length: 80 }, (_, i) =>
            memoryThread(i + 1, { updatedAt: NOW - 13 * HOUR - i }),
          ),
        );
        for (let i = 1; i <= 10; i += 1) {
          await claimToken(idOf(i), NOW - 13 * HOUR - (i - 1), 'seed');
        }
        const claims = await claimedIds({ scanLimit: 200, maxClaimed: 64 });
        expect(claims).toEqual(Array.from({ length: 54 }, (_, i) => idOf(i + 11)));
        expect((await h.store.memories.jobCounts()).stage1.running).toBe(64);
        expect(await claimedIds({ scanLimit: 200, maxClaimed: 64 })).toEqual([]);
        expect(await claim(idOf(80), NOW - 13 * HOUR - 79)).toEqual({ outcome: 'running' });
      });

      it('caps at maxRunning, not maxClaimed', async () => {
        await addThreads(
          ...Array.from({ length: 30 }, (_, i) =>
            memoryThread(i + 1, { updatedAt: NOW - 13 * HOUR - i }),
          ),
        );
        expect(await claimedIds({ maxClaimed: 8 })).toHaveLength(8);
        expect(await claimedIds({ maxClaimed: 8 })).toHaveLength(8);
        expect(await claimedIds({ maxClaimed: 8, maxRunning: 20 })).toHaveLength(4);
        expect(await claimedIds({ maxClaimed: 8, maxRunning: 20 })).toHaveLength(0);
      });

      it('never exceeds the cap nor claims a thread twice when stores claim at once', async () => {
        await addThreads(
          ...Array.from({ length: 60 }, (_, i) =>
            memoryThread(i + 1, { updatedAt: NOW - 13 * HOUR - i }),
          ),
        );
        const stores = [
          h.store,
          await reopen('h', 200),
          await reopen('other', 300),
          await reopen('other', 400),
        ];
        const batches = await Promise.all(
          stores.flatMap((store, i) =>
            [0, 1].map(() =>
              store.stage1Jobs.claimEligible(
                startupClaim({ workerId: `w${i}`, maxClaimed: 16, maxRunning: 20 }),
              ),
            ),
          ),
        );
        const ids = batches.flat().map((c) => c.thread.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
        expect((await h.store.memories.jobCounts()).stage1.running).toBe(20);
      });

      it('processes two full batches across startup passes', async () => {
        await addThreads(
          ...Array.from({ length: 200 }, (_, i) =>
            memoryThread(i + 1, { updatedAt: NOW - 13 * HOUR - i }),
          ),
        );
        const first = await h.store.stage1Jobs.claimEligible(startupClaim());
        expect(first).toHaveLength(64);
        for (const { thread, ownershipToken } of first) {
          expect(await succeed(thread.id, ownershipToken, thread.updatedAt)).toBe(true);
        }
        const second = await claimedIds();
        expect(second).toHaveLength(64);
        expect(second.filter((id) => first.some((c) => c.thread.id === id))).toEqual([]);
        expect(second[0]).toBe(idOf(65));
      });

      it('claims nothing with a zero scan limit or zero max claimed', async () => {
        await addThreads(memoryThread(1, { updatedAt: NOW - 13 * HOUR }));
        expect(await claimedIds({ scanLimit: 0 })).toEqual([]);
        expect(await claimedIds({ maxClaimed: 0 })).toEqual([]);
        expect((await h.store.memories.jobCounts()).stage1).toEqual({
          running: 0,
          pending: 0,
          done: 0,
          error: 0,
          exhausted: 0,
        });
      });

      it('keeps the 12 h idle and 30 d age edges, at ±1 s', async () => {
        await addThreads(
          memoryThread(1, { updatedAt: NOW - 12 * HOUR + 1 }), // not idle yet
          memoryThread(2, { updatedAt: NOW - 12 * HOUR }), // idle exactly 12 h
          memoryThread(3, { updatedAt: NOW - 12 * HOUR - 1 }),
          memoryThread(4, { updatedAt: NOW - 30 * DAY + 1 }),
          memoryThread(5, { updatedAt: NOW - 30 * DAY }), // exactly 30 days old
          memoryThread(6, { updatedAt: NOW - 30 * DAY - 1 }), // too old
        );
        expect(await claimedIds()).toEqual([idOf(2), idOf(3), idOf(4), idOf(5)]);
      });

      it('skips archived threads, other sources and threads without a user message', async () => {
        const t = NOW - 13 * HOUR;
        await addThreads(
          memoryThread(1, { updatedAt: t, archivedAt: t }),
          memoryThread(2, { updatedAt: t, source: 'exec' }),
          memoryThread(3, { updatedAt: t, firstUserMessage: null }),
          memoryThread(4, { updatedAt: t, source: 'vscode' }),
          memoryThread(5, { updatedAt: t }),
        );
        expect(await claimedIds({ allowedSources: ['cli', 'vscode'], maxClaimed: 1 })).toEqual([
          idOf(5),
        ]);
        expect(await claimedIds({ allowedSources: ['cli', 'vscode'] })).toEqual([idOf(4)]);
        // No source filter: every source.
        expect(await claimedIds({ allowedSources: [] })).toEqual([idOf(2)]);
      });

      it('skips threads whose output is as new as the thread, and takes them back when they change', async () => {
        const t = NOW - 13 * HOUR;
        await addThreads(memoryThread(1, { updatedAt: t }), memoryThread(2, { updatedAt: t - 10 }));
        for (const [id, at] of [
          [A, t],
          [B, t - 20], // an output older than the thread: stale
        ] as const) {
          expect(await succeed(id, await claimToken(id, at), at)).toBe(true);
        }
        expect(await claimedIds()).toEqual([B]);
        await addThreads(memoryThread(1, { updatedAt: t + 5 })); // the thread changed (still idle)
        expect(await claimedIds()).toEqual([A]);
      });

      it('lifts retry exhaustion when the thread is updated, with its retries back', async () => {
        const t = NOW - 13 * HOUR;
        await addThreads(memoryThread(1, { updatedAt: t }));
        for (let i = 0; i < 3; i += 1) {
          const [claimed] = await h.store.stage1Jobs.claimEligible(startupClaim());
          expect(claimed?.thread.id).toBe(A);
          expect(await fail(A, claimed?.ownershipToken ?? '')).toBe(true);
        }
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ exhausted: 1 });
        expect(await claimedIds()).toEqual([]);
        await addThreads(memoryThread(1, { updatedAt: t + 60 }));
        for (let i = 0; i < 3; i += 1) {
          const [claimed] = await h.store.stage1Jobs.claimEligible(startupClaim());
          expect(claimed?.thread.id).toBe(A);
          expect(await fail(A, claimed?.ownershipToken ?? '')).toBe(true);
        }
        expect(await claimedIds()).toEqual([]);
        expect(await claim(A, t + 60)).toEqual({ outcome: 'retry-exhausted' });
      });

      it('backs off after a failure, unless the thread is updated', async () => {
        const t = NOW - 13 * HOUR;
        await addThreads(memoryThread(1, { updatedAt: t }), memoryThread(2, { updatedAt: t - 1 }));
        for (const claimed of await h.store.stage1Jobs.claimEligible(startupClaim())) {
          expect(await fail(claimed.thread.id, claimed.ownershipToken, 3600)).toBe(true);
        }
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ error: 2 });
        expect(await claimedIds()).toEqual([]);
        expect(await claim(A, t)).toEqual({ outcome: 'retry-backoff' });
        await addThreads(memoryThread(2, { updatedAt: t - 1 + 10 })); // B changed: backoff bypassed
        const [b] = await h.store.stage1Jobs.claimEligible(startupClaim());
        expect(b?.thread.id).toBe(B);
        expect(
          await h.store.stage1Jobs.markSucceededNoOutput({
            threadId: B,
            ownershipToken: b?.ownershipToken ?? '',
          }),
        ).toBe(true);
        clock.advance(3599_000);
        expect(await claimedIds()).toEqual([]);
        clock.advance(1_000); // A's backoff is over
        expect(await claimedIds()).toEqual([A]);
      });

      it('takes over a stale lease', async () => {
        await addThreads(memoryThread(1, { updatedAt: NOW - 13 * HOUR }));
        const [first] = await h.store.stage1Jobs.claimEligible(
          startupClaim({ workerId: 'crashed' }),
        );
        expect(await claimedIds()).toEqual([]);
        clock.advance(3600_000);
        const [second] = await h.store.stage1Jobs.claimEligible(startupClaim({ workerId: 'next' }));
        expect(second?.thread.id).toBe(A);
        expect(second?.ownershipToken).not.toBe(first?.ownershipToken);
        expect(await succeed(A, first?.ownershipToken ?? '', NOW - 13 * HOUR)).toBe(false);
        expect(await succeed(A, second?.ownershipToken ?? '', NOW - 13 * HOUR)).toBe(true);
      });

      it('is not starved by newer threads it cannot claim', async () => {
        const t = NOW - 13 * HOUR;
        const threads: ThreadMetadata[] = [];
        // 30 recent threads that are not idle yet, and 30 newer idle ones that are busy.
        for (let i = 0; i < 30; i += 1)
          threads.push(memoryThread(1000 + i, { updatedAt: NOW - i }));
        for (let i = 0; i < 30; i += 1) threads.push(memoryThread(2000 + i, { updatedAt: t - i }));
        const eligible = memoryThread(9999, { updatedAt: t - 1000 });
        await addThreads(...threads, eligible);
        for (let i = 0; i < 30; i += 1) {
          const id = idOf(2000 + i);
          if (i % 3 === 0) {
            await claimToken(id, t - i, 'busy'); // live lease
          } else if (i % 3 === 1) {
            await fail(id, await claimToken(id, t - i, 'busy'), 3600); // in backoff
          } else {
            for (let k = 0; k < 3; k += 1) await fail(id, await claimToken(id, t - i, 'busy')); // out of retries
          }
        }
        const claims = await h.store.stage1Jobs.claimEligible(
          startupClaim({ scanLimit: 10, maxClaimed: 16 }),
        );
        expect(claims.map((c) => c.thread.id)).toEqual([eligible.id]);
      });

      it('never claims the excluded thread, and validates its arguments', async () => {
        await addThreads(memoryThread(1, { updatedAt: NOW - 13 * HOUR }));
        expect(await claimedIds({ excludeThreadId: A.toUpperCase() })).toEqual([]);
        for (const bad of [
          { scanLimit: -1 },
          { maxClaimed: 1.5 },
          { maxAgeDays: Number.NaN },
          { minIdleHours: -1 },
          { leaseSeconds: 0 },
          { maxRunning: 0 },
          { workerId: '' },
          { excludeThreadId: 'not-a-uuid' },
        ]) {
          await expect(h.store.stage1Jobs.claimEligible(startupClaim(bad))).rejects.toMatchObject({
            code: ErrorCode.InvalidArgument,
          });
        }
      });
    });

    describe('outputs and completion', () => {
      beforeEach(() => addThreads(memoryThread(1), memoryThread(2)));

      it('deletes an output with its thread', async () => {
        expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
        expect((await h.store.memories.jobCounts()).outputs).toBe(1);
        expect(await h.store.threads.delete(A)).toBe(true);
        expect((await h.store.memories.jobCounts()).outputs).toBe(0);
        expect(await h.store.memories.listStage1Outputs({ limit: 10 })).toEqual([]);
      });

      it('a no-output success keeps nothing and leaves phase 2 clean when nothing was deleted', async () => {
        const token = await claimToken(A, 100);
        expect(
          await h.store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
        ).toBe(true);
        expect((await h.store.memories.jobCounts()).outputs).toBe(0);
        expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
        expect(await h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 })).toEqual({
          outcome: 'not-dirty',
        });
      });

      it('a no-output success deletes an older output and dirties phase 2', async () => {
        expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
        const first = await h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 });
        if (first.outcome !== 'claimed') throw new Error('expected a phase-2 claim');
        expect(
          await h.store.phase2Lock.markSucceeded({
            ownershipToken: first.ownershipToken,
            completedWatermark: 100,
          }),
        ).toBe(true);
        const token = await claimToken(A, 200);
        expect(
          await h.store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
        ).toBe(true);
        expect((await h.store.memories.jobCounts()).outputs).toBe(0);
        const second = await h.store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 });
        expect(second).toMatchObject({ outcome: 'claimed', inputWatermark: 200 });
        // A lost lease writes nothing.
        expect(
          await h.store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
        ).toBe(false);
      });

      it('retry exhaustion does not block a newer watermark', async () => {
        for (let i = 0; i < 3; i += 1) expect(await fail(A, await claimToken(A, 100))).toBe(true);
        expect(await claim(A, 100)).toEqual({ outcome: 'retry-exhausted' });
        expect((await claim(A, 101)).outcome).toBe('claimed');
      });

      it('keeps a newer output when an older one arrives, and stores the slug', async () => {
        await h.store.stage1Jobs.markSucceeded({
          threadId: A,
          ownershipToken: await claimToken(A, 200),
          sourceUpdatedAt: 200,
          rawMemory: 'raw 200',
          rolloutSummary: 'summary 200',
          rolloutSlug: 'fix-flaky-test',
        });
        clock.advance(5_000);
        const token = await claimToken(A, 300);
        expect(
          await h.store.stage1Jobs.markSucceeded({
            threadId: A,
            ownershipToken: token,
            sourceUpdatedAt: 150, // older than the stored output: the output stays
            rawMemory: 'raw 150',
            rolloutSummary: 'summary 150',
          }),
        ).toBe(true);
        // The job's last success is the claim's input, 300.
        expect(await claim(A, 300)).toEqual({ outcome: 'up-to-date' });
        expect(await h.store.memories.listStage1Outputs({ limit: 10 })).toEqual([
          {
            threadId: A,
            sourceUpdatedAt: 200,
            rawMemory: 'raw 200',
            rolloutSummary: 'summary 200',
            rolloutSlug: 'fix-flaky-test',
            generatedAt: NOW,
            cwd: '/home/me/src/1',
            memoryMode: 'enabled',
          },
        ]);
      });

      it('drops the output of a thread deleted during extraction', async () => {
        const token = await claimToken(A, 100);
        await h.store.threads.delete(A);
        expect(await succeed(A, token, 100)).toBe(true);
        expect(await h.store.memories.jobCounts()).toMatchObject({
          stage1: { done: 1, running: 0 },
          outputs: 0,
        });
      });
    });

    describe('holders', () => {
      const a = memoryThread(1, { updatedAt: NOW - 13 * HOUR - 1 });
      const b = memoryThread(2, { updatedAt: NOW - 13 * HOUR - 2 });
      const batch = { scanLimit: 100, maxClaimed: 10, maxAgeDays: 30, minIdleHours: 12 };
      beforeEach(() => addThreads(a, b));

      it('a dead holder’s job is claimed at once on its host, by a single claim or a batch; a live or remote one is not', async () => {
        const sameHost = await reopen('h', 200);
        const otherHost = await reopen('other', 300);
        const token = await claimToken(a.id, a.updatedAt, 'w1');
        const retry = {
          threadId: a.id,
          workerId: 'w2',
          sourceUpdatedAt: a.updatedAt,
          leaseSeconds: 3600,
        };
        expect(await sameHost.stage1Jobs.tryClaim(retry)).toEqual({ outcome: 'running' });
        expect(
          (
            await sameHost.stage1Jobs.claimEligible({
              ...batch,
              workerId: 'w2',
              leaseSeconds: 3600,
            })
          ).map((c) => c.thread.id),
        ).toEqual([b.id]);

        holders.dead.add(100);
        expect(await otherHost.stage1Jobs.tryClaim({ ...retry, workerId: 'w3' })).toEqual({
          outcome: 'running',
        });
        expect((await sameHost.stage1Jobs.tryClaim(retry)).outcome).toBe('claimed');
        expect(await succeed(a.id, token, a.updatedAt)).toBe(false);
      });

      it('a batch claim frees the dead holder’s jobs first, and they stop counting against the cap', async () => {
        const sameHost = await reopen('h', 200);
        const options = { ...batch, leaseSeconds: 3600, maxRunning: 2 };
        expect(await h.store.stage1Jobs.claimEligible({ ...options, workerId: 'w1' })).toHaveLength(
          2,
        );
        expect(await sameHost.stage1Jobs.claimEligible({ ...options, workerId: 'w2' })).toEqual([]);
        holders.dead.add(100);
        const taken = await sameHost.stage1Jobs.claimEligible({ ...options, workerId: 'w2' });
        expect(taken.map((c) => c.thread.id).sort()).toEqual([a.id, b.id].sort());
        expect((await sameHost.memories.jobCounts()).stage1.running).toBe(2);
      });
    });

    describe('giving claims back', () => {
      it('releases a claim without using a retry, a backoff or an error', async () => {
        const t = NOW - 13 * HOUR;
        await addThreads(memoryThread(1, { updatedAt: t }));
        // One failure first: the release must keep the retries it had, not refill or spend them.
        const [failed] = await h.store.stage1Jobs.claimEligible(startupClaim());
        expect(await fail(A, failed?.ownershipToken ?? '')).toBe(true);
        const [claimed] = await h.store.stage1Jobs.claimEligible(
          startupClaim({ workerId: 'interrupted' }),
        );
        const ownershipToken = claimed?.ownershipToken ?? '';
        expect(await h.store.stage1Jobs.release({ threadId: A, ownershipToken })).toBe(true);
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({
          pending: 1,
          running: 0,
          error: 0,
        });
        // The old token is fenced off: it can neither finish nor release the job again.
        expect(await succeed(A, ownershipToken, t)).toBe(false);
        expect(await h.store.stage1Jobs.release({ threadId: A, ownershipToken })).toBe(false);
        // Claimable at once, by anyone, at the same clock time; two retries left, not three.
        for (let i = 0; i < 2; i += 1) {
          const [again] = await h.store.stage1Jobs.claimEligible(
            startupClaim({ workerId: 'next' }),
          );
          expect(again?.thread.id).toBe(A);
          expect(await fail(A, again?.ownershipToken ?? '')).toBe(true);
        }
        expect(await claim(A, t)).toEqual({ outcome: 'retry-exhausted' });
      });

      it('releases only a running job that the token owns', async () => {
        await addThreads(memoryThread(1), memoryThread(2));
        const token = await claimToken(A, 100);
        expect(await succeed(A, token, 100)).toBe(true);
        expect(await h.store.stage1Jobs.release({ threadId: A, ownershipToken: token })).toBe(
          false,
        );
        expect((await h.store.memories.jobCounts()).stage1).toMatchObject({ done: 1 });
        // A lease taken over by another worker cannot be released by the first one.
        const stale = await claimToken(B, 100, 'crashed');
        clock.advance(3600_000);
        const fresh = await claimToken(B, 100, 'next');
        expect(await h.store.stage1Jobs.release({ threadId: B, ownershipToken: stale })).toBe(
          false,
        );
        expect(await succeed(B, fresh, 100)).toBe(true);
      });
    });
  });
}
