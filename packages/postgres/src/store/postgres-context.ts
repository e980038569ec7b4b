import type { Clock, LeaseHolderProbe, Logger } from '@agent-state/state';
import { StoreIoError } from '@agent-state/state';
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';

import type { PostgresDatabase } from '../schema/postgres-schema.js';

/**
 * Which homes a store opened across homes reads: all of them, or those with these ids or on these
 * hosts (both given: either).
 *
 * @example
 * ```ts
 * const laptops: HomeSelection = { hosts: ['laptop-a', 'laptop-b'] };
 * const store = await openPostgresStore({ url, home, acrossHomes: laptops });
 * ```
 */
export interface HomeSelection {
  homeIds?: readonly string[] | undefined;
  hosts?: readonly string[] | undefined;
}

/**
 * What every repository of the PostgreSQL store works with. Internal: built by
 * `openPostgresStore`.
 */
export interface PostgresContext {
  readonly db: Kysely<PostgresDatabase>;
  /** The server without its password, for messages. */
  readonly server: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly holderProbe: LeaseHolderProbe;
  /**
   * The home this store writes and reads; `undefined` for a store opened across homes, which
   * reads the homes of `selection` and writes nothing.
   */
  readonly homeId: string | undefined;
  readonly selection: HomeSelection;
}

/**
 * The home a write (or a lease) goes to; throws `StoreIoError` for a store opened across homes: it
 * reads many homes, writes nothing and holds no lease. `what` names what was refused (a lease).
 *
 * @example
 * ```ts
 * const homeId = writableHome(context, 'the backfill lease');
 * ```
 */
export function writableHome(context: PostgresContext, what?: string): string {
  if (context.homeId === undefined) {
    throw new StoreIoError(
      context.server,
      what === undefined
        ? 'this store was opened across homes, to read: writes need a store opened for one home'
        : `${what} belongs to one home: open the store for one home (this one was opened across homes, to read)`,
    );
  }
  return context.homeId;
}

/**
 * The condition that keeps a query to the homes the store reads: its own home, or the selection
 * of a store opened across homes (every home when empty). `column` is the `home_id` column to
 * test, qualified when the query joins tables.
 *
 * @example
 * ```ts
 * db.selectFrom('threads').where(inHomes(context, 'threads.home_id')).selectAll()
 * ```
 */
export function inHomes(context: PostgresContext, column = 'home_id'): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  if (context.homeId !== undefined) return sql<SqlBool>`${ref} = ${context.homeId}`;
  const { homeIds = [], hosts = [] } = context.selection;
  const conditions: RawBuilder<SqlBool>[] = [];
  if (homeIds.length > 0) conditions.push(sql<SqlBool>`${ref} = ANY(${[...homeIds]}::text[])`);
  if (hosts.length > 0) {
    conditions.push(
      sql<SqlBool>`${ref} IN (SELECT homes.home_id FROM homes WHERE homes.host = ANY(${[...hosts]}::text[]))`,
    );
  }
  if (conditions.length === 0) return sql<SqlBool>`true`;
  return sql<SqlBool>`(${sql.join(conditions, sql` OR `)})`;
}
