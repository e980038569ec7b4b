import { ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { type StoreContractFactory, useContractStore } from './store-contract.js';

/** The contract of `store.discrepancies` (see `DiscrepancyStore`). */
export function describeDiscrepanciesContract(factory: StoreContractFactory): void {
  describe('discrepancies', () => {
    let clock: ManualClock;
    const h = useContractStore(factory, () => (clock = new ManualClock(1_800_000_000_000)));

    it('counts each stage and reason, remembering the first and last time and the last thread', async () => {
      const { store } = h;
      await store.discrepancies.record({
        stage: 'list_threads_db',
        reason: 'stale_db_path_dropped',
        threadId: 'a',
      });
      clock.advance(5_000);
      await store.discrepancies.record({
        stage: 'list_threads_db',
        reason: 'stale_db_path_dropped',
        threadId: 'b',
        path: '/p',
      });
      await store.discrepancies.record({ stage: 'reconcile', reason: 'missing_row' });
      expect(await store.discrepancies.counts()).toEqual([
        {
          stage: 'list_threads_db',
          reason: 'stale_db_path_dropped',
          count: 2,
          firstSeenAt: 1_800_000_000,
          lastSeenAt: 1_800_000_005,
          lastThreadId: 'b',
          lastPath: '/p',
        },
        {
          stage: 'reconcile',
          reason: 'missing_row',
          count: 1,
          firstSeenAt: 1_800_000_005,
          lastSeenAt: 1_800_000_005,
          lastThreadId: null,
          lastPath: null,
        },
      ]);
      await store.discrepancies.clear();
      expect(await store.discrepancies.counts()).toEqual([]);
    });
  });
}
