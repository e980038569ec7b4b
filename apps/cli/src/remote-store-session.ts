// Opening the shared store for a command that reads it (loaded with the command's implementation).

import { type HomeSelection, type PostgresStore, openPostgresStore } from '@agent-state/postgres';
import { type Logger, readHomeIdentity } from '@agent-state/state';

import type { StoreUrl } from './remote-store-options.js';

/** Reads the shared store across homes (those of `selection`; all when empty), then closes it. */
export async function withSharedStore<T>(
  target: StoreUrl,
  home: string,
  selection: HomeSelection,
  use: (store: PostgresStore) => Promise<T>,
  options: { logger?: Logger | undefined } = {},
): Promise<T> {
  const store = await openPostgresStore({
    url: target.url,
    urlSource: target.source,
    home,
    acrossHomes: selection,
    logger: options.logger,
  });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/**
 * The id `home` is pushed under, when it has one (a home synced once); `undefined` otherwise, or
 * when its id file cannot be read. Never created: reading a shared store writes nothing in the
 * home.
 */
export function pushedHomeId(home: string): string | undefined {
  try {
    return readHomeIdentity(home, { create: false }).homeId;
  } catch {
    return undefined;
  }
}
