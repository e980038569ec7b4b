import { createRequire } from 'node:module';

import { stateDbPath } from '@agent-state/state';

/** The part of better-sqlite3 the tests use. */
interface RawDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): void;
}

type RawDatabaseConstructor = new (path: string) => RawDatabase;

/**
 * better-sqlite3, resolved from @agent-state/state (which depends on it; this package does not):
 * a test writes the store's header as an older release would have left it.
 */
function rawDatabase(): RawDatabaseConstructor {
  const require = createRequire(new URL('../../../state/package.json', import.meta.url));
  return require('better-sqlite3') as RawDatabaseConstructor;
}

/**
 * Makes the home's store (its `agent_state_1.sqlite`) look written by the release before this
 * one: its `user_version` one below this release's schema version, which a read-only store
 * refuses to open ("open it for writing once"). Returns the version it was, and is now.
 */
export function makeStoreOlder(home: string): { latest: number; older: number } {
  const Database = rawDatabase();
  const db = new Database(stateDbPath(home));
  try {
    const latest = db.pragma('user_version', { simple: true }) as number;
    const older = latest - 1;
    db.pragma(`user_version = ${older}`);
    return { latest, older };
  } finally {
    db.close();
  }
}
