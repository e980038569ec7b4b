import type Database from 'better-sqlite3';

import { InvalidArgumentError } from '../errors.js';

/**
 * Runs `body` with the connection's busy timeout set to `ms`, and puts the previous timeout back
 * afterwards, whatever `body` does. `body` is synchronous, so no other statement of this process
 * can run on the connection while the shorter timeout is in force: use it only on a connection
 * that is not shared with another store (the busy timeout belongs to the connection, not to the
 * file, so other connections to the same file are never affected).
 *
 * @example
 * ```ts
 * // A logging write may give up after 200 ms instead of freezing the event loop for 5 s.
 * withBusyTimeout(db, 200, () => insert.immediate(rows));
 * ```
 */
export function withBusyTimeout<T>(db: Database.Database, ms: number, body: () => T): T {
  if (!Number.isInteger(ms) || ms < 0) {
    throw new InvalidArgumentError('busyTimeoutMs', `expected a non-negative integer, got ${ms}`);
  }
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  if (previous === ms) return body();
  db.pragma(`busy_timeout = ${ms}`);
  try {
    return body();
  } finally {
    if (db.open) db.pragma(`busy_timeout = ${previous}`);
  }
}
