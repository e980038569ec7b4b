import { type WatchLeaseClaim, type WatchLeaseStore, unixSeconds } from '@agent-state/state';
import {
  RELEASED_LEASE,
  WATCH_JOB_KEY,
  WATCH_JOB_KIND,
  checkedPositive,
  checkedToken,
  checkedWorkerId,
  holderFromColumns,
  leaseIsFree,
  ownedBy,
} from '@agent-state/state/backend';

import { PostgresOwnedLeases, leaseTransaction } from '../leases/postgres-owned-lease.js';
import type { PostgresContext } from '../store/postgres-context.js';

/**
 * The watcher lease of a home in a PostgreSQL store (`agent-state watch`): a `jobs` row per home,
 * owned as the other leases are, so one watcher runs per home whatever the machines; one that died
 * on this host is taken over at once, one that stopped renewing once its lease runs out. Reach it
 * as `store.watchLease`.
 *
 * @example
 * ```ts
 * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
 * if (claim.outcome === 'claimed') await store.watchLease.release({ ownershipToken: claim.ownershipToken });
 * ```
 */
export class PostgresWatchLease implements WatchLeaseStore {
  readonly #context: PostgresContext;
  readonly #lease: PostgresOwnedLeases;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
    this.#lease = new PostgresOwnedLeases(context, {
      table: 'jobs',
      kind: { kind: WATCH_JOB_KIND, job_key: WATCH_JOB_KEY },
      name: 'watcher',
    });
  }

  /**
   * Takes the lease when it is free, expired, or its holder died on this host; otherwise says
   * who holds it and until when.
   *
   * @example
   * ```ts
   * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
   * ```
   */
  async tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<WatchLeaseClaim> {
    const workerId = checkedWorkerId(options.workerId);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    const homeId = this.#lease.homeId;
    return leaseTransaction(this.#context, async (trx): Promise<WatchLeaseClaim> => {
      const now = unixSeconds(this.#context.clock);
      await trx
        .insertInto('jobs')
        .values({
          home_id: homeId,
          kind: WATCH_JOB_KIND,
          job_key: WATCH_JOB_KEY,
          status: 'pending',
          worker_id: null,
          ownership_token: null,
          started_at: null,
          finished_at: null,
          lease_until: null,
          retry_at: null,
          retry_remaining: 0,
          last_error: null,
          input_watermark: null,
          last_success_watermark: null,
        })
        .onConflict((oc) => oc.columns(['home_id', 'kind', 'job_key']).doNothing())
        .execute();
      // The row lock: a concurrent claimant waits here and then sees this claim's outcome.
      const row = await trx
        .selectFrom('jobs')
        .select(['lease_until', 'holder_host', 'holder_pid', 'holder_started_at'])
        .where(this.#lease.rows())
        .forUpdate()
        .executeTakeFirstOrThrow();
      await this.#lease.expireDeadHolders(trx, now);
      const { token, columns } = this.#lease.claim(now, leaseSeconds);
      const result = await trx
        .updateTable('jobs')
        .set({ ...columns, worker_id: workerId, started_at: now, finished_at: null })
        .where(this.#lease.rows())
        .where(leaseIsFree(now))
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n) {
        return { outcome: 'claimed', ownershipToken: token, leaseUntil: columns.lease_until };
      }
      return {
        outcome: 'held',
        leaseUntil: row.lease_until ?? now,
        holder: holderFromColumns(row),
      };
    });
  }

  /**
   * Extends the lease; its new deadline. Throws `LeaseLostError` when it was lost.
   *
   * @example
   * ```ts
   * const leaseUntil = await store.watchLease.heartbeat({ ownershipToken, leaseSeconds: 30 });
   * ```
   */
  async heartbeat(options: { ownershipToken: string; leaseSeconds: number }): Promise<number> {
    return this.#lease.renew({
      token: checkedToken(options.ownershipToken),
      now: unixSeconds(this.#context.clock),
      leaseSeconds: checkedPositive('leaseSeconds', options.leaseSeconds),
    });
  }

  /**
   * Gives the lease back (another watcher may claim it at once); `false` when the token no longer
   * owned it.
   *
   * @example
   * ```ts
   * await store.watchLease.release({ ownershipToken });
   * ```
   */
  async release(options: { ownershipToken: string }): Promise<boolean> {
    const result = await this.#context.db
      .updateTable('jobs')
      .set({ ...RELEASED_LEASE, finished_at: unixSeconds(this.#context.clock) })
      .where(this.#lease.rows())
      .where(ownedBy(checkedToken(options.ownershipToken)))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
