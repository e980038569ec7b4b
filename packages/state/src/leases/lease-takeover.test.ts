// The watcher lease records its holder and takes the live lease of a dead holder over at once; a
// live holder, or one on another host, keeps it until it runs out. Two stores on one home stand for
// two processes, each with its own probe. The backfill lease, stage-1 jobs and the phase-2 lock do
// the same; the store contract states it for them (test-utils `store-contract/`, run by
// `store/store-contract.test.ts`).
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
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
