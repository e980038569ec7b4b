import type Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';

import { toKyselyDatabase } from '../sqlite/kysely-database.js';
import type { StateDatabase } from './schema.js';

/**
 * One open connection to a database file, shared by every store of this process that opened the
 * same file. Sharing is what makes two stores on one home in one process safe: their queries and
 * transactions queue on Kysely's single-connection mutex. With two connections, one could hold
 * `BEGIN IMMEDIATE` across an `await` while the other blocks the event loop in SQLite's busy wait
 * for that very lock.
 */
export interface SharedConnection {
  readonly path: string;
  /** The path and mode: a read-only connection is not shared with a writing one. */
  readonly key: string;
  readonly raw: Database.Database;
  readonly db: Kysely<StateDatabase>;
  /** Where a corrupt file was moved when the connection was first opened. */
  readonly recoveredCorruptTo: string | undefined;
  refs: number;
}

const connections = new Map<string, SharedConnection>();

/**
 * The shared connection to `path` (a canonical path), opening it with `open` when this process
 * has none in that mode. Every acquire must be paired with {@link releaseConnection}.
 */
export function acquireConnection(
  path: string,
  open: () => { raw: Database.Database; recoveredCorruptTo: string | undefined },
  mode: 'read-write' | 'read-only' = 'read-write',
): SharedConnection {
  const key = `${mode}:${path}`;
  const existing = connections.get(key);
  if (existing && existing.raw.open) {
    existing.refs += 1;
    return existing;
  }
  const { raw, recoveredCorruptTo } = open();
  const connection: SharedConnection = {
    path,
    key,
    raw,
    db: new Kysely<StateDatabase>({
      dialect: new SqliteDialect({ database: toKyselyDatabase(raw, path) }),
    }),
    recoveredCorruptTo,
    refs: 1,
  };
  connections.set(key, connection);
  return connection;
}

/** Gives a connection back; the last release closes it. */
export async function releaseConnection(connection: SharedConnection): Promise<void> {
  connection.refs -= 1;
  if (connection.refs > 0) return;
  if (connections.get(connection.key) === connection) connections.delete(connection.key);
  await connection.db.destroy();
  // Kysely opens its driver lazily: if no query ever ran, destroy() did not close the connection.
  if (connection.raw.open) connection.raw.close();
}
