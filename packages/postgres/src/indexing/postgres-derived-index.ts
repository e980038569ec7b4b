import type { Transaction } from 'kysely';

import type { PostgresDatabase } from '../schema/postgres-schema.js';

/**
 * How the PostgreSQL store keeps one derived index (search documents, usage records): the
 * counterpart of the SQLite store's `SqliteDerivedIndex`. `store.index.write` calls `replace` in its
 * transaction, after the thread rows are written, with every thread of the batch that carries
 * records of this index, so that a batch costs a few statements, not a few per thread.
 */
export interface PostgresDerivedIndex {
  /** The index's name, the key of its records in `IndexedThread.derived`. */
  readonly name: string;
  /**
   * Replaces each thread's records with its `records` (and records that the index covers it),
   * inside the open transaction `trx`; `nowMs` is the store clock's time of the write.
   */
  replace(
    trx: Transaction<PostgresDatabase>,
    homeId: string,
    threads: ReadonlyArray<{ threadId: string; records: readonly unknown[] }>,
    nowMs: number,
  ): Promise<void>;
}
