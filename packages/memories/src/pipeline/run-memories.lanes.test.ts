import type { ClaimStage1JobsOptions, Stage1Claim } from '@agent-state/state';
import type { MockReply } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ELIGIBLE_THREADS,
  REACHED,
  STAGE1_ANSWER,
  answerEverything,
  deferred,
  pipelineHarnesses,
  withRepository,
} from '../test-support/pipeline-harness.js';
import { MEMORIES_DEFAULTS } from './run-memories.js';

const harnesses = pipelineHarnesses();
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  await harnesses.cleanup();
});

const MINUTE = 60_000;
const HEARTBEAT_MS = MEMORIES_DEFAULTS.stage1HeartbeatSeconds * 1000;

/** A reply the test sends later; released as `hang` at cleanup if the test never does. */
function heldReply() {
  const reply = deferred<MockReply>();
  releases.push(() => reply.resolve({ kind: 'hang' }));
  return reply;
}

describe('phase-1 lanes and leases', () => {
  it('claims a job only when a lane is free to run it, within --max', async () => {
    const h = await harnesses.make({ concurrency: 2 });
    const runningAtArrival: number[] = [];
    h.setHandler(async (request) => {
      if (!request.textFormat) return answerEverything(request);
      runningAtArrival.push((await h.store.memories.jobCounts()).stage1.running);
      return STAGE1_ANSWER;
    });

    const result = await h.run({ phases: 'phase1' });
    expect(result.phase1).toMatchObject({ claimed: ELIGIBLE_THREADS, succeeded: ELIGIBLE_THREADS });
    expect(runningAtArrival).toHaveLength(ELIGIBLE_THREADS);
    // Before: a pass claimed up to 64 jobs at once, and all but two waited with a ticking lease.
    expect(Math.max(...runningAtArrival)).toBeLessThanOrEqual(2);

    const limited = await harnesses.make({ concurrency: 2 });
    expect((await limited.run({ phases: 'phase1', maxThreads: 3 })).phase1).toMatchObject({
      claimed: 3,
      succeeded: 3,
    });
    expect(limited.stage1Requests()).toHaveLength(3);
  });

  it('renews the lease of a job while its request is in flight', async () => {
    const h = await harnesses.make({ concurrency: 1 });
    const reply = heldReply();
    h.setHandler((request) => (request.textFormat ? reply.promise : answerEverything(request)));
    const claims: Stage1Claim[] = [];
    const store = withRepository(h.store, 'stage1Jobs', {
      claimEligible: async (options: ClaimStage1JobsOptions) => {
        const claimed = await h.store.stage1Jobs.claimEligible(options);
        claims.push(...claimed);
        return claimed;
      },
    });
    const run = h.run({ phases: 'phase1', maxThreads: 1, store });
    await vi.waitFor(() => expect(h.stage1Requests()).toHaveLength(1), REACHED);
    const [{ thread } = expect.unreachable('no claim')] = claims;

    // The heartbeat waits on the store's clock: this move makes it due, and it renews as of now.
    h.clock.advance(50 * MINUTE + HEARTBEAT_MS);
    h.clock.advance(11 * MINUTE - HEARTBEAT_MS); // past the lease taken at the claim, within the renewed one
    await vi.waitFor(
      async () => expect((await h.store.memories.jobCounts()).stage1.running).toBe(1),
      REACHED,
    );
    // Another process cannot take the job over: before, it could, and paid for it again.
    expect(
      await h.store.stage1Jobs.tryClaim({
        threadId: thread.id,
        workerId: 'another-process',
        sourceUpdatedAt: thread.updatedAt,
        leaseSeconds: 3600,
      }),
    ).toEqual({ outcome: 'running' });

    reply.resolve(STAGE1_ANSWER);
    const result = await run;
    expect(result.phase1).toMatchObject({ claimed: 1, succeeded: 1, lost: 0, failed: 0 });
  });

  it('stops a job whose heartbeat finds the lease taken over, and records nothing for it', async () => {
    const h = await harnesses.make({ concurrency: 1 });
    h.setHandler((request) =>
      request.textFormat ? heldReply().promise : answerEverything(request),
    );
    let settled = false;
    const run = h.run({ phases: 'phase1', maxThreads: 1 }).finally(() => {
      settled = true;
    });
    await vi.waitFor(() => expect(h.stage1Requests()).toHaveLength(1), REACHED);

    // The lease runs out (say the machine slept; the heartbeat that comes due finds it lost) and
    // another process takes the job over.
    h.clock.advance(61 * MINUTE);
    const [taken] = await h.store.stage1Jobs.claimEligible({
      workerId: 'another-process',
      scanLimit: 100,
      maxClaimed: 1,
      maxAgeDays: 30,
      minIdleHours: 12,
      leaseSeconds: 3600,
    });
    expect(taken).toBeDefined();

    // The request in flight is cancelled: the run ends although the server never answered.
    await vi.waitFor(() => expect(settled).toBe(true), { timeout: 5_000 });
    const result = await run;
    expect(result.phase1).toMatchObject({ claimed: 1, lost: 1, failed: 0, succeeded: 0 });
    expect(h.stage1Requests()).toHaveLength(1);
    // The new owner's job was left alone: it can still finish it.
    expect(
      await h.store.stage1Jobs.markSucceeded({
        threadId: taken?.thread.id ?? '',
        ownershipToken: taken?.ownershipToken ?? '',
        sourceUpdatedAt: taken?.thread.updatedAt ?? 0,
        rawMemory: 'm',
        rolloutSummary: 's',
      }),
    ).toBe(true);
  });

  it('stops every lane on a store error, waits for them, then throws it', async () => {
    const h = await harnesses.make({ concurrency: 2 });
    const second = deferred<undefined>();
    h.setHandler(async (request) => {
      if (!request.textFormat) return answerEverything(request);
      if (h.stage1Requests().length === 1) {
        await second.promise; // answer the first only once the second is in flight
        return STAGE1_ANSWER;
      }
      second.resolve(undefined);
      return heldReply().promise;
    });
    const broken = withRepository(h.store, 'stage1Jobs', {
      markSucceeded: () => Promise.reject(new Error('disk I/O error')),
    });

    await expect(h.run({ phases: 'phase1', store: broken })).rejects.toThrow('disk I/O error');
    // By the time it throws, nothing of this run is left in flight: the other lane's request was
    // cancelled and its job given back; only the job whose marking failed keeps its lease.
    const counts = await h.store.memories.jobCounts();
    expect(counts.stage1).toMatchObject({ running: 1, pending: 1, error: 0 });
    expect(h.stage1Requests()).toHaveLength(2);
  });
});
