import { tempDirs } from '@agent-state/test-utils';
import { SAMPLE_DYNAMIC_TOOLS as tools } from '@agent-state/test-utils/store-contract';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { stateDbPath } from '../paths/home.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { buildThreadMetadata } from '../threads/thread-metadata.js';

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

// The portable behaviour of `store.dynamicTools` is the store contract's (store-contract.test.ts);
// these are the SQLite store's own.
describe('dynamic tools (SQLite)', () => {
  it('stores each schema as its JSON text, by position', async () => {
    await store.dynamicTools.persist(ID, tools);
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
