import { ErrorCode, ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { sampleThread } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

/** The contract of an open store itself: its facts, its integrity check, closing. */
export function describeLifecycleContract(factory: StoreContractFactory): void {
  describe('lifecycle', () => {
    const h = useContractStore(factory, () => new ManualClock(1_800_000_000_000));

    it('names its home and where it is, and reports its facts and a sound integrity check', async () => {
      expect(h.store.home).toBe(h.home);
      expect(h.store.path).not.toBe('');
      const info = await h.store.info();
      expect(info.path).toBe(h.store.path);
      expect(info.schemaVersion).toBeGreaterThan(0);
      expect(info.generation).toBeGreaterThan(0);
      expect(await h.store.checkIntegrity()).toEqual([]);
    });

    it('refuses every call after close with a STORE_IO error, and closing twice is harmless', async () => {
      const other = await h.reopen();
      await other.close();
      await other.close();
      await expect(other.threads.count()).rejects.toMatchObject({ code: ErrorCode.StoreIo });
      await expect(other.index.write([{ metadata: sampleThread(1) }])).rejects.toMatchObject({
        code: ErrorCode.StoreIo,
      });
      // The other store of the same home is not affected.
      await h.store.threads.upsert(sampleThread(1));
      expect(await h.store.threads.count()).toBe(1);
    });
  });
}
