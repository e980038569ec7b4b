import type Database from 'better-sqlite3';

import { SQLITE_SEARCH_INDEX } from '../search/sqlite-search-index.js';
import { SQLITE_USAGE_INDEX } from '../usage/sqlite-usage-index.js';

/**
 * How the SQLite store keeps one derived index (a table computed from a rollout besides its thread
 * row: search documents, usage records). `store.index.write` calls `replace` inside
 * its transaction with the thread's new records, after the thread row is written; the index's
 * tables come from the store's migrations. Internal to the SQLite store: each store backend has
 * its own writer per index (see ARCHITECTURE.md, "How to add …", a derived index).
 */
export interface SqliteDerivedIndex {
  /** The index's name, the key of its records in `IndexedThread.derived`. */
  readonly name: string;
  /**
   * Replaces the thread's records with `records`, synchronously, inside the open transaction;
   * `nowMs` is the store clock's time of the write.
   */
  replace(
    connection: Database.Database,
    threadId: string,
    records: readonly unknown[],
    nowMs: number,
  ): void;
}

/** The derived indexes of the SQLite store. */
export const SQLITE_DERIVED_INDEXES: readonly SqliteDerivedIndex[] = [
  SQLITE_SEARCH_INDEX,
  SQLITE_USAGE_INDEX,
];
