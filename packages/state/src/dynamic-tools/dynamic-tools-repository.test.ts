import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { stateDbPath } from '../paths/home.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { buildThreadMetadata } from '../threads/thread-metadata.js';
import type { DynamicToolSpec } from './dynamic-tools-repository.js';

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const temp = tempDirs();
let store: StateStore;
let home: string;

beforeEach(async () => {
  home = temp.make('home');
  store = await openStateStore({ home });
  await store.threads.upsert(
    buildThreadMetadata(
      { id: ID, rolloutPath: '/r', createdAt: 1, source: 'cli' },
      { defaultProvider: 'p' },
    ),
  );
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

const tools: DynamicToolSpec[] = [
  {
    name: 'lookup_ticket',
    description: 'Fetch a ticket',
    inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  },
  { name: 'ping', description: '', inputSchema: null },
  { name: 'ünïcode', description: '✓ 日本語', inputSchema: [1, 'two', { three: 3 }] },
];

describe('dynamic tools', () => {
  it('reads tools back in position order with their schemas as JSON values', async () => {
    await store.dynamicTools.persist(ID, tools);
    expect(await store.dynamicTools.get(ID)).toEqual(tools);
    const raw = new Database(stateDbPath(home), { readonly: true });
    expect(
      raw
        .prepare('SELECT position, input_schema FROM thread_dynamic_tools ORDER BY position')
        .all(),
    ).toEqual([
      { position: 0, input_schema: JSON.stringify(tools[0]?.inputSchema) },
      { position: 1, input_schema: 'null' },
      { position: 2, input_schema: '[1,"two",{"three":3}]' },
    ]);
    raw.close();
  });

  it('writes only the first time: later calls never change stored positions', async () => {
    await store.dynamicTools.persist(ID, tools.slice(0, 2));
    await store.dynamicTools.persist(ID, [
      { name: 'changed', description: 'x', inputSchema: {} },
      ...tools,
    ]);
    expect(await store.dynamicTools.get(ID)).toEqual([tools[0], tools[1], tools[1], tools[2]]);
  });

  it('is a no-op for absent or empty lists and returns null when a thread has none', async () => {
    await store.dynamicTools.persist(ID, undefined);
    await store.dynamicTools.persist(ID, null);
    await store.dynamicTools.persist(ID, []);
    expect(await store.dynamicTools.get(ID)).toBeNull();
  });

  it('needs the thread row first and says so', async () => {
    const missing = '01a1fca2-ffff-7971-8727-3cd36fd8d76f';
    await expect(store.dynamicTools.persist(missing, tools)).rejects.toMatchObject({
      code: ErrorCode.NotFound,
      message: expect.stringContaining(missing) as string,
    });
    await expect(store.dynamicTools.get('bad id')).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
  });

  it('reports a damaged schema as a corrupt store naming the thread', async () => {
    await store.dynamicTools.persist(ID, tools);
    const raw = new Database(stateDbPath(home));
    raw.prepare("UPDATE thread_dynamic_tools SET input_schema = '{oops' WHERE position = 1").run();
    raw.close();
    await expect(store.dynamicTools.get(ID)).rejects.toMatchObject({
      code: ErrorCode.StoreCorrupt,
      message: expect.stringContaining(`dynamic tool 1 of thread ${ID}`) as string,
    });
  });
});
