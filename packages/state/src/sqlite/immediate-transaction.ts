import type Database from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';

import { StoreBusyError } from '../errors.js';
import { isSqliteBusy, toStoreError } from './sqlite-errors.js';

/** Options of {@link immediateTransaction} and {@link immediateRawTransaction}. */
export interface ImmediateTransactionOptions {
  /** Database path, for the error when the lock cannot be had. */
  path: string;
  /** Extra attempts after `SQLITE_BUSY` outlasted the busy timeout (default 3). */
  retries?: number;
}

/**
 * Runs `body` in a `BEGIN IMMEDIATE` transaction on Kysely's single pinned connection: the write
 * lock is taken up front, so a read-then-write can never fail with `SQLITE_BUSY_SNAPSHOT` half-way.
 * Waiting for the lock is SQLite's busy timeout; when even that runs out, the whole transaction is
 * retried a bounded number of times and then reported as a {@link StoreBusyError}, never as a raw
 * `SQLITE_BUSY`. `body` may therefore run more than once: it must only touch the database.
 */
export async function immediateTransaction<DB, T>(
  db: Kysely<DB>,
  body: (trx: Kysely<DB>) => Promise<T>,
  options: ImmediateTransactionOptions,
): Promise<T> {
  return withBusyRetry(options, () =>
    db.connection().execute(async (connection) => {
      await sql`BEGIN IMMEDIATE`.execute(connection);
      try {
        const result = await body(connection);
        await sql`COMMIT`.execute(connection);
        return result;
      } catch (error) {
        await sql`ROLLBACK`.execute(connection).catch(() => undefined);
        throw error;
      }
    }),
  );
}

/**
 * Runs `body` synchronously on the raw better-sqlite3 connection in a `BEGIN IMMEDIATE`
 * transaction while holding Kysely's connection, so no Kysely query interleaves. For bulk writes,
 * where one awaited Kysely call per row would cost more than SQLite's own work. Same lock waiting,
 * bounded retries and typed errors as {@link immediateTransaction}.
 */
export async function immediateRawTransaction<DB, T>(
  db: Kysely<DB>,
  raw: Database.Database,
  body: (raw: Database.Database) => T,
  options: ImmediateTransactionOptions,
): Promise<T> {
  const transaction = raw.transaction(body);
  return withBusyRetry(options, () =>
    db.connection().execute(async () => {
      try {
        return transaction.immediate(raw);
      } catch (error) {
        throw toStoreError(error, options.path);
      }
    }),
  );
}

async function withBusyRetry<T>(
  options: ImmediateTransactionOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let failures = 0; ; failures += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      if (failures >= retries) {
        throw error instanceof StoreBusyError
          ? error
          : new StoreBusyError(options.path, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 25 * (failures + 1) + Math.random() * 25));
    }
  }
}
