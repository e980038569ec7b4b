import { tempDirs } from '@agent-state/test-utils';
import { ErrorCode, errorCategory } from '@agent-state/state';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WebErrorCode } from '../errors.js';
import { fixtureHome } from '../testing/fixture-home.js';
import { makeStoreOlder } from '../testing/older-schema-store.js';
import { HomeStore } from './home-store.js';

const temp = tempDirs();
let home: string;

beforeAll(async () => {
  home = await fixtureHome(temp);
});
afterAll(() => temp.cleanup());

describe('HomeStore', () => {
  it('opens the store once, and nothing after it is closed', async () => {
    const homeStore = new HomeStore({ home });
    const store = await homeStore.get();
    expect(store).not.toBeNull();
    expect(await homeStore.get()).toBe(store);
    await homeStore.close();
    await expect(store!.threads.count()).rejects.toThrow(/closed/);
    await expect(homeStore.get()).rejects.toMatchObject({ code: WebErrorCode.ServerClosed });
    expect(errorCategory(await homeStore.get().catch((error: unknown) => error))).toBe('aborted');
  });

  it('closes the store a request was waiting for, and opens no other for a later request', async () => {
    const homeStore = new HomeStore({ home });
    const waiting = homeStore.get(); // still opening when the server closes
    const closing = homeStore.close();
    const late = homeStore.get();
    await expect(late).rejects.toMatchObject({ code: WebErrorCode.ServerClosed });
    await closing;
    const store = await waiting;
    await expect(store!.threads.count()).rejects.toThrow(/closed/);
  });

  it('gives a store that cannot be opened as a problem, and tries again on the next request', async () => {
    const older = await fixtureHome(temp);
    makeStoreOlder(older);
    const homeStore = new HomeStore({ home: older });
    try {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const access = await homeStore.access();
        expect(access.store).toBeNull();
        expect(access.problem).toMatchObject({ code: ErrorCode.StoreIo });
        expect(access.problem?.message).toContain('open it for writing once');
      }
    } finally {
      await homeStore.close();
    }
  });

  it('has no store and no problem in a home without a store', async () => {
    const bare = await fixtureHome(temp, { backfill: false });
    const homeStore = new HomeStore({ home: bare });
    expect(await homeStore.access()).toEqual({ store: null, problem: null });
    await homeStore.close();
  });
});
