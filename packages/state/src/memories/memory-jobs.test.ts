import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { ErrorCode, LeaseLostError } from '../errors.js';
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
const DAY = 86_400;
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

function countOutputs(): number {
  return sqlite(
    (db) => (db.prepare('SELECT COUNT(*) AS n FROM stage1_outputs').get() as { n: number }).n,
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

describe('stage-1 claims (reference tests 4–7)', () => {
  beforeEach(() => addThreads(thread(1), thread(2)));

  it('4: skips when up to date', async () => {
    const token = await claimToken(A, 100);
    expect(await succeed(A, token, 100)).toBe(true);
    expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
    expect((await claim(A, 101, 'worker-b')).outcome).toBe('claimed');
  });

  it('4b: a no-output success (last_success_watermark) also counts as up to date', async () => {
    const token = await claimToken(A, 100);
    expect(
      await store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
    ).toBe(true);
    expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
    expect(await claim(A, 99, 'worker-b')).toEqual({ outcome: 'up-to-date' });
  });

  it('5: a stale running job can be stolen, a fresh one is skipped', async () => {
    const first = await claimToken(A, 100);
    expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'running' });
    sqlite((db) => db.prepare('UPDATE jobs SET lease_until = 0 WHERE job_key = ?').run(A));
    const second = await claimToken(A, 100, 'worker-b');
    expect(second).not.toBe(first);
    expect(jobRow(A)).toMatchObject({ worker_id: 'worker-b', ownership_token: second });
    // The first owner was fenced off.
    expect(await succeed(A, first, 100)).toBe(false);
    await expect(
      store.stage1Jobs.heartbeat({ threadId: A, ownershipToken: first, leaseSeconds: 60 }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await succeed(A, second, 100)).toBe(true);
  });

  it('5b: a lease expires at its deadline when the clock moves', async () => {
    await claimToken(A, 100);
    clock.advance(3599_000);
    expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'running' });
    clock.advance(1_000);
    expect((await claim(A, 100, 'worker-b')).outcome).toBe('claimed');
  });

  it('6: concurrent claims of one thread are conflict-safe', async () => {
    const second = await openStateStore({ home, clock });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? second : store).stage1Jobs.tryClaim({
            threadId: A,
            workerId: `w${i}`,
            sourceUpdatedAt: 100,
            leaseSeconds: 3600,
          }),
        ),
      );
      expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'running')).toHaveLength(7);
    } finally {
      await second.close();
    }
  });

  it('7: concurrent claims respect the running cap', async () => {
    const outcomes = await Promise.all([claim(A, 100, 'w1', 1), claim(B, 101, 'w2', 1)]);
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'running')).toHaveLength(1);
    // The cap counts live leases only.
    sqlite((db) => db.prepare('UPDATE jobs SET lease_until = ?').run(NOW));
    expect((await claim(B, 101, 'w2', 1)).outcome).toBe('claimed');
  });

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
});

describe('stage-1 candidate selection (reference tests 8–11)', () => {
  it('8: filters by age, idle time and the current thread', async () => {
    await addThreads(
      thread(1, { updatedAt: NOW }), // current
      thread(2, { updatedAt: NOW - HOUR }), // fresh
      thread(3, { updatedAt: NOW - 12 * HOUR + 60 }), // just under idle
      thread(4, { updatedAt: NOW - 12 * HOUR - 60 }), // eligible
      thread(5, { updatedAt: NOW - 31 * DAY }), // old
    );
    const claims = await store.stage1Jobs.claimEligible(
      startup({ scanLimit: 1, maxClaimed: 5, excludeThreadId: idOf(1) }),
    );
    expect(claims.map((c) => c.thread.id)).toEqual([idOf(4)]);
    expect(claims[0]?.thread).toEqual(thread(4, { updatedAt: NOW - 12 * HOUR - 60 }));
    expect(jobRow(idOf(4))).toMatchObject({
      worker_id: 'startup-worker',
      input_watermark: NOW - 12 * HOUR - 60,
    });
  });

  it('9: prefilters threads whose memory is up to date', async () => {
    await addThreads(
      thread(1, { updatedAt: NOW - 13 * HOUR }), // up to date
      thread(2, { updatedAt: NOW - 14 * HOUR }), // stale
    );
    expect(await succeed(A, await claimToken(A, NOW - 13 * HOUR), NOW - 13 * HOUR)).toBe(true);
    expect(await claimedIds({ scanLimit: 1, maxClaimed: 1 })).toEqual([B]);
  });

  it('10: enforces the global running cap', async () => {
    await addThreads(
      ...Array.from({ length: 80 }, (_, i) => thread(i + 1, { updatedAt: NOW - 13 * HOUR - i })),
    );
    for (let i = 1; i <= 10; i += 1) await claimToken(idOf(i), NOW - 13 * HOUR - (i - 1), 'seed');
    const claims = await claimedIds({ scanLimit: 200, maxClaimed: 64 });
    expect(claims).toHaveLength(54);
    expect(claims).toEqual(Array.from({ length: 54 }, (_, i) => idOf(i + 11)));
    expect((await store.memories.jobCounts()).stage1.running).toBe(64);
    expect(await claimedIds({ scanLimit: 200, maxClaimed: 64 })).toEqual([]);
  });

  it('10b: the running cap is maxRunning, not maxClaimed', async () => {
    await addThreads(
      ...Array.from({ length: 30 }, (_, i) => thread(i + 1, { updatedAt: NOW - 13 * HOUR - i })),
    );
    expect(await claimedIds({ maxClaimed: 8 })).toHaveLength(8);
    expect(await claimedIds({ maxClaimed: 8 })).toHaveLength(8);
    expect(await claimedIds({ maxClaimed: 8, maxRunning: 20 })).toHaveLength(4);
    expect(await claimedIds({ maxClaimed: 8, maxRunning: 20 })).toHaveLength(0);
  });

  it('11: processes two full batches across startup passes', async () => {
    await addThreads(
      ...Array.from({ length: 200 }, (_, i) => thread(i + 1, { updatedAt: NOW - 13 * HOUR - i })),
    );
    const first = await store.stage1Jobs.claimEligible(startup());
    expect(first).toHaveLength(64);
    for (const { thread: t, ownershipToken } of first) {
      expect(await succeed(t.id, ownershipToken, t.updatedAt)).toBe(true);
    }
    const second = await claimedIds();
    expect(second).toHaveLength(64);
    expect(second.filter((id) => first.some((c) => c.thread.id === id))).toEqual([]);
    expect(second[0]).toBe(idOf(65));
  });

  it('claims nothing with a zero scan limit or zero max claimed', async () => {
    await addThreads(thread(1, { updatedAt: NOW - 13 * HOUR }));
    expect(await claimedIds({ scanLimit: 0 })).toEqual([]);
    expect(await claimedIds({ maxClaimed: 0 })).toEqual([]);
    expect(jobRow(A)).toBeUndefined();
  });
});

describe('stage-1 selection boundaries', () => {
  it('the 12 h idle and 30 d age edges, at ±1 s', async () => {
    await addThreads(
      thread(1, { updatedAt: NOW - 12 * HOUR + 1 }), // not idle yet
      thread(2, { updatedAt: NOW - 12 * HOUR }), // idle exactly 12 h
      thread(3, { updatedAt: NOW - 12 * HOUR - 1 }),
      thread(4, { updatedAt: NOW - 30 * DAY + 1 }),
      thread(5, { updatedAt: NOW - 30 * DAY }), // exactly 30 days old
      thread(6, { updatedAt: NOW - 30 * DAY - 1 }), // too old
    );
    expect(await claimedIds()).toEqual([idOf(2), idOf(3), idOf(4), idOf(5)]);
  });

  it('skips archived threads, other sources and threads without a user message', async () => {
    const t = NOW - 13 * HOUR;
    await addThreads(
      thread(1, { updatedAt: t, archivedAt: t }),
      thread(2, { updatedAt: t, source: 'exec' }),
      thread(3, { updatedAt: t, firstUserMessage: null }),
      thread(4, { updatedAt: t, source: 'vscode' }),
      thread(5, { updatedAt: t }),
    );
    expect(await claimedIds({ allowedSources: ['cli', 'vscode'], maxClaimed: 1 })).toEqual([
      idOf(5),
    ]);
    expect(await claimedIds({ allowedSources: ['cli', 'vscode'] })).toEqual([idOf(4)]);
    // No source filter: every source.
    expect(await claimedIds({ allowedSources: [] })).toEqual([idOf(2)]);
  });

  it('skips threads whose output is as new as the thread, and takes them back when it changes', async () => {
    const t = NOW - 13 * HOUR;
    await addThreads(thread(1, { updatedAt: t }), thread(2, { updatedAt: t - 10 }));
    for (const [id, at] of [
      [A, t],
      [B, t - 20], // an output older than the thread: stale
    ] as const) {
      expect(await succeed(id, await claimToken(id, at), at)).toBe(true);
    }
    expect(await claimedIds()).toEqual([B]);
    await addThreads(thread(1, { updatedAt: t + 5 })); // the thread changed (still idle)
    expect(await claimedIds()).toEqual([A]);
  });

  it('lifts retry exhaustion when the thread is updated', async () => {
    const t = NOW - 13 * HOUR;
    await addThreads(thread(1, { updatedAt: t }));
    for (let i = 0; i < 3; i += 1) {
      const [claimed] = await store.stage1Jobs.claimEligible(startup());
      expect(claimed?.thread.id).toBe(A);
      expect(
        await store.stage1Jobs.markFailed({
          threadId: A,
          ownershipToken: claimed?.ownershipToken ?? '',
          reason: 'boom',
          retryDelaySeconds: 0,
        }),
      ).toBe(true);
    }
    expect(jobRow(A)).toMatchObject({ status: 'error', retry_remaining: 0 });
    expect(await claimedIds()).toEqual([]);
    await addThreads(thread(1, { updatedAt: t + 60 }));
    expect(await claimedIds()).toEqual([A]);
    expect(jobRow(A)).toMatchObject({ retry_remaining: 3, input_watermark: t + 60 });
  });

  it('backs off after a failure, unless the thread is updated', async () => {
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
    expect(await claimedIds()).toEqual([]);
    expect(await claim(A, t)).toEqual({ outcome: 'retry-backoff' });
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

  it('takes over a stale lease', async () => {
    await addThreads(thread(1, { updatedAt: NOW - 13 * HOUR }));
    const [first] = await store.stage1Jobs.claimEligible(startup({ workerId: 'crashed' }));
    expect(await claimedIds()).toEqual([]);
    clock.advance(3600_000);
    const [second] = await store.stage1Jobs.claimEligible(startup({ workerId: 'next' }));
    expect(second?.thread.id).toBe(A);
    expect(second?.ownershipToken).not.toBe(first?.ownershipToken);
    expect(await succeed(A, first?.ownershipToken ?? '', NOW - 13 * HOUR)).toBe(false);
    expect(await succeed(A, second?.ownershipToken ?? '', NOW - 13 * HOUR)).toBe(true);
  });

  it('is not starved by newer threads it cannot claim', async () => {
    const t = NOW - 13 * HOUR;
    const threads: ThreadMetadata[] = [];
    // 100 recent threads that are not idle yet, and 100 newer idle ones that are busy.
    for (let i = 0; i < 100; i += 1) threads.push(thread(1000 + i, { updatedAt: NOW - i }));
    for (let i = 0; i < 100; i += 1) threads.push(thread(2000 + i, { updatedAt: t - i }));
    const eligible = thread(9999, { updatedAt: t - 1000 });
    await addThreads(...threads, eligible);
    for (let i = 0; i < 100; i += 1) {
      const id = idOf(2000 + i);
      const token = await claimToken(id, t - i, 'busy');
      if (i % 3 === 0) continue; // live lease
      await store.stage1Jobs.markFailed({
        threadId: id,
        ownershipToken: token,
        reason: 'boom',
        retryDelaySeconds: 3600, // in backoff
      });
      if (i % 3 === 2) {
        // out of retries
        sqlite((db) => db.prepare('UPDATE jobs SET retry_remaining = 0 WHERE job_key = ?').run(id));
      }
    }
    const claims = await store.stage1Jobs.claimEligible(startup({ scanLimit: 10, maxClaimed: 16 }));
    expect(claims.map((c) => c.thread.id)).toEqual([eligible.id]);
  });

  it('never claims the excluded thread, and validates its arguments', async () => {
    await addThreads(thread(1, { updatedAt: NOW - 13 * HOUR }));
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
      await expect(store.stage1Jobs.claimEligible(startup(bad))).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
    }
    await expect(claim('nope', 1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

describe('stage-1 outputs and completion (reference tests 12–14)', () => {
  beforeEach(() => addThreads(thread(1), thread(2)));

  it('12: an output is deleted with its thread', async () => {
    expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
    expect(countOutputs()).toBe(1);
    expect(await store.threads.delete(A)).toBe(true);
    expect(countOutputs()).toBe(0);
  });

  it('13: a no-output success tracks the watermark without persisting an output', async () => {
    const token = await claimToken(A, 100);
    expect(
      await store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
    ).toBe(true);
    expect(countOutputs()).toBe(0);
    expect(jobRow(A)).toMatchObject({ status: 'done', last_success_watermark: 100 });
    expect(await claim(A, 100, 'worker-b')).toEqual({ outcome: 'up-to-date' });
    // Nothing was deleted, so the consolidated memory cannot change: phase 2 is not dirtied (the
    // reference's later behaviour; its seed test expected a claim with watermark 100 here).
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 })).toEqual({
      outcome: 'not-dirty',
    });
  });

  it('13b: a no-output success deletes an older output and dirties phase 2', async () => {
    expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
    const first = await store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 });
    if (first.outcome !== 'claimed') throw new Error('expected a phase-2 claim');
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: first.ownershipToken,
        completedWatermark: 100,
      }),
    ).toBe(true);

    const token = await claimToken(A, 200);
    expect(
      await store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
    ).toBe(true);
    expect(countOutputs()).toBe(0);
    const second = await store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 });
    expect(second).toMatchObject({ outcome: 'claimed', inputWatermark: 200 });
    if (second.outcome !== 'claimed') return;
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: second.ownershipToken,
        completedWatermark: second.inputWatermark,
      }),
    ).toBe(true);
    // A lost lease writes nothing.
    expect(
      await store.stage1Jobs.markSucceededNoOutput({ threadId: A, ownershipToken: token }),
    ).toBe(false);
  });

  it('14: retry exhaustion does not block a newer watermark', async () => {
    for (let i = 0; i < 3; i += 1) {
      const token = await claimToken(A, 100);
      expect(
        await store.stage1Jobs.markFailed({
          threadId: A,
          ownershipToken: token,
          reason: 'boom',
          retryDelaySeconds: 0,
        }),
      ).toBe(true);
    }
    expect(await claim(A, 100)).toEqual({ outcome: 'retry-exhausted' });
    expect((await claim(A, 101)).outcome).toBe('claimed');
    expect(jobRow(A)).toMatchObject({ retry_remaining: 3, input_watermark: 101 });
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

  it('keeps a newer output when an older one arrives, and stores the slug', async () => {
    await store.stage1Jobs.markSucceeded({
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
      await store.stage1Jobs.markSucceeded({
        threadId: A,
        ownershipToken: token,
        sourceUpdatedAt: 150, // older than the stored output: the output stays
        rawMemory: 'raw 150',
        rolloutSummary: 'summary 150',
      }),
    ).toBe(true);
    expect(jobRow(A)).toMatchObject({ status: 'done', last_success_watermark: 300 });
    expect(await store.memories.listStage1Outputs({ limit: 10 })).toEqual([
      {
        threadId: A,
        sourceUpdatedAt: 200,
        rawMemory: 'raw 200',
        rolloutSummary: 'summary 200',
        rolloutSlug: 'fix-flaky-test',
        generatedAt: NOW,
        cwd: '/home/me/src/1',
      },
    ]);
  });

  it('drops the output of a thread deleted during extraction', async () => {
    const token = await claimToken(A, 100);
    await store.threads.delete(A);
    expect(await succeed(A, token, 100)).toBe(true);
    expect(countOutputs()).toBe(0);
    expect(jobRow(A)?.status).toBe('done');
  });
});

describe('phase 2 and outputs (reference tests 15–22)', () => {
  const P2 = { leaseSeconds: 3600 };

  async function claimPhase2(workerId = 'p2-a') {
    const result = await store.phase2Lock.tryClaim({ workerId, ...P2 });
    if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
    return result;
  }

  it('15: global consolidation runs again when the watermark advances', async () => {
    await store.phase2Lock.enqueue(100);
    const first = await claimPhase2();
    expect(first.inputWatermark).toBe(100);
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: first.ownershipToken,
        completedWatermark: 100,
      }),
    ).toBe(true);
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
      outcome: 'not-dirty',
    });
    await store.phase2Lock.enqueue(101);
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toMatchObject({
      outcome: 'claimed',
      inputWatermark: 101,
    });
  });

  it('16: lists the latest outputs first, each with its cwd', async () => {
    await addThreads(thread(1), thread(2));
    expect(await succeed(A, await claimToken(A, 100), 100, 'summary a')).toBe(true);
    expect(await succeed(B, await claimToken(B, 101), 101, 'summary b')).toBe(true);
    const outputs = await store.memories.listStage1Outputs({ limit: 10 });
    expect(outputs.map((o) => [o.threadId, o.rolloutSummary, o.cwd])).toEqual([
      [B, 'summary b', '/home/me/src/2'],
      [A, 'summary a', '/home/me/src/1'],
    ]);
    expect(await store.memories.listStage1Outputs({ limit: 1 })).toHaveLength(1);
    expect(await store.memories.listStage1Outputs({ limit: 0 })).toEqual([]);
  });

  it('17: skips outputs with empty payloads', async () => {
    await addThreads(thread(1), thread(2));
    sqlite((db) => {
      const insert = db.prepare(
        'INSERT INTO stage1_outputs (thread_id, source_updated_at, raw_memory, rollout_summary, generated_at) VALUES (?, ?, ?, ?, ?)',
      );
      insert.run(A, 101, '   ', '', NOW); // newer, but blank (SQLite's trim(): spaces)
      insert.run(B, 100, 'raw memory', '', NOW);
    });
    const outputs = await store.memories.listStage1Outputs({ limit: 1 });
    expect(outputs.map((o) => o.threadId)).toEqual([B]);
    expect(outputs[0]?.rolloutSlug).toBeNull();
  });

  it('18: a stage-1 success enqueues global consolidation', async () => {
    await addThreads(thread(1), thread(2));
    expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
    expect(await succeed(B, await claimToken(B, 101), 101)).toBe(true);
    expect((await claimPhase2()).inputWatermark).toBe(101);
  });

  it('19: the global lock allows only one fresh runner', async () => {
    await store.phase2Lock.enqueue(200);
    await claimPhase2('p2-a');
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
      outcome: 'running',
    });
  });

  it('20: a stale global lock is taken over', async () => {
    await store.phase2Lock.enqueue(300);
    const a = await claimPhase2('p2-a');
    sqlite((db) =>
      db
        .prepare('UPDATE jobs SET lease_until = ? WHERE kind = ?')
        .run(NOW - 1, 'memory_consolidate_global'),
    );
    const b = await claimPhase2('p2-b');
    expect(b.ownershipToken).not.toBe(a.ownershipToken);
    expect(b.inputWatermark).toBe(300);
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: a.ownershipToken,
        completedWatermark: 300,
      }),
    ).toBe(false);
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: b.ownershipToken,
        completedWatermark: 300,
      }),
    ).toBe(true);
  });

  it('21: backfilled inputs below the last success still make it dirty', async () => {
    await store.phase2Lock.enqueue(500);
    const first = await claimPhase2();
    expect(first.inputWatermark).toBe(500);
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: first.ownershipToken,
        completedWatermark: 500,
      }),
    ).toBe(true);
    await store.phase2Lock.enqueue(400);
    expect((await claimPhase2()).inputWatermark).toBeGreaterThan(500);
  });

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

  it('heartbeats, fails with backoff and retries, and stays dirty when inputs arrive mid-run', async () => {
    await store.phase2Lock.enqueue(100);
    const first = await claimPhase2();
    clock.advance(3000_000);
    expect(
      await store.phase2Lock.heartbeat({
        ownershipToken: first.ownershipToken,
        leaseSeconds: 3600,
      }),
    ).toBe(NOW + 3000 + 3600);
    clock.advance(3000_000); // past the first lease, within the renewed one
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-b', ...P2 })).toEqual({
      outcome: 'running',
    });
    // An input arrives during the run: the job stays running, and dirty after its success.
    await store.phase2Lock.enqueue(150);
    expect((await store.memories.jobCounts()).phase2.status).toBe('running');
    expect(
      await store.phase2Lock.markSucceeded({
        ownershipToken: first.ownershipToken,
        completedWatermark: first.inputWatermark,
      }),
    ).toBe(true);
    const second = await claimPhase2('p2-b');
    expect(second.inputWatermark).toBe(150);

    expect(
      await store.phase2Lock.markFailed({
        ownershipToken: second.ownershipToken,
        reason: 'agent failed',
        retryDelaySeconds: 600,
      }),
    ).toBe(true);
    const counts = await store.memories.jobCounts();
    expect(counts.phase2).toEqual({
      status: 'error',
      dirty: true,
      leaseUntil: null,
      holder: null,
      retryAt: NOW + 6000 + 600,
      lastError: 'agent failed',
    });
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2-c', ...P2 })).toEqual({
      outcome: 'not-dirty',
    });
    clock.advance(600_000);
    const third = await claimPhase2('p2-c');
    expect(third.inputWatermark).toBe(150);
    await expect(
      store.phase2Lock.heartbeat({ ownershipToken: second.ownershipToken, leaseSeconds: 3600 }),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('an enqueue lifts the backoff and re-arms the retries', async () => {
    await store.phase2Lock.enqueue(100);
    for (let i = 0; i < 3; i += 1) {
      const { ownershipToken } = await claimPhase2();
      expect(
        await store.phase2Lock.markFailed({
          ownershipToken,
          reason: 'x',
          retryDelaySeconds: 0,
        }),
      ).toBe(true);
    }
    expect(await store.phase2Lock.tryClaim({ workerId: 'p2', ...P2 })).toEqual({
      outcome: 'not-dirty',
    });
    await store.phase2Lock.enqueue(100); // older or equal: watermark + 1
    expect((await claimPhase2()).inputWatermark).toBe(101);
  });
});

describe('status and clearing', () => {
  it('counts stage-1 jobs by state, the phase-2 job and the outputs', async () => {
    const empty = await store.memories.jobCounts();
    expect(empty).toEqual({
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

    await addThreads(...Array.from({ length: 6 }, (_, i) => thread(i + 1)));
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, i) => claimToken(idOf(i + 1), 100)),
    );
    const fail = (i: number, retryDelaySeconds: number) =>
      store.stage1Jobs.markFailed({
        threadId: idOf(i + 1),
        ownershipToken: tokens[i] ?? '',
        reason: 'boom',
        retryDelaySeconds,
      });
    expect(await succeed(idOf(1), tokens[0] ?? '', 100)).toBe(true); // done
    expect(await fail(1, 3600)).toBe(true); // error (backoff)
    expect(await fail(2, 0)).toBe(true); // pending (backoff over)
    expect(await fail(3, 3600)).toBe(true);
    sqlite((db) =>
      db.prepare('UPDATE jobs SET retry_remaining = 0 WHERE job_key = ?').run(idOf(4)),
    );
    sqlite((db) =>
      db.prepare('UPDATE jobs SET lease_until = ? WHERE job_key = ?').run(NOW, idOf(5)),
    ); // stale: pending
    // idOf(6) keeps its live lease: running
    const counts = await store.memories.jobCounts();
    expect(counts).toEqual({
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

    const claimed = await store.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 60 });
    expect(claimed.outcome).toBe('claimed');
    expect((await store.memories.jobCounts()).phase2).toMatchObject({
      status: 'running',
      leaseUntil: NOW + 60,
      holder: currentLeaseHolder(),
    });
  });

  it('clears outputs and both job kinds in one go, fencing off running workers', async () => {
    await addThreads(thread(1), thread(2));
    expect(await succeed(A, await claimToken(A, 100), 100)).toBe(true);
    const running = await claimToken(B, 100);
    expect(await store.memories.clearMemories()).toEqual({ outputs: 1, jobs: 3 });
    expect(countOutputs()).toBe(0);
    expect(await succeed(B, running, 100)).toBe(false);
    expect(await store.memories.jobCounts()).toMatchObject({
      stage1: { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 },
      phase2: { status: null },
      outputs: 0,
    });
    // Everything is claimable again.
    expect((await claim(A, 100)).outcome).toBe('claimed');
  });
});

describe('giving claims back (interrupted work)', () => {
  it('releases a stage-1 claim without using a retry, a backoff or an error', async () => {
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
    expect((await store.memories.jobCounts()).stage1).toMatchObject({ pending: 1, running: 0 });
    // The old token is fenced off: it can neither finish nor release the job again.
    expect(await succeed(A, ownershipToken, t)).toBe(false);
    expect(await store.stage1Jobs.release({ threadId: A, ownershipToken })).toBe(false);
    // Claimable at once, by anyone, at the same clock time.
    expect(await claimedIds({ workerId: 'next' })).toEqual([A]);
  });

  it('releases only a running stage-1 job that the token owns', async () => {
    await addThreads(thread(1), thread(2));
    const token = await claimToken(A, 100);
    expect(await store.stage1Jobs.release({ threadId: A, ownershipToken: 'other' })).toBe(false);
    expect(await store.stage1Jobs.release({ threadId: B, ownershipToken: token })).toBe(false);
    expect(await succeed(A, token, 100)).toBe(true);
    expect(await store.stage1Jobs.release({ threadId: A, ownershipToken: token })).toBe(false);
    expect(jobRow(A)?.status).toBe('done');
    // A lease taken over by another worker cannot be released by the first one.
    const stale = await claimToken(B, 100, 'crashed');
    clock.advance(3600_000);
    const fresh = await claimToken(B, 100, 'next');
    expect(await store.stage1Jobs.release({ threadId: B, ownershipToken: stale })).toBe(false);
    expect(jobRow(B)).toMatchObject({ status: 'running', ownership_token: fresh });
    await expect(
      store.stage1Jobs.release({ threadId: A, ownershipToken: '' }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });

  it('releases the phase-2 lock still dirty, without a retry, a backoff or an error', async () => {
    await store.phase2Lock.enqueue(100);
    const claim = await store.phase2Lock.tryClaim({ workerId: 'p2-a', leaseSeconds: 3600 });
    if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);
    const { ownershipToken } = claim;

    expect(await store.phase2Lock.release({ ownershipToken: 'other' })).toBe(false);
    expect(await store.phase2Lock.release({ ownershipToken })).toBe(true);
    expect((await store.memories.jobCounts()).phase2).toEqual({
      status: 'pending',
      dirty: true,
      leaseUntil: null,
      holder: null,
      retryAt: null,
      lastError: null,
    });
    expect(await store.phase2Lock.release({ ownershipToken })).toBe(false);
    expect(await store.phase2Lock.markSucceeded({ ownershipToken, completedWatermark: 100 })).toBe(
      false,
    );
    await expect(
      store.phase2Lock.heartbeat({ ownershipToken, leaseSeconds: 3600 }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    // Released three times in a row: no retry was used, the next claim still gets the lock.
    for (let i = 0; i < 3; i += 1) {
      const again = await store.phase2Lock.tryClaim({ workerId: 'p2-b', leaseSeconds: 3600 });
      if (again.outcome !== 'claimed') throw new Error(`expected a claim, got ${again.outcome}`);
      expect(again.inputWatermark).toBe(100);
      expect(await store.phase2Lock.release({ ownershipToken: again.ownershipToken })).toBe(true);
    }
    expect(
      sqlite(
        (db) =>
          db
            .prepare('SELECT retry_remaining FROM jobs WHERE kind = ?')
            .get(JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL) as { retry_remaining: number },
      ).retry_remaining,
    ).toBe(DEFAULT_RETRY_REMAINING);
  });
});
