import { ErrorCode, ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { SAMPLE_DYNAMIC_TOOLS } from './dynamic-tools.contract.js';
import { sampleThread, sampleThreadId } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

/** The contract of `store.index` (see `ThreadIndexStore`), the indexer's write path. */
export function describeIndexWritesContract(factory: StoreContractFactory): void {
  describe('index writes', () => {
    const h = useContractStore(factory, () => new ManualClock(1_800_000_000_000));

    it('writes rows and their tools together; tools are stored once, rows replaced', async () => {
      await h.store.index.write([
        { metadata: sampleThread(1), dynamicTools: SAMPLE_DYNAMIC_TOOLS },
        { metadata: sampleThread(2), dynamicTools: null },
        { metadata: sampleThread(3) },
      ]);
      expect(await h.store.threads.count()).toBe(3);
      expect(await h.store.dynamicTools.get(sampleThreadId(1))).toEqual(SAMPLE_DYNAMIC_TOOLS);
      expect(await h.store.dynamicTools.get(sampleThreadId(2))).toBeNull();

      await h.store.index.write([
        {
          metadata: sampleThread(1, { title: 'renamed' }),
          dynamicTools: [{ name: 'other', description: '', inputSchema: {} }],
        },
      ]);
      expect((await h.store.threads.get(sampleThreadId(1)))?.title).toBe('renamed');
      expect(await h.store.dynamicTools.get(sampleThreadId(1))).toEqual(SAMPLE_DYNAMIC_TOOLS);
      await h.store.index.write([]);
    });

    it('writes all entries or none: a bad entry anywhere leaves the store as it was', async () => {
      await h.store.index.write([{ metadata: sampleThread(1) }]);
      const bad = [
        { metadata: sampleThread(1, { title: 'not written' }) },
        { metadata: sampleThread(2), dynamicTools: SAMPLE_DYNAMIC_TOOLS },
        { metadata: { ...sampleThread(3), updatedAt: 0.5 } },
      ];
      await expect(h.store.index.write(bad)).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
      await expect(
        h.store.index.write([
          { metadata: sampleThread(4) },
          { metadata: sampleThread(5), derived: { 'no-such-index': [{}] } },
        ]),
      ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'derived' });
      expect(await h.store.threads.count()).toBe(1);
      expect((await h.store.threads.get(sampleThreadId(1)))?.title).toBe('thread 1');
      expect(await h.store.dynamicTools.get(sampleThreadId(2))).toBeNull();
    });

    it('a write is seen at once by another store of the same home', async () => {
      const other = await h.reopen();
      await h.store.index.write([
        { metadata: sampleThread(7), dynamicTools: SAMPLE_DYNAMIC_TOOLS },
      ]);
      expect(await other.threads.get(sampleThreadId(7))).toEqual(sampleThread(7));
      expect(await other.dynamicTools.get(sampleThreadId(7))).toEqual(SAMPLE_DYNAMIC_TOOLS);
    });
  });
}
