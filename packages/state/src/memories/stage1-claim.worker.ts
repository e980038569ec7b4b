// Child process of stage1-claim.multiprocess.test.ts: opens the store of a shared home with a
// clock fixed by the parent, then, on the parent's signal, races the other processes for
// stage-1 jobs.
import { setTimeout as sleep } from 'node:timers/promises';

import { workerMain } from '@agent-state/test-utils';

import {
  ManualClock,
  type StateStore,
  openStateStore,
  timeBasedLeaseHolderProbe,
} from '../index.js';

export interface Stage1WorkerArgs {
  home: string;
  nowMs: number;
  index: number;
  /**
   * `one`: one `stage1Jobs.tryClaim` for `threadId`; `batch`: one `stage1Jobs.claimEligible` pass, jobs
   * kept; `drain`: claim, pause, finish, again until nothing is left (a pass claims nothing
   * while no other process holds a job, so a pass refused by the running cap is retried).
   */
  mode: 'one' | 'batch' | 'drain';
  threadId?: string;
  /** Drain: jobs held by others that will never finish (live leases of a crashed worker). */
  stuckJobs?: number;
}

export type Stage1WorkerResult =
  | { mode: 'one'; outcome: string }
  | {
      mode: 'batch' | 'drain';
      /** Every claim, in order: thread id and token. */
      claims: Array<{ threadId: string; token: string }>;
      failed: number;
      passes: number;
      /** Largest live-lease count this process read right after one of its passes. */
      maxRunningSeen: number;
    };

/** Threads whose index (the last 12 hex digits of the id) ends in 3 fail their extraction. */
function fails(threadId: string): boolean {
  return Number.parseInt(threadId.slice(-12), 16) % 10 === 3;
}

await workerMain<Stage1WorkerArgs, StateStore, Stage1WorkerResult>({
  // Leases run out by time only: a `batch` process exits holding its jobs, which must stay
  // claimed (a dead holder losing its jobs at once is lease-holder.multiprocess.test.ts's).
  prepare: (args) =>
    openStateStore({
      home: args.home,
      clock: new ManualClock(args.nowMs),
      holderProbe: timeBasedLeaseHolderProbe,
      // Eight processes write at once: on a loaded machine (every package's tests running) a
      // lock can be held longer than the default wait, which is not what this test is about.
      busyTimeoutMs: 30_000,
    }),
  body: async (store, args) => {
    const workerId = `worker-${args.index}`;
    if (args.mode === 'one') {
      const result = await store.stage1Jobs.tryClaim({
        threadId: args.threadId ?? '',
        workerId,
        sourceUpdatedAt: 100,
        leaseSeconds: 3600,
      });
      return { mode: 'one', outcome: result.outcome };
    }
    const claims: Array<{ threadId: string; token: string }> = [];
    let failed = 0;
    let passes = 0;
    let maxRunningSeen = 0;
    for (;;) {
      const batch = await store.stage1Jobs.claimEligible({
        workerId,
        scanLimit: 5000,
        maxClaimed: 16,
        maxAgeDays: 30,
        minIdleHours: 12,
        allowedSources: ['cli'],
        leaseSeconds: 3600,
      });
      passes += 1;
      const running = (await store.memories.jobCounts()).stage1.running;
      maxRunningSeen = Math.max(maxRunningSeen, running);
      for (const claim of batch) {
        claims.push({ threadId: claim.thread.id, token: claim.ownershipToken });
      }
      if (args.mode === 'batch') break;
      if (batch.length === 0) {
        // Others still hold jobs: what is left may be refused by the cap only. Yield, retry.
        // (Quitting early is harmless: a process that holds jobs always claims again.)
        if (running <= (args.stuckJobs ?? 0)) break;
        await sleep(2);
        continue;
      }
      // Hold the jobs a moment (the "model call"), so the processes' jobs overlap.
      await sleep(2);
      for (const { thread, ownershipToken } of batch) {
        const finished = fails(thread.id)
          ? await store.stage1Jobs.markFailed({
              threadId: thread.id,
              ownershipToken,
              reason: 'model error',
              retryDelaySeconds: 3600,
            })
          : await store.stage1Jobs.markSucceeded({
              threadId: thread.id,
              ownershipToken,
              sourceUpdatedAt: thread.updatedAt,
              rawMemory: `raw ${thread.id}`,
              rolloutSummary: `summary ${thread.id}`,
              rolloutSlug: null,
            });
        // The clock is fixed and every lease is live: nobody may have taken a job over.
        if (!finished) throw new Error(`${workerId} lost the lease of ${thread.id}`);
        if (fails(thread.id)) failed += 1;
      }
    }
    return { mode: args.mode, claims, failed, passes, maxRunningSeen };
  },
  finish: (store) => store.close(),
});
