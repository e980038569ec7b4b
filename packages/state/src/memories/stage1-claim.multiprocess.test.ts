import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { type WorkerOutcome, runWorkers, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { type ThreadMetadata, buildThreadMetadata } from '../threads/thread-metadata.js';
import type { Stage1WorkerArgs, Stage1WorkerResult } from './stage1-claim.worker.js';

const WORKER = fileURLToPath(new URL('./stage1-claim.worker.ts', import.meta.url));
const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const ELIGIBLE = 500;
const GHOSTS = 10;
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

/**
 * A home with 500 eligible threads (idle for 13 h and more) and, newer than all of them, 10
 * threads whose stage-1 jobs are held by a worker that never finishes (live leases).
 */
async function seededHome(): Promise<{ home: string; store: StateStore; ghosts: string[] }> {
  const home = temp.make('home');
  const store = await openStateStore({ home, clock: new ManualClock(T0) });
  const ghosts = Array.from({ length: GHOSTS }, (_, i) => thread(10_000 + i, NOW - 13 * 3600 + 60));
  await store.threads.upsertMany([
    ...ghosts,
    ...Array.from({ length: ELIGIBLE }, (_, i) => thread(i, NOW - 13 * 3600 - i)),
  ]);
  for (const ghost of ghosts) {
    const claim = await store.stage1Jobs.tryClaim({
      threadId: ghost.id,
      workerId: 'ghost',
      sourceUpdatedAt: ghost.updatedAt,
      leaseSeconds: 3600,
    });
    expect(claim.outcome).toBe('claimed');
  }
  return { home, store, ghosts: ghosts.map((g) => g.id) };
}

function race(home: string, mode: Stage1WorkerArgs['mode'], threadId?: string) {
  return runWorkers<Stage1WorkerResult>({
    script: WORKER,
    count: 8,
    args: (index): Stage1WorkerArgs => ({
      home,
      nowMs: T0,
      index,
      mode,
      threadId,
      stuckJobs: GHOSTS,
    }),
    timeoutMs: 50_000,
  });
}

function batches(outcomes: Array<WorkerOutcome<Stage1WorkerResult>>) {
  return outcomes.map(({ value, stderr }) => {
    if (value.mode === 'one') throw new Error('unexpected result');
    expect(stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
    return value;
  });
}

describe('stage-1 claims across 8 real processes', () => {
  it('exactly one process claims a contested thread', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home, clock: new ManualClock(T0) });
    await store.threads.upsert(thread(1, NOW - 13 * 3600));
    const outcomes = await race(home, 'one', idOf(1));
    expect(outcomes.map((o) => (o.value.mode === 'one' ? o.value.outcome : '')).sort()).toEqual([
      'claimed',
      ...Array<string>(7).fill('running'),
    ]);
    await store.close();
  });

  it('one concurrent pass each fills the global cap exactly, and no further', async () => {
    const { home, store, ghosts } = await seededHome();
    const results = batches(await race(home, 'batch'));
    const claimed = results.flatMap((r) => r.claims.map((c) => c.threadId));
    // 8 × 16 wanted, 64 − 10 free: whatever the interleaving, exactly 54 claims.
    expect(claimed).toHaveLength(64 - GHOSTS);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.filter((id) => ghosts.includes(id))).toEqual([]);
    for (const result of results) {
      expect(result.claims.length).toBeLessThanOrEqual(16);
      expect(result.maxRunningSeen).toBeLessThanOrEqual(64);
    }
    expect((await store.memories.jobCounts()).stage1.running).toBe(64);
    await store.close();
  });

  it('drain: never more than 64 running, no thread claimed twice, every thread processed', async () => {
    const { home, store, ghosts } = await seededHome();

    // The observer: a second connection (this process's) polling while the children run.
    let finished = false;
    const run = race(home, 'drain').finally(() => {
      finished = true;
    });
    run.catch(() => undefined); // awaited below; do not report it as unhandled meanwhile
    let maxObserved = 0;
    let samples = 0;
    while (!finished) {
      const { stage1 } = await store.memories.jobCounts();
      maxObserved = Math.max(maxObserved, stage1.running);
      samples += 1;
      await sleep(1);
    }
    const results = batches(await run);

    expect(samples).toBeGreaterThan(0);
    expect(maxObserved).toBeLessThanOrEqual(64);
    for (const result of results) {
      expect(result.maxRunningSeen).toBeLessThanOrEqual(64);
      // Read right after the process's own claims, which it still held (plus the ghosts).
      if (result.claims.length > 0) expect(result.maxRunningSeen).toBeGreaterThan(GHOSTS);
    }

    const claims = results.flatMap((r) => r.claims);
    const claimedIds = claims.map((c) => c.threadId);
    expect(new Set(claimedIds).size).toBe(claimedIds.length); // no thread claimed twice
    expect(new Set(claims.map((c) => c.token)).size).toBe(claims.length);
    expect([...claimedIds].sort()).toEqual(
      Array.from({ length: ELIGIBLE }, (_, i) => idOf(i)).sort(),
    );
    expect(claimedIds.filter((id) => ghosts.includes(id))).toEqual([]);

    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    expect(failed).toBe(ELIGIBLE / 10);
    expect(await store.memories.jobCounts()).toEqual({
      stage1: { running: GHOSTS, pending: 0, done: ELIGIBLE - failed, error: failed, exhausted: 0 },
      phase2: {
        status: 'pending',
        dirty: true,
        leaseUntil: null,
        holder: null,
        retryAt: null,
        lastError: null,
      },
      outputs: ELIGIBLE - failed,
      disabledThreads: 0,
    });
    // Nothing is left to claim: the failures are in backoff, the ghosts hold live leases.
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
    await store.close();
  });
});
