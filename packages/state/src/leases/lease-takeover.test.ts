// Every claim path (backfill lease, stage-1 job, phase-2 lock) records its holder and takes the
// live lease of a dead holder over at once; a live holder, or one on another host, keeps it until
// it runs out. Two stores on one home stand for two processes, each with its own probe.
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { LeaseHeldError } from '../errors.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { type ThreadMetadata, buildThreadMetadata } from '../threads/thread-metadata.js';
import { holderProbe } from './lease-holder-probe.fixture.js';
import type { LeaseHolderProbe } from './lease-holder.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const temp = tempDirs();

/** Holders of the same host that died, by pid. */
const deadPids = new Set<number>();

/** A probe for a process `pid` on `host`, which sees the holders in {@link deadPids} as dead. */
function probe(host: string, pid: number): LeaseHolderProbe {
  return holderProbe(host, pid, deadPids);
}

let clock: ManualClock;
let home: string;
/** The first holder: pid 100 on host `h`. */
let first: StateStore;
/** A claimant on the same host: pid 200 on `h`. */
let sameHost: StateStore;
/** A claimant on another host sharing the home: pid 300 on `other`. */
let otherHost: StateStore;

beforeEach(async () => {
  deadPids.clear();
  home = temp.make('home');
  clock = new ManualClock(T0);
  first = await openStateStore({ home, clock, holderProbe: probe('h', 100) });
  sameHost = await openStateStore({ home, clock, holderProbe: probe('h', 200) });
  otherHost = await openStateStore({ home, clock, holderProbe: probe('other', 300) });
});
afterEach(async () => {
  await Promise.all([first.close(), sameHost.close(), otherHost.close()]);
  temp.cleanup();
});

function thread(n: number): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      {
        id: `01a1fca2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`,
        rolloutPath: `/home/me/.codex/sessions/rollout-${n}.jsonl`,
        createdAt: NOW - 2 * 86_400,
        source: 'cli',
      },
      { defaultProvider: 'openai' },
    ),
    updatedAt: NOW - 13 * 3_600 - n,
    firstUserMessage: 'hello',
  };
}

describe('the backfill lease', () => {
  it('records its holder, when it was claimed and the progress the holder reports', async () => {
    const claim = await first.backfill.tryClaim({ leaseSeconds: 120 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    const holder = { host: 'h', pid: 100, startedAt: 'start-100' };
    expect(await sameHost.backfill.get()).toMatchObject({
      status: 'running',
      holder,
      holderDead: false,
      claimedAt: NOW,
      progress: null,
    });
    clock.advance(5_000);
    let lease = await first.backfill.heartbeat(claim.lease, { progress: { done: 0, total: 10 } });
    expect((await sameHost.backfill.get()).progress).toEqual({ done: 0, total: 10 });
    lease = await first.backfill.checkpoint(lease, 'sessions/a.jsonl', {
      progress: { done: 4, total: 10 },
    });
    lease = await first.backfill.heartbeat(lease);
    expect(await sameHost.backfill.get()).toMatchObject({
      progress: { done: 4, total: 10 },
      claimedAt: NOW,
      leaseUntil: NOW + 5 + 120,
    });
    await expect(
      first.backfill.heartbeat(lease, { progress: { done: -1, total: 10 } }),
    ).rejects.toMatchObject({ argument: 'progress.done' });

    await first.backfill.release(lease);
    expect(await sameHost.backfill.get()).toMatchObject({
      status: 'pending',
      holder: null,
      claimedAt: null,
      progress: null,
    });
  });

  it('a live holder keeps it; a dead one on this host loses it at once, without moving the clock', async () => {
    const claim = await first.backfill.tryClaim({ leaseSeconds: 120 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    const held = await sameHost.backfill.tryClaim({ leaseSeconds: 120 });
    expect(held).toEqual({
      outcome: 'held',
      leaseUntil: NOW + 120,
      holder: { host: 'h', pid: 100, startedAt: 'start-100' },
    });
    expect(
      new LeaseHeldError('the backfill', { holder: held.outcome === 'held' ? held.holder : null })
        .message,
    ).toBe('the backfill is held by another process (pid 100 on host h)');

    deadPids.add(100);
    // Another host cannot tell: it waits for the lease to run out.
    expect((await otherHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('held');
    expect(await sameHost.backfill.get()).toMatchObject({
      holderDead: true,
      leaseUntil: NOW + 120,
    });
    const takeover = await sameHost.backfill.tryClaim({ leaseSeconds: 120 });
    expect(takeover.outcome).toBe('claimed');
    expect(await otherHost.backfill.get()).toMatchObject({
      holder: { host: 'h', pid: 200 },
      holderDead: false,
    });
    // The dead holder was fenced off.
    await expect(first.backfill.heartbeat(claim.lease)).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
  });

  it('a holder on another host keeps it until it runs out', async () => {
    const claim = await otherHost.backfill.tryClaim({ leaseSeconds: 120 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    deadPids.add(300); // a pid of that number died here: says nothing about the other host
    expect((await sameHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('held');
    clock.advance(120_000);
    expect((await sameHost.backfill.tryClaim({ leaseSeconds: 120 })).outcome).toBe('claimed');
  });
});

describe('stage-1 jobs', () => {
  const a = thread(1);
  const b = thread(2);
  const startup = {
    scanLimit: 100,
    maxClaimed: 10,
    maxAgeDays: 30,
    minIdleHours: 12,
    leaseSeconds: 3600,
  };

  beforeEach(async () => {
    await first.threads.upsertMany([a, b]);
  });

  it('a dead holder’s job is claimed at once, by a single claim or a batch; a live one is not', async () => {
    const token = await first.stage1Jobs.tryClaim({
      threadId: a.id,
      workerId: 'w1',
      sourceUpdatedAt: a.updatedAt,
      leaseSeconds: 3600,
    });
    if (token.outcome !== 'claimed') throw new Error(token.outcome);
    const retry = {
      threadId: a.id,
      workerId: 'w2',
      sourceUpdatedAt: a.updatedAt,
      leaseSeconds: 3600,
    };
    expect(await sameHost.stage1Jobs.tryClaim(retry)).toEqual({ outcome: 'running' });
    expect(
      (await sameHost.stage1Jobs.claimEligible({ ...startup, workerId: 'w2' })).map(
        (c) => c.thread.id,
      ),
    ).toEqual([b.id]);

    deadPids.add(100);
    expect(await otherHost.stage1Jobs.tryClaim({ ...retry, workerId: 'w3' })).toEqual({
      outcome: 'running',
    });
    expect((await sameHost.stage1Jobs.tryClaim(retry)).outcome).toBe('claimed');
    expect(
      await first.stage1Jobs.markSucceeded({
        threadId: a.id,
        ownershipToken: token.ownershipToken,
        sourceUpdatedAt: a.updatedAt,
        rawMemory: 'r',
        rolloutSummary: 's',
      }),
    ).toBe(false);
  });

  it('a batch claim frees the dead holder’s jobs first, and they stop counting against the cap', async () => {
    const claimed = await first.stage1Jobs.claimEligible({
      ...startup,
      workerId: 'w1',
      maxRunning: 2,
    });
    expect(claimed).toHaveLength(2);
    expect(
      await sameHost.stage1Jobs.claimEligible({ ...startup, workerId: 'w2', maxRunning: 2 }),
    ).toEqual([]);
    deadPids.add(100);
    const taken = await sameHost.stage1Jobs.claimEligible({
      ...startup,
      workerId: 'w2',
      maxRunning: 2,
    });
    expect(taken.map((c) => c.thread.id).sort()).toEqual([a.id, b.id].sort());
    expect((await sameHost.memories.jobCounts()).stage1.running).toBe(2);
  });
});

describe('the phase-2 lock', () => {
  it('records its holder; a dead holder’s lock is claimed at once, a live or remote one is not', async () => {
    await first.phase2Lock.enqueue(100);
    const claim = await first.phase2Lock.tryClaim({ workerId: 'p1', leaseSeconds: 3600 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    expect((await sameHost.memories.jobCounts()).phase2).toMatchObject({
      status: 'running',
      holder: { host: 'h', pid: 100, startedAt: 'start-100' },
    });
    expect(
      (await sameHost.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 })).outcome,
    ).toBe('running');

    deadPids.add(100);
    expect(
      (await otherHost.phase2Lock.tryClaim({ workerId: 'p3', leaseSeconds: 3600 })).outcome,
    ).toBe('running');
    const takeover = await sameHost.phase2Lock.tryClaim({ workerId: 'p2', leaseSeconds: 3600 });
    expect(takeover).toMatchObject({ outcome: 'claimed', inputWatermark: 100 });
    expect((await first.memories.jobCounts()).phase2.holder).toMatchObject({ host: 'h', pid: 200 });
    expect(
      await first.phase2Lock.markSucceeded({
        ownershipToken: claim.ownershipToken,
        completedWatermark: 100,
      }),
    ).toBe(false);
  });
});

describe('the watcher lease', () => {
  it('is held by one watcher; released, expired or its holder dead, the next takes it', async () => {
    const claim = await first.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
    expect(claim).toMatchObject({ outcome: 'claimed', leaseUntil: NOW + 30 });
    if (claim.outcome !== 'claimed') throw new Error('not claimed');
    await expect(
      sameHost.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 }),
    ).resolves.toEqual({
      outcome: 'held',
      leaseUntil: NOW + 30,
      holder: expect.objectContaining({ host: 'h', pid: 100 }) as unknown,
    });

    // Renewed, it outlives its first deadline; released, it is free at once.
    clock.advance(20_000);
    await expect(
      first.watchLease.heartbeat({ ownershipToken: claim.ownershipToken, leaseSeconds: 30 }),
    ).resolves.toBe(NOW + 50);
    clock.advance(20_000);
    expect((await otherHost.watchLease.tryClaim({ workerId: 'w', leaseSeconds: 30 })).outcome).toBe(
      'held',
    );
    await expect(first.watchLease.release({ ownershipToken: claim.ownershipToken })).resolves.toBe(
      true,
    );
    const next = await otherHost.watchLease.tryClaim({ workerId: 'w', leaseSeconds: 30 });
    expect(next.outcome).toBe('claimed');

    // A holder on another host keeps it until it runs out; then it is anyone's.
    expect((await sameHost.watchLease.tryClaim({ workerId: 'w', leaseSeconds: 30 })).outcome).toBe(
      'held',
    );
    clock.advance(30_000);
    const third = await sameHost.watchLease.tryClaim({ workerId: 'w', leaseSeconds: 30 });
    expect(third.outcome).toBe('claimed');
    if (next.outcome === 'claimed') {
      await expect(
        otherHost.watchLease.heartbeat({ ownershipToken: next.ownershipToken, leaseSeconds: 30 }),
      ).rejects.toThrow(/lost/);
    }

    // Its holder (pid 200 on this host) dies: taken over without moving the clock.
    deadPids.add(200);
    expect((await first.watchLease.tryClaim({ workerId: 'w', leaseSeconds: 30 })).outcome).toBe(
      'claimed',
    );
  });
});
