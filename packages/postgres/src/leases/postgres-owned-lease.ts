import { randomUUID } from 'node:crypto';

import { LeaseLostError } from '@agent-state/state';
import {
  type LeaseHolderColumns,
  holderColumns,
  holderFromColumns,
  leaseIsLive,
  ownedBy,
} from '@agent-state/state/backend';
import { type Kysely, type RawBuilder, type SqlBool, type Transaction, sql } from 'kysely';

import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { type PostgresContext, writableHome } from '../store/postgres-context.js';

// The transitions every owned-lease row of the PostgreSQL store shares, as
// `@agent-state/state`'s `OwnedLeases` is for SQLite: the backfill lease (a `backfill_state` row
// per home), stage-1 jobs, the phase-2 lock and the watcher lease (`jobs` rows). Same rule, same
// columns: a row is `running` while leased, owned through its `ownership_token` until
// `lease_until` (unix seconds from the store's injected clock, never the server's `now()`, so that
// every machine and every test agrees on one time), and records its holder. A lease is lost once
// its token no longer owns the row or its deadline has come.
//
// Every row belongs to one home: the conditions below always include `home_id`, so a store only
// ever sees and takes its own home's leases, whatever other homes share the server.
//
// Concurrency: SQLite serializes writers (`BEGIN IMMEDIATE`); PostgreSQL does not. A claim reads
// the row it takes with `SELECT … FOR UPDATE` inside a READ COMMITTED transaction, so concurrent
// claimants of one row queue on its row lock and each decides on the row as the previous one left
// it; the guarded UPDATE then re-checks the lease on the row's newest version. Renewals and
// finishers are single guarded statements, atomic by themselves.

/** The tables whose rows are owned leases. */
export type PostgresLeaseTable = 'backfill_state' | 'jobs';

/** Column values that select rows of a lease table besides the home: `{ kind }`, `{ job_key }`. */
export type PostgresLeaseKey = Readonly<Record<string, string | number>>;

/** The lease columns every owned-lease row has. */
interface OwnedLeaseColumns extends LeaseHolderColumns {
  home_id: string;
  status: string;
  ownership_token: string | null;
  lease_until: number | null;
}

/** The lease tables as this module sees them: their other columns are their repositories'. */
type LeaseTables = Record<PostgresLeaseTable, OwnedLeaseColumns>;

/** What a claim writes into the row it takes. */
export interface PostgresLeaseClaimColumns extends LeaseHolderColumns {
  status: 'running';
  ownership_token: string;
  lease_until: number;
}

/**
 * The leases of one kind of row in the PostgreSQL store, for one home: the backfill lease, the
 * stage-1 jobs (one row per thread), the phase-2 lock or the watcher lease. Holds the transitions
 * they share; each repository adds its own conditions (the running cap, retries, watermarks).
 *
 * @example
 * ```ts
 * const lease = new PostgresOwnedLeases(context, {
 *   table: 'jobs', kind: { kind: 'agent_state_watch', job_key: 'home' }, name: 'watcher',
 * });
 * const leaseUntil = await lease.renew({ token, now: unixSeconds(context.clock), leaseSeconds: 30 });
 * ```
 */
export class PostgresOwnedLeases {
  /** Names the lease in `LeaseLostError`: `backfill`, `stage-1 job`, `phase-2 lock`, `watcher`. */
  readonly name: string;
  readonly #context: PostgresContext;
  readonly #table: PostgresLeaseTable;
  readonly #kind: PostgresLeaseKey;

  /**
   * `kind` selects every row of the kind within the home (`{ kind: 'memory_stage1' }`); methods
   * narrow it further with a `key` of their own (`{ job_key: threadId }`).
   *
   * @example
   * ```ts
   * const jobs = new PostgresOwnedLeases(context, {
   *   table: 'jobs', kind: { kind: 'memory_stage1' }, name: 'stage-1 job',
   * });
   * ```
   */
  constructor(
    context: PostgresContext,
    options: { table: PostgresLeaseTable; kind: PostgresLeaseKey; name: string },
  ) {
    this.#context = context;
    this.#table = options.table;
    this.#kind = options.kind;
    this.name = options.name;
  }

  /**
   * The home whose leases these are; throws `StoreIoError` for a store opened across homes, which
   * holds no lease (a lease is always one home's).
   *
   * @example
   * ```ts
   * const homeId = lease.homeId;
   * ```
   */
  get homeId(): string {
    return writableHome(this.#context, `the ${this.name} lease`);
  }

  /**
   * A new claim as of `now`: a fresh token, the deadline, and the columns that record it (running,
   * owned by the token, this process as the holder). The claim's statement must also require
   * `leaseIsFree`, after {@link expireDeadHolders} ran in the same transaction.
   *
   * @example
   * ```ts
   * const { token, columns } = lease.claim(now, 120);
   * await trx.updateTable('backfill_state').set(columns).where(lease.rows()).where(leaseIsFree(now)).execute();
   * ```
   */
  claim(now: number, leaseSeconds: number): { token: string; columns: PostgresLeaseClaimColumns } {
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
   * processes at most). A holder on another host is never declared dead: its lease runs out by
   * time.
   *
   * @example
   * ```ts
   * await lease.expireDeadHolders(trx, now);
   * ```
   */
  async expireDeadHolders(
    trx: Transaction<PostgresDatabase>,
    now: number,
    key: PostgresLeaseKey = {},
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
        .where(sql<SqlBool>`holder_started_at IS NOT DISTINCT FROM ${holder.startedAt}`)
        .execute();
    }
  }

  /**
   * Renews the lease that `token` owns to `leaseSeconds` from `now` (writing `set` with it), in
   * one statement under the lease-lost rule: throws `LeaseLostError` when the token no longer
   * owns the row or the deadline has come. Returns the new deadline, unix seconds.
   *
   * @example
   * ```ts
   * const leaseUntil = await lease.renew({ key: { job_key: threadId }, token, now, leaseSeconds: 3600 });
   * ```
   */
  async renew(options: {
    key?: PostgresLeaseKey | undefined;
    token: string;
    now: number;
    leaseSeconds: number;
    set?: Readonly<Record<string, unknown>> | undefined;
  }): Promise<number> {
    const leaseUntil = options.now + options.leaseSeconds;
    const result = await (this.#context.db as unknown as Kysely<LeaseTables>)
      .updateTable(this.#table)
      .set({ ...options.set, lease_until: leaseUntil })
      .where(this.rows(options.key ?? {}))
      .where(ownedBy(options.token))
      .where(leaseIsLive(options.now))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new LeaseLostError(this.name);
    return leaseUntil;
  }

  /**
   * The home's rows of the kind narrowed by `key`, as a condition. `table` qualifies the columns
   * (in joins and upserts).
   *
   * @example
   * ```ts
   * await db.selectFrom('jobs').selectAll().where(lease.rows({ job_key: threadId })).execute();
   * ```
   */
  rows(key: PostgresLeaseKey = {}, table?: string): RawBuilder<SqlBool> {
    const columns = Object.entries({ home_id: this.homeId, ...this.#kind, ...key });
    const ref = (column: string) => sql.ref(table === undefined ? column : `${table}.${column}`);
    return sql<SqlBool>`(${sql.join(
      columns.map(([column, value]) => sql`${ref(column)} = ${value}`),
      sql` AND `,
    )})`;
  }
}

/**
 * Runs `body` in a READ COMMITTED transaction, whatever the server's default isolation: every
 * claim relies on each statement seeing what committed before it started (the row a previous
 * claimant left, the jobs counted under the running cap's lock), which REPEATABLE READ or
 * SERIALIZABLE would not give without retries.
 *
 * @example
 * ```ts
 * const claimed = await leaseTransaction(context, async (trx) => { … });
 * ```
 */
export function leaseTransaction<T>(
  context: PostgresContext,
  body: (trx: Transaction<PostgresDatabase>) => Promise<T>,
): Promise<T> {
  return context.db.transaction().setIsolationLevel('read committed').execute(body);
}

/**
 * Takes the transaction-scoped advisory lock of one group of `homeId`'s leases (`stage-1 cap`):
 * claims that must decide on several rows at once (the running cap counts every live job of the
 * home) queue on it, so two of them never count the same free slot. Released at commit or
 * rollback. The two-key form keeps these locks apart from single-key ones (the migrations');
 * homes whose hashes collide only wait for each other a moment.
 *
 * @example
 * ```ts
 * await lockHomeLeases(trx, homeId, 'stage-1 cap');
 * ```
 */
export async function lockHomeLeases(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  group: string,
): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`agent-state ${group}`}), hashtext(${homeId}))`.execute(
    trx,
  );
}
