import { unixSeconds } from '../clock.js';
import type { WatchLeaseStore } from '../contract/store-contract.js';
import { type LeaseHolder, holderFromColumns } from '../leases/lease-holder.js';
import { OwnedLeases, RELEASED_LEASE, leaseIsFree, ownedBy } from '../leases/owned-lease.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import { checkedPositive, checkedToken, checkedWorkerId } from '../store/argument-checks.js';
import type { StoreContext } from '../store/store-context.js';
import { WATCH_JOB_KEY, WATCH_JOB_KIND } from './watch-lease-row.js';

/**
 * What `store.watchLease.tryClaim` answers: `claimed` (this process watches the home until
 * `leaseUntil`, unix seconds, renewing with `heartbeat`), or `held` by another live process, named
 * by `holder` when it recorded itself.
 *
 * @example
 * ```ts
 * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
 * if (claim.outcome === 'held') throw new LeaseHeldError('the watcher', { holder: claim.holder });
 * ```
 */
export type WatchLeaseClaim =
  | { outcome: 'claimed'; ownershipToken: string; leaseUntil: number }
  | { outcome: 'held'; leaseUntil: number; holder: LeaseHolder | null };

/**
 * The watcher's lease (`agent-state watch`): a row of the `jobs` table owned as the other leases
 * are (see `OwnedLeases`), so a watcher that died on this host is taken over at once and one that
 * stopped renewing once its lease runs out. Reach it as `store.watchLease`.
 *
 * @example
 * ```ts
 * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
 * if (claim.outcome === 'claimed') await store.watchLease.release({ ownershipToken: claim.ownershipToken });
 * ```
 */
export class WatchLeaseRepository implements WatchLeaseStore {
  readonly #context: StoreContext;
  readonly #lease: OwnedLeases;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
    this.#lease = new OwnedLeases(context, {
      table: 'jobs',
      kind: { kind: WATCH_JOB_KIND, job_key: WATCH_JOB_KEY },
      name: 'watcher',
    });
  }

  /**
   * Takes the lease when it is free, expired, or its holder died on this host.
   *
   * @example
   * ```ts
   * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
   * ```
   */
  async tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<WatchLeaseClaim> {
    const workerId = checkedWorkerId(options.workerId);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return immediateTransaction(
      this.#context.db,
      async (trx): Promise<WatchLeaseClaim> => {
        const now = unixSeconds(this.#context.clock);
        await trx
          .insertInto('jobs')
          .values({
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
          .onConflict((oc) => oc.columns(['kind', 'job_key']).doNothing())
          .execute();
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
        const row = await trx
          .selectFrom('jobs')
          .select(['lease_until', 'holder_host', 'holder_pid', 'holder_started_at'])
          .where(this.#lease.rows())
          .executeTakeFirstOrThrow();
        return {
          outcome: 'held',
          leaseUntil: row.lease_until ?? now,
          holder: holderFromColumns(row),
        };
      },
      { path: this.#context.path },
    );
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
