import { type DynamicToolSpec, ErrorCode, ManualClock } from '@agent-state/state';
import { beforeEach, describe, expect, it } from 'vitest';

import { sampleThread, sampleThreadId } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

/** Tools of every shape a schema can take (object, null, array; unicode names). */
export const SAMPLE_DYNAMIC_TOOLS: readonly DynamicToolSpec[] = [
  {
    name: 'lookup_ticket',
    description: 'Fetch a ticket',
    inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  },
  { name: 'ping', description: '', inputSchema: null },
  { name: 'ünïcode', description: '✓ 日本語', inputSchema: [1, 'two', { three: 3 }] },
];

/** The contract of `store.dynamicTools` (see `DynamicToolStore`). */
export function describeDynamicToolsContract(factory: StoreContractFactory): void {
  describe('dynamic tools', () => {
    const h = useContractStore(factory, () => new ManualClock(1_800_000_000_000));
    const ID = sampleThreadId(1);
    const tools = SAMPLE_DYNAMIC_TOOLS;
    beforeEach(async () => {
      await h.store.threads.upsert(sampleThread(1));
    });

    it('reads tools back in position order with their schemas as JSON values', async () => {
      await h.store.dynamicTools.persist(ID, tools);
      expect(await h.store.dynamicTools.get(ID)).toEqual(tools);
      expect(await h.store.dynamicTools.get(ID.toUpperCase())).toEqual(tools);
    });

    it('writes only the first time: later calls never change stored positions', async () => {
      await h.store.dynamicTools.persist(ID, tools.slice(0, 2));
      await h.store.dynamicTools.persist(ID, [
        { name: 'changed', description: 'x', inputSchema: {} },
        ...tools,
      ]);
      expect(await h.store.dynamicTools.get(ID)).toEqual([tools[0], tools[1], tools[1], tools[2]]);
    });

    it('is a no-op for absent or empty lists and returns null when a thread has none', async () => {
      await h.store.dynamicTools.persist(ID, undefined);
      await h.store.dynamicTools.persist(ID, null);
      await h.store.dynamicTools.persist(ID, []);
      expect(await h.store.dynamicTools.get(ID)).toBeNull();
    });

    it('needs the thread row first and says so', async () => {
      const missing = '01a1fca2-ffff-7971-8727-3cd36fd8d76f';
      await expect(h.store.dynamicTools.persist(missing, tools)).rejects.toMatchObject({
        code: ErrorCode.NotFound,
        message: expect.stringContaining(missing) as string,
      });
      await expect(h.store.dynamicTools.get('bad id')).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
    });
  });
}
