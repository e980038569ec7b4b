// What the SQLite store writes in its `jobs` rows, and what only raw SQL can set up. The behaviour
// of stage-1 jobs, the phase-2 lock and the memories overview, through the store's interface, is
// stated by the store contract (test-utils `store-contract/stage1-jobs`, `phase2-lock`,
// `memories`), which `store/store-contract.test.ts` runs against this store.
import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { LeaseLostError } from '../errors.js';
import { currentLeaseHolder } from '../leases/lease-holder.js';
import type { JobsTable } from '../store/schema.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { type ThreadMetadata, buildThreadMetadata } from '../threads/thread-metadata.js';
import {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
  MEMORY_CONSOLIDATION_JOB_KEY,
} from './memory-jobs.js';
import {
  type ClaimStage1JobsOptions,
  MAX_RUNNING_STAGE1_JOBS,
  type Stage1ClaimOutcome,
} from './stage1-jobs-repository.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const HOUR = 3_600;
const temp = tempDirs();
let clock: ManualClock;
let store: StateStore;
let home: string;

beforeEach(async () => {
  home = temp.make('home');
  clock = new ManualClock(T0);
  store = await openStateStore({ home, clock });
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

function idOf(n: number): string {
  return `01a1fca2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The reference's `test_thread_metadata`, with an id, an update time and overrides. */
function thread(n: number, overrides: Partial<ThreadMetadata> = {}): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      {
        id: idOf(n),
        rolloutPath: `/home/user/.codex/sessions/rollout-${n}.jsonl`,
        createdAt: 1_700_000_000,
        source: 'cli',
        modelProvider: 'test-provider',
        cliVersion: '0.0.0',
        cwd: `/home/me/src/${n}`,
      },
      { defaultProvider: 'openai' },
    ),
    firstUserMessage: 'hello',
    ...overrides,
  };
}

async function addThreads(...threads: ThreadMetadata[]): Promise<void> {
  await store.threads.upsertMany(threads);
}

/** Runs SQL on a second, raw connection (what Codex's tests do with `sqlx::query`). */
function sqlite<T>(run: (db: Database.Database) => T): T {
  const db = new Database(store.path);
  try {
    db.pragma('busy_timeout = 5000');
    return run(db);
  } finally {
    db.close();
  }
}

function jobRow(threadId: string): JobsTable | undefined {
  return sqlite(
    (db) =>
      db
        .prepare('SELECT * FROM jobs WHERE kind = ? AND job_key = ?')
        .get(JOB_KIND_MEMORY_STAGE1, threadId) as JobsTable | undefined,
  );
}

async function claim(
  threadId: string,
  sourceUpdatedAt: number,
  workerId = 'worker-a',
  maxRunning = 64,
): Promise<Stage1ClaimOutcome> {
  return store.stage1Jobs.tryClaim({
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
  return store.stage1Jobs.markSucceeded({
    threadId,
    ownershipToken,
    sourceUpdatedAt,
    rawMemory: 'raw',
    rolloutSummary,
  });
}

/** Codex's startup parameters (its Rust code of early 2026). */
function startup(overrides: Partial<ClaimStage1JobsOptions> = {}): ClaimStage1JobsOptions {
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

async function claimedIds(overrides: Partial<ClaimStage1JobsOptions> = {}): Promise<string[]> {
  return (await store.stage1Jobs.claimEligible(startup(overrides))).map((c) => c.thread.id);
}

const A = idOf(1);
const B = idOf(2);

describe('constants', () => {
  it("are Codex's values", () => {
    expect(JOB_KIND_MEMORY_STAGE1).toBe('memory_stage1');
    expect(JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL).toBe('memory_consolidate_global');
    expect(MEMORY_CONSOLIDATION_JOB_KEY).toBe('global');
    expect(DEFAULT_RETRY_REMAINING).toBe(3);
    expect(MAX_RUNNING_STAGE1_JOBS).toBe(64);
  });
});

describe('stage-1 job rows', () => {
  beforeEach(() => addThreads(thread(1), thread(2)));

  it('records the job row as Codex does', async () => {
    const token = await claimToken(A, 100);
    expect(jobRow(A)).toEqual({
      kind: 'memory_stage1',
      job_key: A,
      status: 'running',
      worker_id: 'worker-a',
      ownership_token: token,
      started_at: NOW,
      finished_at: null,
      lease_until: NOW + 3600,
      retry_at: null,
      retry_remaining: 3,
      last_error: null,
      input_watermark: 100,
      last_success_watermark: null,
      holder_host: currentLeaseHolder().host,
      holder_pid: process.pid,
      holder_started_at: currentLeaseHolder().startedAt,
    });
    clock.advance(10_000);
    expect(
      await store.stage1Jobs.heartbeat({
        threadId: A,
        ownershipToken: token,
        leaseSeconds: 60,
      }),
    ).toBe(NOW + 10 + 60);
    expect(jobRow(A)?.lease_until).toBe(NOW + 10 + 60);
    expect(await succeed(A, token, 100)).toBe(true);
    expect(jobRow(A)).toMatchObject({
      status: 'done',
      finished_at: NOW + 10,
      lease_until: null,
      last_success_watermark: 100,
    });
    // Finished: no more heartbeats, no second success.
    await expect(
      store.stage1Jobs.heartbeat({ threadId: A, ownershipToken: token, leaseSeconds: 60 }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await succeed(A, token, 100)).toBe(false);
  });

  it('a takeover writes the new worker and token into the row', async () => {
    const first = await claimToken(A, 100);
    sqlite((db) => db.prepare('UPDATE jobs SET lease_until = 0 WHERE job_key = ?').run(A));
    const second = await claimToken(A, 100, 'worker-b');
    expect(second).not.toBe(first);
    expect(jobRow(A)).toMatchObject({ worker_id: 'worker-b', ownership_token: second });
  });

  it("a batch claim records its worker and the thread's update time as the input", async () => {
    await addThreads(thread(4, { updatedAt: NOW - 12 * HOUR - 60 }));
    const claims = await store.stage1Jobs.claimEligible(startup());
    expect(claims.map((c) => c.thread.id)).toEqual([idOf(4)]);
    expect(jobRow(idOf(4))).toMatchObject({
      worker_id: 'startup-worker',
      input_watermark: NOW - 12 * HOUR - 60,
    });
  });

  it('never lets retries go below zero', async () => {
    const token = await claimToken(A, 100);
    sqlite((db) => db.prepare('UPDATE jobs SET retry_remaining = 0 WHERE job_key = ?').run(A));
    expect(
      await store.stage1Jobs.markFailed({
        threadId: A,
        ownershipToken: token,
        reason: 'boom',
        retryDelaySeconds: 0,
      }),
    ).toBe(true);
    expect(jobRow(A)?.retry_remaining).toBe(0);
    expect(
      await store.stage1Jobs.markFailed({
        threadId: A,
        ownershipToken: 'someone-else',
        reason: 'boom',
        retryDelaySeconds: 0,
      }),
    ).toBe(false);
  });
});

describe('stage-1 failures and releases', () => {
  it('a failure records its backoff, retries and error; a newer input clears them', async () => {
    const t = NOW - 13 * HOUR;
    await addThreads(thread(1, { updatedAt: t }), thread(2, { updatedAt: t - 1 }));
    for (const claimed of await store.stage1Jobs.claimEligible(startup())) {
      await store.stage1Jobs.markFailed({
        threadId: claimed.thread.id,
        ownershipToken: claimed.ownershipToken,
        reason: 'model error',
        retryDelaySeconds: 3600,
      });
    }
    expect(jobRow(A)).toMatchObject({
      status: 'error',
      retry_at: NOW + 3600,
      retry_remaining: 2,
      last_error: 'model error',
    });
    await addThreads(thread(2, { updatedAt: t - 1 + 10 })); // B changed: backoff bypassed
    expect(await claimedIds()).toEqual([B]);
    expect(jobRow(B)).toMatchObject({ retry_remaining: 3, retry_at: null, last_error: null });
    await store.stage1Jobs.markSucceededNoOutput({
      threadId: B,
      ownershipToken: jobRow(B)?.ownership_token ?? '',
    });
    clock.advance(3600_000); // A's backoff is over
    expect(await claimedIds()).toEqual([A]);
    expect(jobRow(A)).toMatchObject({ retry_remaining: 2, retry_at: null });
  });

  it('a release clears the lease and keeps the retries in the row', async () => {
    const t = NOW - 13 * HOUR;
    await addThreads(thread(1, { updatedAt: t }));
    // One failure first: the release must keep the retries it had, not refill or spend them.
    const [failed] = await store.stage1Jobs.claimEligible(startup());
    await store.stage1Jobs.markFailed({
      threadId: A,
      ownershipToken: failed?.ownershipToken ?? '',
      reason: 'model error',
      retryDelaySeconds: 0,
    });
    const [claimed] = await store.stage1Jobs.claimEligible(startup({ workerId: 'interrupted' }));
    const ownershipToken = claimed?.ownershipToken ?? '';
    expect(jobRow(A)).toMatchObject({ status: 'running', retry_remaining: 2 });

    expect(await store.stage1Jobs.release({ threadId: A, ownershipToken })).toBe(true);
    expect(jobRow(A)).toMatchObject({
      status: 'pending',
      ownership_token: null,
      lease_until: null,
      retry_at: null,
      retry_remaining: 2,
      last_error: null,
      input_watermark: t,
    });
  });
});

describe('phase-2 lock rows', () => {
  const P2 = { leaseSeconds: 3600 };

  async function claimPhase2(workerId = 'p2-a') {
    const result = await store.phase2Lock.tryClaim({ workerId, ...P2 });
    if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
    return result;
  }

  it('22: the failure fallback updates an unowned running job', async () => {
    await store.phase2Lock.enqueue(100);
    const { ownershipToken } = await claimPhase2();
    sqlite((db) =>
      db
        .prepare('UPDATE jobs SET ownership_token = NULL WHERE kind = ?')
        .run('memory_consolidate_global'),
    );
    const failure = { ownershipToken, reason: 'lost', retryDelaySeconds: 3600 };
    expect(await store.phase2Lock.markFailed(failure)).toBe(false);
    expect(await store.phase2Lock.markFailedIfUnowned(failure)).toBe(true);
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
      outcome: 'not-dirty',
    });
  });
});
