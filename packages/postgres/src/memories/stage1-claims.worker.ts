// Child process of stage1-claims.multiprocess.test.ts: one process of one of two hosts (as its
// lease-holder probe names them) that opens the PostgreSQL store of a shared home with a clock
// fixed by the parent, then, on the parent's signal, drains the home's stage-1 jobs with the other
// processes: claim a batch, hold it, finish it, again until nothing is left.
import { setTimeout as sleep } from 'node:timers/promises';

import { type LeaseHolderProbe, ManualClock } from '@agent-state/state';
import { workerMain } from '@agent-state/test-utils';
import { sql } from 'kysely';

import { type PostgresStore, openPostgresStore } from '../store/postgres-store.js';

export interface Stage1ClaimsWorkerArgs {
  url: string;
  home: string;
  nowMs: number;
  index: number;
  /** The host this process says it runs on (`host-a`, `host-b`). */
  host: string;
  /** The running cap every claim passes. */
  maxRunning: number;
  /** Claims per pass. */
  maxClaimed: number;
  /** How long a batch is held before it is finished, ms (the "model call"). */
  holdMs: number;
  /** Jobs held by others that never finish (live leases of another host): the idle count. */
  stuckJobs: number;
  /** The sequence that orders the processes' events (see the test). */
  sequence: string;
}

/** One claim, with the events that bound the time its job was surely held. */
export interface WorkerClaim {
  threadId: string;
  token: string;
  /** A stamp of the shared sequence taken after the claim's transaction committed. */
  heldFrom: number;
  /** A stamp taken before the job's finisher ran. */
  heldUntil: number;
}

export interface Stage1ClaimsWorkerResult {
  host: string;
  claims: WorkerClaim[];
  failed: number;
  passes: number;
  /** Largest live-lease count this process read right after one of its passes. */
  maxRunningSeen: number;
}

/** Threads whose number (the last 12 hex digits of the id) ends in 3 fail their extraction. */
function fails(threadId: string): boolean {
  return Number.parseInt(threadId.slice(-12), 16) % 10 === 3;
}

/**
 * This process on `host`: a holder on its own host is dead once no process has its pid (all the
 * "hosts" are this machine, so the check is real); a holder on another host never is.
 */
function probeOf(host: string): LeaseHolderProbe {
  const me = { host, pid: process.pid, startedAt: `pid-${process.pid}` };
  return {
    current: () => me,
    isDeadOnThisHost: (holder) => {
      if (holder.host !== host || holder.pid === process.pid) return false;
      try {
        process.kill(holder.pid, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    },
  };
}

await workerMain<Stage1ClaimsWorkerArgs, PostgresStore, Stage1ClaimsWorkerResult>({
  prepare: (args) =>
    openPostgresStore({
      url: args.url,
      home: args.home,
      clock: new ManualClock(args.nowMs),
      holderProbe: probeOf(args.host),
      maxConnections: 2,
    }),
  body: async (store, args) => {
    const workerId = `worker-${args.index}`;
    const stamp = async (): Promise<number> => {
      const { rows } = await sql<{
        n: number;
      }>`SELECT nextval(${args.sequence}::regclass) AS n`.execute(store.context.db);
      return Number(rows[0]?.n);
    };
    const claims: WorkerClaim[] = [];
    let failed = 0;
    let passes = 0;
    let maxRunningSeen = 0;
    for (;;) {
      const batch = await store.stage1Jobs.claimEligible({
        workerId,
        scanLimit: 5000,
        maxClaimed: args.maxClaimed,
        maxAgeDays: 30,
        minIdleHours: 12,
        allowedSources: ['cli'],
        leaseSeconds: 3600,
        maxRunning: args.maxRunning,
      });
      const heldFrom = await stamp();
      passes += 1;
      const running = (await store.memories.jobCounts()).stage1.running;
      maxRunningSeen = Math.max(maxRunningSeen, running);
      if (batch.length === 0) {
        // Others still hold jobs: what is left may be refused by the cap only. Yield, retry.
        if (running <= args.stuckJobs) break;
        await sleep(2);
        continue;
      }
      // Hold the jobs a moment, so the processes' jobs overlap and the cap is what limits them.
      await sleep(args.holdMs);
      const heldUntil = await stamp();
      for (const { thread, ownershipToken } of batch) {
        claims.push({ threadId: thread.id, token: ownershipToken, heldFrom, heldUntil });
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
            });
        // The clock is fixed and every lease is live: nobody may have taken a job over.
        if (!finished) throw new Error(`${workerId} lost the lease of ${thread.id}`);
        if (fails(thread.id)) failed += 1;
      }
    }
    return { host: args.host, claims, failed, passes, maxRunningSeen };
  },
  finish: (store) => store.close(),
});
