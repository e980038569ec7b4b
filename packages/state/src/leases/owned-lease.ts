import { randomUUID } from 'node:crypto';

import { type Kysely, type RawBuilder, type SqlBool, type Updateable, sql } from 'kysely';

import { LeaseLostError } from '../errors.js';
import type { BackfillStateTable, JobsTable, StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type LeaseHolderColumns, holderColumns, holderFromColumns } from './lease-holder.js';

// The transitions every owned-lease row shares: the backfill lease (`backfill_state`), a stage-1
// job and the phase-2 lock (`jobs`). Such a row is `running` while leased, owned through its
// `ownership_token` until `lease_until` (unix seconds), and records its holder (host, pid, start
// time). Each repository adds what is its own (the running cap, retries, watermarks, progress).
//
// The lease-lost rule, one for all: a lease is lost once its token no longer owns the row, or
// once its deadline has come (`now >= lease_until`). A renewal applies it whole; finishing and
// releasing need the token only (a takeover always changes the token).

/** The tables whose rows are owned leases. */
export type OwnedLeaseTable = 'backfill_state' | 'jobs';

/** Column values that select rows of a lease table: `{ id: 1 }`, `{ kind }`, `{ kind, job_key }`. */
export type OwnedLeaseKey = Readonly<Record<string, string | number>>;

/** Columns a statement of a lease table may set besides the lease columns. */
export type OwnedLeaseUpdate = Updateable<BackfillStateTable> | Updateable<JobsTable>;

/** The lease columns every owned-lease row has. */
interface OwnedLeaseColumns extends LeaseHolderColumns {
  status: string;
  ownership_token: string | null;
  lease_until: number | null;
}

/** The lease tables as this helper sees them: their other columns are their repositories'. */
type LeaseTables = Record<OwnedLeaseTable, OwnedLeaseColumns>;

/** What a claim writes into the row it takes. */
export interface OwnedLeaseClaimColumns extends LeaseHolderColumns {
  status: 'running';
  ownership_token: string;
  lease_until: number;
}

/**
 * What giving a lease back writes: the row is claimable at once (no owner, no deadline), with no
 * retry used and no backoff.
 */
export const RELEASED_LEASE = Object.freeze({
  status: 'pending',
  ownership_token: null,
  lease_until: null,
} as const);

/**
 * The leases of one kind of row: the backfill lease, stage-1 jobs (one row per thread) or the
 * phase-2 lock. Holds the transitions they share; every method works inside the caller's
 * statement or transaction.
 */
export class OwnedLeases {
  /** Names the lease in {@link LeaseLostError}: `backfill`, `stage-1 job`, `phase-2 lock`. */
  readonly name: string;
  readonly #context: StoreContext;
  readonly #table: OwnedLeaseTable;
  readonly #kind: OwnedLeaseKey;

  /**
   * `kind` selects every row of the kind (`{ kind: 'memory_stage1' }`); methods narrow it further
   * with a `key` of their own (`{ job_key: threadId }`).
   */
  constructor(
    context: StoreContext,
    options: { table: OwnedLeaseTable; kind: OwnedLeaseKey; name: string },
  ) {
    this.#context = context;
    this.#table = options.table;
    this.#kind = options.kind;
    this.name = options.name;
  }

  /**
   * A new claim as of `now`: a fresh token, the deadline, and the columns that record it (running,
   * owned by the token, this process as the holder). The claim's statement must also require
   * {@link leaseIsFree}, after {@link expireDeadHolders} ran in the same transaction.
   */
  claim(now: number, leaseSeconds: number): { token: string; columns: OwnedLeaseClaimColumns } {
    const token = randomUUID();
    return {
      token,
      columns: {
        status: 'running',
        ownership_token: token,
        lease_until: now + leaseSeconds,
        ...holderColumns(this.#context.holderProbe.current()),
      },
    };
  }

  /**
   * Ends, as of `now`, the live leases among the kind's rows (narrowed by `key`) whose holders
   * died on this host, so they count as expired: claimable at once, and no longer against any
   * running cap. Runs inside a claim's transaction; one probe per distinct holder (a handful of
   * processes at most).
   */
  async expireDeadHolders(
    trx: Kysely<StateDatabase>,
    now: number,
    key: OwnedLeaseKey = {},
  ): Promise<void> {
    const db = trx as unknown as Kysely<LeaseTables>;
    const rows = this.rows(key);
    const holders = await db
      .selectFrom(this.#table)
      .select(['holder_host', 'holder_pid', 'holder_started_at'])
      .distinct()
      .where(rows)
      .where(leaseIsLive(now))
      .where('holder_host', 'is not', null)
      .execute();
    for (const row of holders) {
      const holder = holderFromColumns(row);
      if (holder === null || !this.#context.holderProbe.isDeadOnThisHost(holder)) continue;
      await db
        .updateTable(this.#table)
        .set({ lease_until: now })
        .where(rows)
        .where(leaseIsLive(now))
        .where('holder_host', '=', holder.host)
        .where('holder_pid', '=', holder.pid)
        .where('holder_started_at', 'is', holder.startedAt)
        .execute();
    }
  }

  /**
   * Renews the lease that `token` owns to `leaseSeconds` from `now` (writing `set` with it), in
   * one statement under the lease-lost rule: throws {@link LeaseLostError} when the token no
   * longer owns the row or the deadline has come. Returns the new deadline, unix seconds.
   */
  async renew(options: {
    key?: OwnedLeaseKey | undefined;
    token: string;
    now: number;
    leaseSeconds: number;
    set?: OwnedLeaseUpdate | undefined;
  }): Promise<number> {
    const leaseUntil = options.now + options.leaseSeconds;
    const result = await (this.#context.db as unknown as Kysely<LeaseTables>)
      .updateTable(this.#table)
      .set({ ...options.set, lease_until: leaseUntil })
      .where(this.rows(options.key ?? {}))
      .where(ownedAndLive(options.token, options.now))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new LeaseLostError(this.name);
    return leaseUntil;
  }

  /** The kind's rows narrowed by `key`, as a condition. */
  rows(key: OwnedLeaseKey = {}): RawBuilder<SqlBool> {
    const columns = Object.entries({ ...this.#kind, ...key });
    return sql<SqlBool>`(${sql.join(
      columns.map(([column, value]) => sql`${sql.ref(column)} = ${value}`),
      sql` and `,
    )})`;
  }
}

/**
 * The row holds a live lease at `now`: running, with a deadline after `now`. `table` qualifies
 * the columns (in joins and upserts).
 */
export function leaseIsLive(now: number, table?: string): RawBuilder<SqlBool> {
  const status = column('status', table);
  const leaseUntil = column('lease_until', table);
  return sql<SqlBool>`(${status} = 'running' and ${leaseUntil} is not null and ${leaseUntil} > ${now})`;
}

/**
 * The row may be claimed at `now` as far as its lease goes: no row (outer joins), not running, no
 * deadline, or a deadline that has come. The negation of {@link leaseIsLive}.
 */
export function leaseIsFree(now: number, table?: string): RawBuilder<SqlBool> {
  const status = column('status', table);
  const leaseUntil = column('lease_until', table);
  return sql<SqlBool>`(${status} is null or ${status} != 'running' or ${leaseUntil} is null or ${leaseUntil} <= ${now})`;
}

/**
 * `token` owns the row: it is running under that token. What finishing or giving back a lease
 * requires.
 */
export function ownedBy(token: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref('status')} = 'running' and ${sql.ref('ownership_token')} = ${token})`;
}

/** `token` owns the row and its deadline has not come: the lease is not lost (see the rule above). */
function ownedAndLive(token: string, now: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${ownedBy(token)} and ${leaseIsLive(now)})`;
}

/**
 * The lease-lost rule's clock half, for a holder that cannot ask the row: a lease whose deadline
 * `leaseUntil` (unix seconds) has come at `now` is lost.
 */
export function isLeaseExpired(leaseUntil: number, now: number): boolean {
  return leaseUntil <= now;
}

/** {@link leaseIsLive} for a row already read. */
export function isLeaseLive(
  row: { status: string | null; lease_until: number | null },
  now: number,
): boolean {
  return (
    row.status === 'running' && row.lease_until !== null && !isLeaseExpired(row.lease_until, now)
  );
}

function column(name: string, table: string | undefined) {
  return sql.ref(table === undefined ? name : `${table}.${name}`);
}
