import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import {
  type LeaseHolderProbe,
  ManualClock,
  type ThreadMetadata,
  buildThreadMetadata,
} from '@agent-state/state';
import {
  type TestPostgres,
  postgresAvailable,
  runWorkers,
  startTestPostgres,
  tempDirs,
} from '@agent-state/test-utils';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type PostgresStore, openPostgresStore } from '../store/postgres-store.js';
import type {
  Stage1ClaimsWorkerArgs,
  Stage1ClaimsWorkerResult,
  WorkerClaim,
} from './stage1-claims.worker.js';

// Eight real processes, four on each of two hosts (as their lease-holder probes say), drain the
// stage-1 jobs of one home on one PostgreSQL database at once, under a running cap far below what
// they ask for. What they must never do: hold more live jobs than the cap, or claim a job twice.
//
// How the cap is checked, so that a violation shows: every process stamps its events from one
// PostgreSQL sequence (a clock all processes share, ordered as the events happened): a stamp
// right after a claim's transaction committed and one right before the batch's first finisher
// runs. Between the two its jobs were surely live, so at each stamp every batch whose stamps
// enclose it was live at the same instant: the largest such sum is a lower bound of the true
// number of live jobs, and exceeding the cap there is a real violation. Batches are held for a
// while (and asked for 8 × 8 = 64 against 18 free slots) so the processes contend for the cap the
// whole run; the parent also samples the live count from a connection of its own. Without the
// cap's lock the claims overrun the cap within the first passes (tried: the test then fails).

const WORKER = fileURLToPath(new URL('./stage1-claims.worker.ts', import.meta.url));
const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const ELIGIBLE = 300;
/** Jobs held by a live process of a third host: they stay live and take cap slots throughout. */
const REMOTE_GHOSTS = 6;
/** Jobs held by a process of host-a that died: the first claim on host-a frees them at once. */
const DEAD_GHOSTS = 2;
const MAX_RUNNING = 24;
const MAX_CLAIMED = 8;
const SEQUENCE = 'stage1_claim_events';
const temp = tempDirs();
afterEach(() => temp.cleanup());

function idOf(n: number): string {
  return `01a1fca2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

function thread(n: number, updatedAt: number): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      { id: idOf(n), rolloutPath: `/r/${n}.jsonl`, createdAt: updatedAt, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
    firstUserMessage: 'hello',
  };
}

/** A holder that never declares anyone dead: it only stands for the process that took a job. */
function holder(host: string, pid: number): LeaseHolderProbe {
  return { current: () => ({ host, pid, startedAt: `pid-${pid}` }), isDeadOnThisHost: () => false };
}

/** A pid that no process has any more: a child that ran and exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  if (child.pid === undefined) throw new Error('could not start a process');
  return child.pid;
}

/** The largest number of jobs surely live at one instant (see above), and when (a stamp). */
function maxSurelyLive(claims: readonly WorkerClaim[]): { jobs: number; batches: number } {
  const batches = new Map<string, { from: number; until: number; jobs: number }>();
  for (const claim of claims) {
    const key = `${claim.heldFrom}:${claim.heldUntil}`;
    const batch = batches.get(key) ?? { from: claim.heldFrom, until: claim.heldUntil, jobs: 0 };
    batch.jobs += 1;
    batches.set(key, batch);
  }
  let best = { jobs: 0, batches: 0 };
  for (const { from } of batches.values()) {
    let jobs = 0;
    let count = 0;
    for (const other of batches.values()) {
      if (other.from <= from && from <= other.until) {
        jobs += other.jobs;
        count += 1;
      }
    }
    if (jobs > best.jobs) best = { jobs, batches: count };
  }
  return best;
}

describe.skipIf(!postgresAvailable())(
  'stage-1 claims across 8 processes on 2 hosts (PostgreSQL)',
  () => {
    let server: TestPostgres | undefined;
    let url = '';
    beforeAll(async () => {
      server = await startTestPostgres();
      url = await server.createDatabase();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('drain: never more live jobs than the cap, no job claimed twice, every job processed', async () => {
      const home = temp.make('home');
      const open = (probe?: LeaseHolderProbe): Promise<PostgresStore> =>
        openPostgresStore({ url, home, clock: new ManualClock(T0), holderProbe: probe });
      const store = await open();
      const remote = await open(holder('host-c', 4242));
      const dead = await open(holder('host-a', deadPid()));
      const stores = [store, remote, dead];
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE SEQUENCE ${SEQUENCE}`);
        // Ghosts are newer than every eligible thread: a scan that did not skip busy jobs would
        // see them first.
        const remoteGhosts = Array.from({ length: REMOTE_GHOSTS }, (_, i) =>
          thread(10_000 + i, NOW - 13 * 3600 + 60),
        );
        const deadGhosts = Array.from({ length: DEAD_GHOSTS }, (_, i) =>
          thread(20_000 + i, NOW - 13 * 3600 + 30),
        );
        await store.threads.upsertMany([
          ...remoteGhosts,
          ...deadGhosts,
          ...Array.from({ length: ELIGIBLE }, (_, i) => thread(i, NOW - 13 * 3600 - i)),
        ]);
        for (const [ghosts, by] of [
          [remoteGhosts, remote],
          [deadGhosts, dead],
        ] as const) {
          for (const ghost of ghosts) {
            const claim = await by.stage1Jobs.tryClaim({
              threadId: ghost.id,
              workerId: 'ghost',
              sourceUpdatedAt: ghost.updatedAt,
              leaseSeconds: 3600,
            });
            expect(claim.outcome).toBe('claimed');
          }
        }
        const homeId = store.homeId ?? '';
        const liveCount = async (): Promise<number> => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM jobs
            WHERE home_id = $1 AND kind = 'memory_stage1' AND status = 'running' AND lease_until > $2`,
            [homeId, NOW],
          );
          return Number(rows[0]?.n);
        };
        expect(await liveCount()).toBe(REMOTE_GHOSTS + DEAD_GHOSTS);

        let finished = false;
        const run = runWorkers<Stage1ClaimsWorkerResult>({
          script: WORKER,
          count: 8,
          args: (index): Stage1ClaimsWorkerArgs => ({
            url,
            home,
            nowMs: T0,
            index,
            host: index % 2 === 0 ? 'host-a' : 'host-b',
            maxRunning: MAX_RUNNING,
            maxClaimed: MAX_CLAIMED,
            holdMs: 15,
            stuckJobs: REMOTE_GHOSTS,
            sequence: SEQUENCE,
          }),
          timeoutMs: 120_000,
        }).finally(() => {
          finished = true;
        });
        run.catch(() => undefined); // awaited below; not unhandled meanwhile
        // The observer: the parent's own connection, sampling the live count while the children run.
        let sampledMax = 0;
        let samples = 0;
        while (!finished) {
          sampledMax = Math.max(sampledMax, await liveCount());
          samples += 1;
          await sleep(1);
        }
        const results = (await run).map((outcome) => outcome.value);

        const claims = results.flatMap((r) => r.claims);
        const ids = claims.map((c) => c.threadId);
        // No job claimed twice, no token given twice.
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(claims.map((c) => c.token)).size).toBe(claims.length);
        // Every eligible job, and the dead holder's, was processed; the live remote ones never.
        expect([...ids].sort()).toEqual(
          [
            ...Array.from({ length: ELIGIBLE }, (_, i) => idOf(i)),
            ...deadGhosts.map((g) => g.id),
          ].sort(),
        );
        // Both hosts took part.
        for (const host of ['host-a', 'host-b']) {
          expect(
            results.filter((r) => r.host === host).flatMap((r) => r.claims).length,
          ).toBeGreaterThan(0);
        }

        // The cap: never exceeded, measured three ways.
        const surely = maxSurelyLive(claims);
        expect(surely.jobs + REMOTE_GHOSTS).toBeLessThanOrEqual(MAX_RUNNING);
        expect(samples).toBeGreaterThan(0);
        expect(sampledMax).toBeLessThanOrEqual(MAX_RUNNING);
        for (const result of results)
          expect(result.maxRunningSeen).toBeLessThanOrEqual(MAX_RUNNING);
        // And the processes really did hold jobs at once (else the cap proved nothing).
        expect(surely.batches).toBeGreaterThan(1);
        expect(surely.jobs).toBeGreaterThan(MAX_CLAIMED);

        const failed = results.reduce((sum, r) => sum + r.failed, 0);
        expect(failed).toBe(ELIGIBLE / 10);
        const processed = ELIGIBLE + DEAD_GHOSTS;
        expect(await store.memories.jobCounts()).toEqual({
          stage1: {
            running: REMOTE_GHOSTS,
            pending: 0,
            done: processed - failed,
            error: failed,
            exhausted: 0,
          },
          phase2: {
            status: 'pending',
            dirty: true,
            leaseUntil: null,
            holder: null,
            retryAt: null,
            lastError: null,
          },
          outputs: processed - failed,
          disabledThreads: 0,
        });
        // Nothing is left to claim: the failures are in backoff, the remote ghosts hold live leases.
        expect(
          await store.stage1Jobs.claimEligible({
            workerId: 'after',
            scanLimit: 5000,
            maxClaimed: 64,
            maxAgeDays: 30,
            minIdleHours: 12,
            allowedSources: ['cli'],
            leaseSeconds: 3600,
          }),
        ).toEqual([]);
        console.info(
          `stage-1 drain: ${claims.length} claims in ${results.reduce((s, r) => s + r.passes, 0)} passes; ` +
            `at most ${surely.jobs} jobs of ${surely.batches} batches surely live at once ` +
            `(+${REMOTE_GHOSTS} remote), ${sampledMax} sampled (${samples} samples), cap ${MAX_RUNNING}`,
        );
      } finally {
        await client.end();
        for (const s of stores) await s.close();
      }
    });
  },
);
