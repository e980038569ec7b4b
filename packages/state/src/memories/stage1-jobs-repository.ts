import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';

import { unixSeconds } from '../clock.js';
import type { Stage1JobStore } from '../contract/store-contract.js';
import { checkedPositive, checkedToken } from '../store/argument-checks.js';
import {
  OwnedLeases,
  RELEASED_LEASE,
  leaseIsFree,
  leaseIsLive,
  ownedBy,
} from '../leases/owned-lease.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';
import {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_STAGE1,
  checkedJobFailure,
  checkedStage1ClaimOptions,
  checkedStage1Success,
  checkedStage1TryClaim,
  failedJobColumns,
  finishedJobColumns,
  stage1CandidateConditions,
  stage1ClaimRefusal,
} from './memory-jobs.js';
import { enqueueGlobalConsolidation } from './phase2-lock-repository.js';

// The cap lives with the other memory-job rules (shared with other store backends).
export { MAX_RUNNING_STAGE1_JOBS } from './memory-jobs.js';

/**
 * Options of `store.stage1Jobs.claimEligible`.
 *
 * @example
 * ```ts
 * const options: ClaimStage1JobsOptions = {
 *   workerId: currentThreadId,
 *   excludeThreadId: currentThreadId,
 *   scanLimit: 5000,
 *   maxClaimed: 64,
 *   maxAgeDays: 30,
 *   minIdleHours: 12,
 *   allowedSources: ['cli', 'vscode'],
 *   leaseSeconds: 3600,
 * };
 * const claims = await store.stage1Jobs.claimEligible(options);
 * ```
 */
export interface ClaimStage1JobsOptions {
  /** Recorded as the jobs' `worker_id` (Codex uses the current thread id). */
  workerId: string;
  /** At most this many candidate threads are read, newest first (0: claim nothing). */
  scanLimit: number;
  /** Stop after this many claims (0: claim nothing). */
  maxClaimed: number;
  /** Only threads updated within this many days. */
  maxAgeDays: number;
  /** Only threads not updated for at least this many hours (their rollout is idle). */
  minIdleHours: number;
  /** Only threads of these sources (`cli`, `vscode`, …); empty or absent: every source. */
  allowedSources?: readonly string[] | undefined;
  /** Lease of each claimed job, seconds. */
  leaseSeconds: number;
  /**
   * Cap on stage-1 jobs holding a live lease at once across all processes, this call's claims
   * included (default 64, the reference's cap).
   */
  maxRunning?: number | undefined;
  /** A thread never to claim, typically the session that runs the pipeline. */
  excludeThreadId?: string | null | undefined;
}

/**
 * A stage-1 job this worker now owns: extract the thread's memory (renewing the lease with
 * `store.stage1Jobs.heartbeat` meanwhile), then finish the job with
 * `store.stage1Jobs.markSucceeded` (or `…NoOutput`, or `markFailed`) using the token.
 *
 * @example
 * ```ts
 * const claims: Stage1Claim[] = await store.stage1Jobs.claimEligible(options);
 * for (const { thread, ownershipToken } of claims) {
 *   const output = await extract(thread.rolloutPath);
 *   await store.stage1Jobs.markSucceeded({
 *     threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt, ...output,
 *   });
 * }
 * ```
 */
export interface Stage1Claim {
  /** The thread as read by the candidate query. */
  thread: ThreadMetadata;
  ownershipToken: string;
  /** End of the job's lease, unix seconds. */
  leaseUntil: number;
}

/**
 * Options of `store.stage1Jobs.tryClaim`.
 *
 * @example
 * ```ts
 * const options: TryClaimStage1JobOptions = {
 *   threadId: thread.id,
 *   workerId: 'worker-1',
 *   sourceUpdatedAt: thread.updatedAt,
 *   leaseSeconds: 3600,
 * };
 * const result = await store.stage1Jobs.tryClaim(options);
 * ```
 */
export interface TryClaimStage1JobOptions {
  threadId: string;
  /** Recorded as the job's `worker_id`. */
  workerId: string;
  /** The thread's `updatedAt` the extraction will read (becomes the job's `input_watermark`). */
  sourceUpdatedAt: number;
  /** Lease of the job, seconds. */
  leaseSeconds: number;
  /** Cap on live stage-1 leases across all processes (default {@link MAX_RUNNING_STAGE1_JOBS}). */
  maxRunning?: number | undefined;
}

/**
 * Result of `store.stage1Jobs.tryClaim`:
 * - `claimed`: the job is ours until its lease runs out at `leaseUntil` (unix seconds);
 * - `up-to-date`: the stored output, or the last success, already covers `sourceUpdatedAt`;
 * - `running`: another worker holds a live lease, or the running cap is reached;
 * - `retry-backoff`: the job failed recently and waits for its `retry_at`;
 * - `retry-exhausted`: the job failed 3 times (its retries are used up); it is lifted when
 *   the thread changes (a newer `sourceUpdatedAt`).
 *
 * @example
 * ```ts
 * const result: Stage1ClaimOutcome = await store.stage1Jobs.tryClaim(options);
 * if (result.outcome === 'claimed') await run(result.ownershipToken);
 * else console.log(`skipped: ${result.outcome}`);
 * ```
 */
export type Stage1ClaimOutcome =
  | { outcome: 'claimed'; ownershipToken: string; leaseUntil: number }
  | { outcome: 'up-to-date' | 'running' | 'retry-backoff' | 'retry-exhausted' };

/**
 * Options of `store.stage1Jobs.markSucceeded`.
 *
 * @example
 * ```ts
 * const result: MarkStage1SucceededOptions = {
 *   threadId: thread.id,
 *   ownershipToken,
 *   sourceUpdatedAt: thread.updatedAt,
 *   rawMemory: parsed.raw_memory,
 *   rolloutSummary: parsed.rollout_summary,
 *   rolloutSlug: parsed.rollout_slug,
 * };
 * if (!(await store.stage1Jobs.markSucceeded(result))) console.warn('lease lost');
 * ```
 */
export interface MarkStage1SucceededOptions {
  threadId: string;
  ownershipToken: string;
  /** The thread's `updatedAt` the output was extracted from. */
  sourceUpdatedAt: number;
  rawMemory: string;
  rolloutSummary: string;
  /** Short file-name-safe slug the model chose for the rollout, if any. */
  rolloutSlug?: string | null | undefined;
}

/** Internal result of a stage-1 claim: whether a refusal came from the running cap. */
interface Stage1Attempt {
  outcome: Stage1ClaimOutcome;
  capReached: boolean;
}

const STAGE1_THREAD_COLUMNS = THREAD_COLUMNS.map((column) => `threads.${column}` as const);

/**
 * The per-thread stage-1 (extraction) jobs of the memories pipeline: one owned lease per thread
 * (like the backfill's), claimed under a global running cap, with retries and backoff. Every claim
 * is atomic across processes (`BEGIN IMMEDIATE`); a job whose holder died on this host is taken
 * over at once. Every finisher requires the claim's ownership token and returns `false` when the
 * lease was lost (taken over by another worker), in which case the caller must drop its result;
 * {@link heartbeat} throws `LeaseLostError` instead, as the backfill's does. A success stores the
 * thread's output and marks phase 2 dirty (see `store.phase2Lock`). Reach it as
 * `store.stage1Jobs`.
 *
 * @example
 * ```ts
 * const claims = await store.stage1Jobs.claimEligible({
 *   workerId, scanLimit: 5000, maxClaimed: 64, maxAgeDays: 30, minIdleHours: 12,
 *   allowedSources: ['cli', 'vscode'], leaseSeconds: 3600,
 * });
 * for (const { thread, ownershipToken } of claims) {
 *   const output = await extract(thread); // no transaction is held meanwhile
 *   await store.stage1Jobs.markSucceeded({
 *     threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt, ...output,
 *   });
 * }
 * ```
 */
export class Stage1JobsRepository implements Stage1JobStore {
  readonly #context: StoreContext;
  readonly #jobs: OwnedLeases;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
    this.#jobs = new OwnedLeases(context, {
      table: 'jobs',
      kind: { kind: JOB_KIND_MEMORY_STAGE1 },
      name: 'stage-1 job',
    });
  }

  /**
   * Claims up to `maxClaimed` stage-1 jobs for threads that need a (new) memory, newest first.
   *
   * Candidates, selected in SQL: active threads with a first user message, of the allowed
   * sources, updated within `maxAgeDays` and idle for at least `minIdleHours`, whose stored output
   * and last successful job are older than the thread; minus the threads whose job holds a live
   * lease, is in backoff or has no retries left (the last two unless the thread changed since),
   * so a scan window full of busy threads never starves an eligible older one. Each candidate is
   * then claimed with {@link tryClaim} under the global cap `maxRunning`; the walk stops early
   * once the cap is reached.
   *
   * @example
   * ```ts
   * const claims = await store.stage1Jobs.claimEligible({
   *   workerId: session.id, excludeThreadId: session.id, scanLimit: 5000, maxClaimed: 64,
   *   maxAgeDays: 30, minIdleHours: 12, allowedSources: ['cli', 'vscode'], leaseSeconds: 3600,
   * });
   * ```
   */
  async claimEligible(options: ClaimStage1JobsOptions): Promise<Stage1Claim[]> {
    const {
      scanLimit,
      maxClaimed,
      maxAgeDays,
      minIdleHours,
      leaseSeconds,
      maxRunning,
      workerId,
      excludeThreadId: excluded,
    } = checkedStage1ClaimOptions(options);
    if (scanLimit === 0 || maxClaimed === 0) return [];

    // Dead holders' jobs are not "busy": free them first, so the scan sees them.
    await immediateTransaction(
      this.#context.db,
      (trx) => this.#jobs.expireDeadHolders(trx, unixSeconds(this.#context.clock)),
      { path: this.#context.path },
    );
    const now = unixSeconds(this.#context.clock);
    const maxAgeCutoff = now - Math.floor(maxAgeDays * 86_400);
    const idleCutoff = now - Math.floor(minIdleHours * 3_600);
    let query = this.#context.db
      .selectFrom('threads')
      .leftJoin('stage1_outputs', 'stage1_outputs.thread_id', 'threads.id')
      .leftJoin('jobs', (join) =>
        join.on('jobs.kind', '=', JOB_KIND_MEMORY_STAGE1).onRef('jobs.job_key', '=', 'threads.id'),
      )
      .select(STAGE1_THREAD_COLUMNS)
      .where('threads.archived', '=', 0)
      .where('threads.first_user_message', '<>', '');
    if (options.allowedSources && options.allowedSources.length > 0) {
      query = query.where('threads.source', 'in', [...options.allowedSources]);
    }
    if (excluded !== undefined) query = query.where('threads.id', '!=', excluded);
    const rows = await query
      .where('threads.updated_at', '>=', maxAgeCutoff)
      .where('threads.updated_at', '<=', idleCutoff)
      .where(stage1CandidateConditions(now))
      .orderBy('threads.updated_at', 'desc')
      .orderBy('threads.id', 'desc')
      .limit(scanLimit)
      .execute();

    const claims: Stage1Claim[] = [];
    for (const row of rows) {
      if (claims.length >= maxClaimed) break;
      const thread = threadFromRow(row);
      const attempt = await this.#tryClaim(
        thread.id,
        workerId,
        thread.updatedAt,
        leaseSeconds,
        maxRunning,
        false,
      );
      if (attempt.outcome.outcome === 'claimed') {
        const { ownershipToken, leaseUntil } = attempt.outcome;
        claims.push({ thread, ownershipToken, leaseUntil });
      } else if (attempt.capReached) {
        // The cap counts every live lease but the candidate's own, which is not live: every
        // later candidate would be refused too.
        break;
      }
    }
    return claims;
  }

  /**
   * Tries to claim one thread's stage-1 job, in one `BEGIN IMMEDIATE` transaction: up to date
   * when the stored output or the job's last success covers `sourceUpdatedAt`; otherwise one
   * guarded upsert takes the job unless another worker holds a live lease, the job is in backoff
   * or out of retries (both lifted when `sourceUpdatedAt` is newer than the job's last input,
   * which also gives it {@link DEFAULT_RETRY_REMAINING} retries again), or `maxRunning` other
   * stage-1 jobs hold live leases. An expired lease is taken over, and so, at once, is any live
   * stage-1 lease whose holder died on this host (it no longer counts against the cap either).
   * Records this process as the job's holder.
   *
   * It claims by the caller's watermark whatever the thread's memory mode (Codex's primitive):
   * the candidate scan, `claimEligible`, is what skips disabled threads, and what a caller that
   * must respect people's opt-outs claims through.
   *
   * @example
   * ```ts
   * const result = await store.stage1Jobs.tryClaim({
   *   threadId: thread.id, workerId: 'worker-1', sourceUpdatedAt: thread.updatedAt, leaseSeconds: 3600,
   * });
   * if (result.outcome === 'claimed') console.log(result.ownershipToken);
   * ```
   */
  async tryClaim(options: TryClaimStage1JobOptions): Promise<Stage1ClaimOutcome> {
    const { threadId, workerId, sourceUpdatedAt, leaseSeconds, maxRunning } =
      checkedStage1TryClaim(options);
    const attempt = await this.#tryClaim(
      threadId,
      workerId,
      sourceUpdatedAt,
      leaseSeconds,
      maxRunning,
      true,
    );
    return attempt.outcome;
  }

  /**
   * Extends a running stage-1 job's lease to `leaseSeconds` from now; resolves to the new
   * deadline (unix seconds). Throws `LeaseLostError` when the lease is lost (the job was taken
   * over or finished, or its deadline has come): stop working on it. `startLeaseHeartbeat` calls
   * it while the extraction runs.
   *
   * @example
   * ```ts
   * const heartbeat = startLeaseHeartbeat({
   *   lease: 'stage-1 job', clock: store.clock, intervalMs: 90_000, leaseUntil: claim.leaseUntil,
   *   renew: () => store.stage1Jobs.heartbeat({ threadId, ownershipToken, leaseSeconds: 3600 }),
   *   logger,
   * });
   * ```
   */
  async heartbeat(options: {
    threadId: string;
    ownershipToken: string;
    leaseSeconds: number;
  }): Promise<number> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return this.#jobs.renew({
      key: { job_key: threadId },
      token: checkedToken(options.ownershipToken),
      now: unixSeconds(this.#context.clock),
      leaseSeconds,
    });
  }

  /**
   * Finishes an owned stage-1 job with an output, in one transaction: the job becomes `done` with
   * `last_success_watermark` = the input watermark of the claim; the output is stored unless a
   * newer one already is; and the phase-2 job is marked dirty with `sourceUpdatedAt`. `false`
   * (and nothing written) when the lease was lost. An output for a thread deleted meanwhile is
   * dropped.
   *
   * @example
   * ```ts
   * const kept = await store.stage1Jobs.markSucceeded({
   *   threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt,
   *   rawMemory: output.rawMemory, rolloutSummary: output.rolloutSummary, rolloutSlug: output.rolloutSlug,
   * });
   * ```
   */
  async markSucceeded(options: MarkStage1SucceededOptions): Promise<boolean> {
    const { threadId, token, sourceUpdatedAt, rawMemory, rolloutSummary, rolloutSlug } =
      checkedStage1Success(options);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const now = unixSeconds(this.#context.clock);
        if (!(await this.#finish(trx, threadId, token, now))) return false;
        // INSERT … SELECT … FROM threads: no row (and no foreign-key error) once the thread is gone.
        await trx
          .insertInto('stage1_outputs')
          .columns([
            'thread_id',
            'source_updated_at',
            'raw_memory',
            'rollout_summary',
            'rollout_slug',
            'generated_at',
          ])
          .expression((eb) =>
            eb
              .selectFrom('threads')
              .select([
                'threads.id',
                eb.val(sourceUpdatedAt).as('source_updated_at'),
                eb.val(rawMemory).as('raw_memory'),
                eb.val(rolloutSummary).as('rollout_summary'),
                eb.val(rolloutSlug).as('rollout_slug'),
                eb.val(now).as('generated_at'),
              ])
              .where('threads.id', '=', threadId),
          )
          .onConflict((oc) =>
            oc
              .column('thread_id')
              .doUpdateSet((eb) => ({
                source_updated_at: eb.ref('excluded.source_updated_at'),
                raw_memory: eb.ref('excluded.raw_memory'),
                rollout_summary: eb.ref('excluded.rollout_summary'),
                rollout_slug: eb.ref('excluded.rollout_slug'),
                generated_at: eb.ref('excluded.generated_at'),
              }))
              .where('excluded.source_updated_at', '>=', (eb) =>
                eb.ref('stage1_outputs.source_updated_at'),
              ),
          )
          .execute();
        await enqueueGlobalConsolidation(trx, sourceUpdatedAt);
        return true;
      },
      { path: this.#context.path },
    );
  }

  /**
   * Finishes an owned stage-1 job whose thread yielded nothing worth remembering: the job becomes
   * `done` (so the thread is not extracted again until it changes) and any older output of the
   * thread is deleted. Phase 2 is marked dirty (with the claim's input watermark) only when an
   * output was actually deleted: with nothing deleted the consolidated memory cannot change. This
   * is Codex's later behaviour; its first version marked phase 2 dirty every time.
   * `false` (and nothing written) when the lease was lost.
   *
   * @example
   * ```ts
   * if (!output.rawMemory.trim() && !output.rolloutSummary.trim()) {
   *   await store.stage1Jobs.markSucceededNoOutput({ threadId: thread.id, ownershipToken });
   * }
   * ```
   */
  async markSucceededNoOutput(options: {
    threadId: string;
    ownershipToken: string;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const now = unixSeconds(this.#context.clock);
        if (!(await this.#finish(trx, threadId, token, now))) return false;
        const job = await trx
          .selectFrom('jobs')
          .select('input_watermark')
          .where(this.#jobs.rows({ job_key: threadId }))
          .where('ownership_token', '=', token)
          .executeTakeFirst();
        const deleted = await trx
          .deleteFrom('stage1_outputs')
          .where('thread_id', '=', threadId)
          .executeTakeFirst();
        if (deleted.numDeletedRows > 0n) {
          await enqueueGlobalConsolidation(trx, job?.input_watermark ?? 0);
        }
        return true;
      },
      { path: this.#context.path },
    );
  }

  /**
   * Records a failed extraction of an owned stage-1 job: status `error`, one retry used (never
   * below 0), claimable again after `retryDelaySeconds` (or at once when the thread changes).
   * `false` when the lease was lost.
   *
   * @example
   * ```ts
   * await store.stage1Jobs.markFailed({
   *   threadId: thread.id, ownershipToken, reason: String(error), retryDelaySeconds: 3600,
   * });
   * ```
   */
  async markFailed(options: {
    threadId: string;
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const { token, reason, retryDelaySeconds } = checkedJobFailure(options);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#updateOwned(this.#context.db, threadId, token)
      .set((eb) => failedJobColumns(eb, { now, retryDelaySeconds, reason }))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Gives back an owned stage-1 job without a result, as if it had never been claimed: the job
   * becomes `pending` with no lease and no owner, **without** using a retry, setting a backoff or
   * recording an error, so the next claim (by any worker) can take it at once. For work that was
   * interrupted rather than failed: a shutdown, a Ctrl-C, a sibling task that failed. `false` when
   * the token no longer owns a running job (the lease was lost, or the job already finished).
   *
   * @example
   * ```ts
   * controller.signal.addEventListener('abort', () => {
   *   void store.stage1Jobs.release({ threadId: thread.id, ownershipToken });
   * });
   * ```
   */
  async release(options: { threadId: string; ownershipToken: string }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const result = await this.#updateOwned(this.#context.db, threadId, options.ownershipToken)
      .set(RELEASED_LEASE)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** An update of a thread's stage-1 job that applies only while `ownershipToken` owns it. */
  #updateOwned(db: Kysely<StateDatabase>, threadId: string, ownershipToken: string) {
    return db
      .updateTable('jobs')
      .where(this.#jobs.rows({ job_key: threadId }))
      .where(ownedBy(checkedToken(ownershipToken)));
  }

  /** Ends an owned running stage-1 job as `done`; false when the token no longer owns it. */
  async #finish(
    trx: Kysely<StateDatabase>,
    threadId: string,
    token: string,
    now: number,
  ): Promise<boolean> {
    const result = await this.#updateOwned(trx, threadId, token)
      .set((eb) => ({
        ...finishedJobColumns(now),
        last_success_watermark: eb.ref('input_watermark'),
      }))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async #tryClaim(
    threadId: string,
    workerId: string,
    sourceUpdatedAt: number,
    leaseSeconds: number,
    maxRunning: number,
    expireDeadHolders: boolean,
  ): Promise<Stage1Attempt> {
    return immediateTransaction(
      this.#context.db,
      async (trx): Promise<Stage1Attempt> => {
        const now = unixSeconds(this.#context.clock);
        if (expireDeadHolders) await this.#jobs.expireDeadHolders(trx, now);
        const upToDate: Stage1Attempt = { outcome: { outcome: 'up-to-date' }, capReached: false };
        const output = await trx
          .selectFrom('stage1_outputs')
          .select('source_updated_at')
          .where('thread_id', '=', threadId)
          .executeTakeFirst();
        if (output && output.source_updated_at >= sourceUpdatedAt) return upToDate;
        const previous = await trx
          .selectFrom('jobs')
          .select('last_success_watermark')
          .where(this.#jobs.rows({ job_key: threadId }))
          .executeTakeFirst();
        const lastSuccess = previous?.last_success_watermark ?? null;
        if (lastSuccess !== null && lastSuccess >= sourceUpdatedAt) return upToDate;

        const { token, columns } = this.#jobs.claim(now, leaseSeconds);
        // One statement: insert a new job, or take over the existing row, only under the cap.
        // The outer WHERE (cap) also lets SQLite parse INSERT … SELECT … ON CONFLICT.
        const result = await trx
          .insertInto('jobs')
          .columns([
            'kind',
            'job_key',
            'status',
            'worker_id',
            'ownership_token',
            'started_at',
            'finished_at',
            'lease_until',
            'retry_at',
            'retry_remaining',
            'last_error',
            'input_watermark',
            'last_success_watermark',
            'holder_host',
            'holder_pid',
            'holder_started_at',
          ])
          .expression(
            trx
              .selectNoFrom((eb) => [
                eb.val(JOB_KIND_MEMORY_STAGE1).as('kind'),
                eb.val(threadId).as('job_key'),
                eb.val(columns.status).as('status'),
                eb.val(workerId).as('worker_id'),
                eb.val(columns.ownership_token).as('ownership_token'),
                eb.val(now).as('started_at'),
                eb.lit(null).as('finished_at'),
                eb.val(columns.lease_until).as('lease_until'),
                eb.lit(null).as('retry_at'),
                eb.val(DEFAULT_RETRY_REMAINING).as('retry_remaining'),
                eb.lit(null).as('last_error'),
                eb.val(sourceUpdatedAt).as('input_watermark'),
                eb.lit(null).as('last_success_watermark'),
                eb.val(columns.holder_host).as('holder_host'),
                eb.val(columns.holder_pid).as('holder_pid'),
                eb.val(columns.holder_started_at).as('holder_started_at'),
              ])
              .where((eb) =>
                eb(
                  eb
                    .selectFrom('jobs')
                    .select((sub) => sub.fn.countAll<number>().as('n'))
                    .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
                    .where(leaseIsLive(now)),
                  '<',
                  maxRunning,
                ),
              ),
          )
          .onConflict((oc) =>
            oc
              .columns(['kind', 'job_key'])
              .doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                worker_id: eb.ref('excluded.worker_id'),
                ownership_token: eb.ref('excluded.ownership_token'),
                started_at: eb.ref('excluded.started_at'),
                finished_at: null,
                lease_until: eb.ref('excluded.lease_until'),
                retry_at: null,
                retry_remaining: eb
                  .case()
                  .when(excludedIsNewer(eb))
                  .then(eb.val(DEFAULT_RETRY_REMAINING))
                  .else(eb.ref('jobs.retry_remaining'))
                  .end(),
                last_error: null,
                input_watermark: eb.ref('excluded.input_watermark'),
                holder_host: eb.ref('excluded.holder_host'),
                holder_pid: eb.ref('excluded.holder_pid'),
                holder_started_at: eb.ref('excluded.holder_started_at'),
              }))
              .where((eb) =>
                eb.and([
                  leaseIsFree(now, 'jobs'),
                  eb.or([
                    eb('jobs.retry_at', 'is', null),
                    eb('jobs.retry_at', '<=', eb.ref('excluded.started_at')),
                    excludedIsNewer(eb),
                  ]),
                  eb.or([eb('jobs.retry_remaining', '>', 0), excludedIsNewer(eb)]),
                  eb(
                    eb
                      .selectFrom('jobs as running_jobs')
                      .select((sub) => sub.fn.countAll<number>().as('n'))
                      .whereRef('running_jobs.kind', '=', 'excluded.kind')
                      .where(leaseIsLive(now, 'running_jobs'))
                      .whereRef('running_jobs.job_key', '!=', 'excluded.job_key'),
                    '<',
                    maxRunning,
                  ),
                ]),
              ),
          )
          .executeTakeFirst();
        if ((result.numInsertedOrUpdatedRows ?? 0n) > 0n) {
          return {
            outcome: { outcome: 'claimed', ownershipToken: token, leaseUntil: columns.lease_until },
            capReached: false,
          };
        }

        // Refused: find out why. A newer input bypasses backoff and exhaustion, so when the
        // thread changed those cannot be the reason.
        const job = await trx
          .selectFrom('jobs')
          .select(['status', 'lease_until', 'retry_at', 'retry_remaining', 'input_watermark'])
          .where(this.#jobs.rows({ job_key: threadId }))
          .executeTakeFirst();
        const refusal = job ? stage1ClaimRefusal(job, sourceUpdatedAt, now) : null;
        if (refusal !== null) return { outcome: { outcome: refusal }, capReached: false };
        return { outcome: { outcome: 'running' }, capReached: true };
      },
      { path: this.#context.path },
    );
  }
}

/** In the claim's upsert: the new input is newer than the existing row's. */
function excludedIsNewer(
  eb: ExpressionBuilder<StateDatabase & { excluded: StateDatabase['jobs'] }, 'jobs' | 'excluded'>,
): Expression<SqlBool> {
  return eb('excluded.input_watermark', '>', eb.fn.coalesce('jobs.input_watermark', eb.lit(-1)));
}
