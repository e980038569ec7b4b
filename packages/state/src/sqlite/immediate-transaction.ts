import { type Kysely, sql } from 'kysely';

import { StoreBusyError } from '../errors.js';
import { isSqliteBusy } from './sqlite-errors.js';

/** Options of {@link immediateTransaction}. */
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
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await db.connection().execute(async (connection) => {
        await sql`BEGIN IMMEDIATE`.execute(connection);
        try {
          const result = await body(connection);
          await sql`COMMIT`.execute(connection);
          return result;
        } catch (error) {
          await sql`ROLLBACK`.execute(connection).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      if (attempt >= retries) {
        throw error instanceof StoreBusyError
          ? error
          : new StoreBusyError(options.path, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 25 * (attempt + 1) + Math.random() * 25));
    }
  }
}
