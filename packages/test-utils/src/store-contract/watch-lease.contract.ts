import { ErrorCode, ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;

/** The contract of `store.watchLease`: one watcher per home, renewed, released, expired. */
export function describeWatchLeaseContract(factory: StoreContractFactory): void {
  describe('watcher lease', () => {
    let clock = new ManualClock(T0);
    const h = useContractStore(factory, () => (clock = new ManualClock(T0)));

    it('is held by one claimant at a time until released', async () => {
      const other = await h.reopen({ clock });
      const claim = await h.store.watchLease.tryClaim({ workerId: 'a', leaseSeconds: 60 });
      expect(claim).toMatchObject({ outcome: 'claimed', leaseUntil: T0 / 1000 + 60 });
      if (claim.outcome !== 'claimed') return;
      expect(await other.watchLease.tryClaim({ workerId: 'b', leaseSeconds: 60 })).toMatchObject({
        outcome: 'held',
        leaseUntil: T0 / 1000 + 60,
      });
      await expect(
        h.store.watchLease.release({ ownershipToken: claim.ownershipToken }),
      ).resolves.toBe(true);
      await expect(
        h.store.watchLease.release({ ownershipToken: claim.ownershipToken }),
      ).resolves.toBe(false);
      expect((await other.watchLease.tryClaim({ workerId: 'b', leaseSeconds: 60 })).outcome).toBe(
        'claimed',
      );
    });

    it('is renewed by its holder, and lost to another once it runs out', async () => {
      const other = await h.reopen({ clock });
      const claim = await h.store.watchLease.tryClaim({ workerId: 'a', leaseSeconds: 60 });
      if (claim.outcome !== 'claimed') throw new Error('not claimed');
      clock.advance(50_000);
      await expect(
        h.store.watchLease.heartbeat({ ownershipToken: claim.ownershipToken, leaseSeconds: 60 }),
      ).resolves.toBe(T0 / 1000 + 110);
      clock.advance(50_000);
      expect((await other.watchLease.tryClaim({ workerId: 'b', leaseSeconds: 60 })).outcome).toBe(
        'held',
      );
      clock.advance(10_000);
      expect((await other.watchLease.tryClaim({ workerId: 'b', leaseSeconds: 60 })).outcome).toBe(
        'claimed',
      );
      await expect(
        h.store.watchLease.heartbeat({ ownershipToken: claim.ownershipToken, leaseSeconds: 60 }),
      ).rejects.toMatchObject({
        code: ErrorCode.LeaseLost,
        message: expect.stringMatching(/^watcher lease/) as unknown,
      });
    });
  });
}
