import { type Phase2ClaimOutcome, type Phase2LockStore, unixSeconds } from '@agent-state/state';
import {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  MEMORY_CONSOLIDATION_JOB_KEY,
  RELEASED_LEASE,
  checkedJobFailure,
  checkedPositive,
  checkedSeconds,
  checkedToken,
  checkedWorkerId,
  finishedJobColumns,
  leaseIsFree,
  ownedBy,
  phase2ClaimDue,
} from '@agent-state/state/backend';
import { type Kysely, type SqlBool, sql } from 'kysely';

import { PostgresOwnedLeases, leaseTransaction } from '../leases/postgres-owned-lease.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import type { PostgresContext } from '../store/postgres-context.js';
import { failedJobColumns } from './postgres-memory-jobs.js';

/**
 * The phase-2 job of a home in a PostgreSQL store: its consolidation lock (an owned lease, one
 * `jobs` row per home) and its dirty watermark, with the SQLite store's semantics. Claims lock the
 * row, so concurrent claimants on any machine queue and one wins; a lock whose holder died on this
 * host is taken over at once. Every finisher requires the claim's token and returns `false` when
 * the lock was lost; `heartbeat` throws `LeaseLostError`. Reach it as `store.phase2Lock`.
 *
 * @example
 * ```ts
 * await store.phase2Lock.enqueue(thread.updatedAt);
 * const claim = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
 * if (claim.outcome === 'claimed') {
 *   await store.phase2Lock.markSucceeded({
 *     ownershipToken: claim.ownershipToken, completedWatermark: claim.inputWatermark,
 *   });
 * }
 * ```
 */
export class PostgresPhase2Lock implements Phase2LockStore {
  readonly #context: PostgresContext;
  readonly #lock: PostgresOwnedLeases;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
    this.#lock = new PostgresOwnedLeases(context, {
      table: 'jobs',
      kind: { kind: JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL, job_key: MEMORY_CONSOLIDATION_JOB_KEY },
      name: 'phase-2 lock',
    });
  }

  /**
   * Marks the home's phase-2 job dirty: its input watermark becomes `inputWatermark` when larger,
   * else the old watermark + 1, so every enqueue makes it run again. A pending or failed job
   * becomes `pending` with its backoff cleared; a running one stays running. Retries are re-armed.
   *
   * @example
   * ```ts
   * await store.phase2Lock.enqueue(unixSeconds(clock));
   * ```
   */
  async enqueue(inputWatermark: number): Promise<void> {
    const watermark = checkedSeconds('inputWatermark', inputWatermark);
    await enqueueGlobalConsolidation(this.#context.db, this.#lock.homeId, watermark);
  }

  /**
   * Tries to take the home's consolidation lock: `not-dirty` when there is nothing new, no retry
   * left or the job is in backoff; `running` when another worker holds a live lock; otherwise
   * `claimed` with a new token and the dirty watermark. Records this process as the holder.
   *
   * @example
   * ```ts
   * const claim = await store.phase2Lock.tryClaim({ workerId: session.id, leaseSeconds: 3600 });
   * ```
   */
  async tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<Phase2ClaimOutcome> {
    const workerId = checkedWorkerId(options.workerId);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return leaseTransaction(this.#context, async (trx): Promise<Phase2ClaimOutcome> => {
      const now = unixSeconds(this.#context.clock);
      // The row lock: a concurrent claimant waits here and then sees this claim's outcome.
      const row = await trx
        .selectFrom('jobs')
        .select(['retry_at', 'retry_remaining', 'input_watermark', 'last_success_watermark'])
        .where(this.#lock.rows())
        .forUpdate()
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
        .where(leaseIsFree(now))
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return { outcome: 'running' };
      return {
        outcome: 'claimed',
        ownershipToken: token,
        inputWatermark,
        leaseUntil: columns.lease_until,
      };
    });
  }

  /**
   * Extends the owned lock to `leaseSeconds` from now; the new deadline (unix seconds). Throws
   * `LeaseLostError` when the lock is lost.
   *
   * @example
   * ```ts
   * const leaseUntil = await store.phase2Lock.heartbeat({ ownershipToken, leaseSeconds: 3600 });
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
   * Releases the owned lock after a consolidation of everything up to `completedWatermark` (the
   * last success becomes the larger of the two). Enqueues during the run keep the job dirty.
   * `false` when the lock was lost.
   *
   * @example
   * ```ts
   * await store.phase2Lock.markSucceeded({ ownershipToken, completedWatermark: claim.inputWatermark });
   * ```
   */
  async markSucceeded(options: {
    ownershipToken: string;
    completedWatermark: number;
  }): Promise<boolean> {
    const completed = checkedSeconds('completedWatermark', options.completedWatermark);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#context.db
      .updateTable('jobs')
      .set({
        ...finishedJobColumns(now),
        last_success_watermark: sql<number>`greatest(coalesce(last_success_watermark, 0), ${completed}::bigint)`,
      })
      .where(this.#lock.rows())
      .where(ownedBy(checkedToken(options.ownershipToken)))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Releases the owned lock after a failure: `error`, one retry used (never below 0), claimable
   * again after `retryDelaySeconds` (an enqueue lifts the backoff). `false` when the lock was lost.
   *
   * @example
   * ```ts
   * await store.phase2Lock.markFailed({ ownershipToken, reason: 'agent failed', retryDelaySeconds: 3600 });
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
   * `NULL` token): the fallback when `markFailed` returned `false`.
   *
   * @example
   * ```ts
   * if (!(await store.phase2Lock.markFailed(failure))) await store.phase2Lock.markFailedIfUnowned(failure);
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
   * Gives back the owned lock without a result, still dirty, without using a retry, setting a
   * backoff or recording an error. `false` when the token no longer holds the lock.
   *
   * @example
   * ```ts
   * await store.phase2Lock.release({ ownershipToken });
   * ```
   */
  async release(options: { ownershipToken: string }): Promise<boolean> {
    const result = await this.#context.db
      .updateTable('jobs')
      .set(RELEASED_LEASE)
      .where(this.#lock.rows())
      .where(ownedBy(checkedToken(options.ownershipToken)))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async #fail(
    options: { ownershipToken: string; reason: string; retryDelaySeconds: number },
    ifUnowned: boolean,
  ): Promise<boolean> {
    const { token, reason, retryDelaySeconds } = checkedJobFailure(options);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#context.db
      .updateTable('jobs')
      .set(failedJobColumns({ now, retryDelaySeconds, reason }))
      .where(this.#lock.rows())
      .where(
        ifUnowned
          ? sql<SqlBool>`(status = 'running' AND (ownership_token = ${token} OR ownership_token IS NULL))`
          : ownedBy(token),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/**
 * The reference's enqueue for one home: insert the pending phase-2 job, or make the existing one
 * dirty (see {@link PostgresPhase2Lock.enqueue}); one statement, atomic by itself. Runs in the
 * caller's transaction when given one (a stage-1 success marks phase 2 dirty with its output).
 *
 * @example
 * ```ts
 * await enqueueGlobalConsolidation(trx, homeId, sourceUpdatedAt);
 * ```
 */
export async function enqueueGlobalConsolidation(
  db: Kysely<PostgresDatabase>,
  homeId: string,
  inputWatermark: number,
): Promise<void> {
  await db
    .insertInto('jobs')
    .values({
      home_id: homeId,
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
      oc.columns(['home_id', 'kind', 'job_key']).doUpdateSet((eb) => {
        const running = eb('jobs.status', '=', 'running');
        const oldWatermark = eb.fn.coalesce('jobs.input_watermark', eb.lit(0));
        return {
          status: eb.case().when(running).then(eb.val('running')).else(eb.val('pending')).end(),
          retry_at: eb.case().when(running).then(eb.ref('jobs.retry_at')).else(eb.lit(null)).end(),
          retry_remaining: sql<number>`greatest(jobs.retry_remaining, excluded.retry_remaining)`,
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
