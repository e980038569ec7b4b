import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';

import type { Clock } from '../clock.js';
import type { LeaseHolderProbe } from '../leases/lease-holder.js';
import type { StateDatabase } from './schema.js';

/** What every repository of the state store works with. Internal: built by `openStateStore`. */
export interface StoreContext {
  /** Kysely over the store's single connection: the way queries are written. */
  readonly db: Kysely<StateDatabase>;
  /** The same connection, for SQLite-specific bulk paths (see `immediateRawTransaction`). */
  readonly raw: Database.Database;
  /** Database file path, for error messages. */
  readonly path: string;
  readonly clock: Clock;
  /** Who this process is as a lease holder, and whether another holder is dead. */
  readonly holderProbe: LeaseHolderProbe;
}
