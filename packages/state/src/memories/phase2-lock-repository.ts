import type { Kysely } from 'kysely';

import { unixSeconds } from '../clock.js';
import type { Phase2LockStore } from '../contract/store-contract.js';
import {
  checkedPositive,
  checkedSeconds,
  checkedToken,
  checkedWorkerId,
} from '../store/argument-checks.js';
import { OwnedLeases, RELEASED_LEASE, leaseIsFree, ownedBy } from '../leases/owned-lease.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  MEMORY_CONSOLIDATION_JOB_KEY,
  checkedJobFailure,
  failedJobColumns,
  finishedJobColumns,
  phase2ClaimDue,
} from './memory-jobs.js';

/**
 * Result of `store.phase2Lock.tryClaim`:
 * - `claimed`: this worker holds the global lock until `leaseUntil` (unix seconds; renew it with
 *   `store.phase2Lock.heartbeat`); `inputWatermark` is the dirty watermark seen at claim
 *   time (pass the watermark actually consolidated to `markSucceeded`);
 * - `not-dirty`: nothing new since the last success, no retries left, or in backoff;
 * - `running`: another worker holds a live lock.
 *
 * @example
 * ```ts
 * const claim: Phase2ClaimOutcome = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
 * if (claim.outcome === 'claimed') await consolidate(claim.ownershipToken, claim.inputWatermark);
 * ```
 */
export type Phase2ClaimOutcome =
  | { outcome: 'claimed'; ownershipToken: string; inputWatermark: number; leaseUntil: number }
  | { outcome: 'not-dirty' | 'running' };

/**
 * The phase-2 job of the memories pipeline: the single global consolidation lock (an owned lease,
 * like the backfill's) and its dirty watermark. Claims are atomic across processes
 * (`BEGIN IMMEDIATE`); a lock whose holder died on this host is taken over at once. Every
 * finisher requires the claim's ownership token and returns `false` when the lock was lost (taken
 * over), in which case the caller must drop its result; {@link heartbeat} throws
 * `LeaseLostError` instead, as the backfill's does. Reach it as `store.phase2Lock`.
 *
 * @example
 * ```ts
 * await store.phase2Lock.enqueue(thread.updatedAt);
 * const claim = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
 * if (claim.outcome === 'claimed') {
 *   await consolidate();
 *   await store.phase2Lock.markSucceeded({
 *     ownershipToken: claim.ownershipToken, completedWatermark: claim.inputWatermark,
 *   });
 * }
 * ```
 */
export class Phase2LockRepository implements Phase2LockStore {
  readonly #context: StoreContext;
  readonly #lock: OwnedLeases;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
    this.#lock = new OwnedLeases(context, {
      table: 'jobs',
      kind: { kind: JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL, job_key: MEMORY_CONSOLIDATION_JOB_KEY },
      name: 'phase-2 lock',
    });
  }

  /**
   * Marks the phase-2 job dirty: its input watermark becomes `inputWatermark` when larger, else
   * the old watermark + 1, so every enqueue (even of an older, backfilled input) makes it run
   * again. A pending or failed job becomes `pending` with its backoff cleared; a running one stays
   * running (and runs again after it succeeds). Retries are re-armed. Stage-1 successes call this
   * themselves.
   *
   * @example
   * ```ts
   * await store.phase2Lock.enqueue(unixSeconds(clock)); // e.g. after an import
   * ```
   */
  async enqueue(inputWatermark: number): Promise<void> {
    const watermark = checkedSeconds('inputWatermark', inputWatermark);
    await enqueueGlobalConsolidation(this.#context.db, watermark);
  }

  /**
   * Tries to take the global consolidation lock, in one `BEGIN IMMEDIATE` transaction:
   * `not-dirty` when there is nothing new, no retry left or the job is in backoff; `running` when
   * another worker holds a live lock; otherwise `claimed` with a new token and the dirty
   * watermark. An expired lock is taken over, and so, at once, is the lock of a holder that died
   * on this host. Records this process as the holder.
   *
   * @example
   * ```ts
   * const claim = await store.phase2Lock.tryClaim({ workerId: session.id, leaseSeconds: 3600 });
   * if (claim.outcome === 'claimed') {
   *   const ok = await consolidate();
   *   if (ok) await store.phase2Lock.markSucceeded({
   *     ownershipToken: claim.ownershipToken, completedWatermark: claim.inputWatermark,
   *   });
   * }
   * ```
   */
  async tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<Phase2ClaimOutcome> {
    const workerId = checkedWorkerId(options.workerId);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return immediateTransaction(
      this.#context.db,
      async (trx): Promise<Phase2ClaimOutcome> => {
        const now = unixSeconds(this.#context.clock);
        const row = await trx
          .selectFrom('jobs')
          .select(['retry_at', 'retry_remaining', 'input_watermark', 'last_success_watermark'])
          .where(this.#lock.rows())
          .executeTakeFirst();
        if (!row || !phase2ClaimDue(row, now)) return { outcome: 'not-dirty' };
        const inputWatermark = row.input_watermark ?? 0;
        // A holder that died here loses the lock now; a live one keeps it (the claim is refused).
        await this.#lock.expireDeadHolders(trx, now);
        const { token, columns } = this.#lock.claim(now, leaseSeconds);
        const result = await trx
          .updateTable('jobs')
          .set({
            ...columns,
            worker_id: workerId,
            started_at: now,
            finished_at: null,
            retry_at: null,
            last_error: null,
          })
          .where(this.#lock.rows())
          .where((eb) =>
            eb.and([
              eb('input_watermark', '>', eb.fn.coalesce('last_success_watermark', eb.lit(0))),
              leaseIsFree(now),
              eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]),
              eb('retry_remaining', '>', 0),
            ]),
          )
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) return { outcome: 'running' };
        return {
          outcome: 'claimed',
          ownershipToken: token,
          inputWatermark,
          leaseUntil: columns.lease_until,
        };
      },
      { path: this.#context.path },
    );
  }

  /**
   * Extends the owned lock to `leaseSeconds` from now; resolves to the new deadline (unix
   * seconds). Throws `LeaseLostError` when the lock is lost (taken over or finished, or its
   * deadline has come): stop the consolidation. `startLeaseHeartbeat` calls it while the
   * consolidation runs.
   *
   * @example
   * ```ts
   * const heartbeat = startLeaseHeartbeat({
   *   lease: 'phase-2 lock', clock: store.clock, intervalMs: 90_000, leaseUntil: claim.leaseUntil,
   *   renew: () => store.phase2Lock.heartbeat({ ownershipToken, leaseSeconds: 3600 }), logger,
   * });
   * ```
   */
  async heartbeat(options: { ownershipToken: string; leaseSeconds: number }): Promise<number> {
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return this.#lock.renew({
      token: checkedToken(options.ownershipToken),
      now: unixSeconds(this.#context.clock),
      leaseSeconds,
    });
  }

  /**
   * Releases the owned lock after a successful consolidation of everything up to
   * `completedWatermark`: `last_success_watermark` becomes the larger of its old value and
   * `completedWatermark`. When enqueues moved the input watermark further during the run, the
   * job stays dirty and the next claim runs it again. `false` when the lock was lost.
   *
   * @example
   * ```ts
   * await store.phase2Lock.markSucceeded({
   *   ownershipToken: claim.ownershipToken,
   *   completedWatermark: Math.max(claim.inputWatermark, ...outputs.map((o) => o.sourceUpdatedAt)),
   * });
   * ```
   */
  async markSucceeded(options: {
    ownershipToken: string;
    completedWatermark: number;
  }): Promise<boolean> {
    const completed = checkedSeconds('completedWatermark', options.completedWatermark);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#updateOwned(options.ownershipToken)
      .set((eb) => {
        const last = eb.fn.coalesce('last_success_watermark', eb.lit(0));
        return {
          ...finishedJobColumns(now),
          last_success_watermark: eb
            .case()
            .when(last, '>', completed)
            .then(last)
            .else(eb.val(completed))
            .end(),
        };
      })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Releases the owned lock after a failure: status `error`, one retry used (never below 0),
   * claimable again after `retryDelaySeconds` (an enqueue lifts the backoff). `false` when the
   * lock was lost; see {@link markFailedIfUnowned} for the fallback.
   *
   * @example
   * ```ts
   * const released = await store.phase2Lock.markFailed({
   *   ownershipToken, reason: 'consolidation agent failed', retryDelaySeconds: 3600,
   * });
   * ```
   */
  async markFailed(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    return this.#fail(options, false);
  }

  /**
   * Like {@link markFailed}, but also fails a running phase-2 job that has no owner at all (a
   * `NULL` token), so a stuck row does not stay `running`. The fallback when `markFailed`
   * returned `false`.
   *
   * @example
   * ```ts
   * const options = { ownershipToken, reason: 'agent crashed', retryDelaySeconds: 3600 };
   * if (!(await store.phase2Lock.markFailed(options))) {
   *   await store.phase2Lock.markFailedIfUnowned(options);
   * }
   * ```
   */
  async markFailedIfUnowned(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    return this.#fail(options, true);
  }

  /**
   * Gives back the owned lock without a result: the job becomes `pending` with no lease and no
   * owner, still dirty, **without** using a retry, setting a backoff or recording an error, so the
   * next claim can consolidate at once. For a consolidation that was interrupted (shutdown,
   * Ctrl-C) rather than failed. `false` when the token no longer holds the lock.
   *
   * @example
   * ```ts
   * try {
   *   await consolidate(controller.signal);
   * } catch (error) {
   *   if (controller.signal.aborted) await store.phase2Lock.release({ ownershipToken });
   *   else throw error;
   * }
   * ```
   */
  async release(options: { ownershipToken: string }): Promise<boolean> {
    const result = await this.#updateOwned(options.ownershipToken)
      .set(RELEASED_LEASE)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** An update of the phase-2 job that applies only while `ownershipToken` holds it. */
  #updateOwned(ownershipToken: string) {
    return this.#context.db
      .updateTable('jobs')
      .where(this.#lock.rows())
      .where(ownedBy(checkedToken(ownershipToken)));
  }

  async #fail(
    options: { ownershipToken: string; reason: string; retryDelaySeconds: number },
    ifUnowned: boolean,
  ): Promise<boolean> {
    const { token, reason, retryDelaySeconds } = checkedJobFailure(options);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#context.db
      .updateTable('jobs')
      .set((eb) => failedJobColumns(eb, { now, retryDelaySeconds, reason }))
      .where(this.#lock.rows())
      .where((eb) =>
        ifUnowned
          ? eb.and([
              eb('status', '=', 'running'),
              eb.or([eb('ownership_token', '=', token), eb('ownership_token', 'is', null)]),
            ])
          : ownedBy(token),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/**
 * The reference's enqueue: insert the pending phase-2 job, or make the existing one dirty (see
 * {@link Phase2LockRepository.enqueue}). Runs in the caller's statement or transaction.
 */
export async function enqueueGlobalConsolidation(
  db: Kysely<StateDatabase>,
  inputWatermark: number,
): Promise<void> {
  await db
    .insertInto('jobs')
    .values({
      kind: JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
      job_key: MEMORY_CONSOLIDATION_JOB_KEY,
      status: 'pending',
      worker_id: null,
      ownership_token: null,
      started_at: null,
      finished_at: null,
      lease_until: null,
      retry_at: null,
      retry_remaining: DEFAULT_RETRY_REMAINING,
      last_error: null,
      input_watermark: inputWatermark,
      last_success_watermark: 0,
    })
    .onConflict((oc) =>
      oc.columns(['kind', 'job_key']).doUpdateSet((eb) => {
        const running = eb('jobs.status', '=', 'running');
        const oldWatermark = eb.fn.coalesce('jobs.input_watermark', eb.lit(0));
        return {
          status: eb.case().when(running).then(eb.val('running')).else(eb.val('pending')).end(),
          retry_at: eb.case().when(running).then(eb.ref('jobs.retry_at')).else(eb.lit(null)).end(),
          retry_remaining: eb
            .case()
            .when('jobs.retry_remaining', '>', eb.ref('excluded.retry_remaining'))
            .then(eb.ref('jobs.retry_remaining'))
            .else(eb.ref('excluded.retry_remaining'))
            .end(),
          input_watermark: eb
            .case()
            .when('excluded.input_watermark', '>', oldWatermark)
            .then(eb.ref('excluded.input_watermark'))
            .else(eb(oldWatermark, '+', 1))
            .end(),
        };
      }),
    )
    .execute();
}
