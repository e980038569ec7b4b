import { ManualClock } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import { afterEach, beforeAll } from 'vitest';

import type { HomeSelection } from '../store/postgres-context.js';
import { type PostgresStore, openPostgresStore } from '../store/postgres-store.js';

/**
 * For the tests of one file: a throwaway server and a database for the file, and stores of fresh
 * homes on it (each on a `ManualClock` at `clockMs`), closed after each test.
 */
export function usePostgresStores(clockMs: number): {
  /** Opens the store of a new home (or of `home`), or one across homes. */
  open(options?: {
    home?: string | undefined;
    acrossHomes?: true | HomeSelection | undefined;
  }): Promise<PostgresStore>;
} {
  const server = useTestPostgres();
  let url = '';
  const temp = tempDirs();
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    url = await server().createDatabase();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    temp.cleanup();
  });
  return {
    async open(options = {}) {
      const store = await openPostgresStore({
        url,
        home: options.home ?? temp.make('home'),
        clock: new ManualClock(clockMs),
        acrossHomes: options.acrossHomes,
      });
      stores.push(store);
      return store;
    },
  };
}
