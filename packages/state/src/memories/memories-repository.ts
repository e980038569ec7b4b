import { randomUUID } from 'node:crypto';

import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';

import { unixSeconds } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { type LeaseHolder, holderColumns, holderFromColumns } from '../leases/lease-holder.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';

/**
 * `jobs.kind` of the per-thread phase-1 (stage-1) extraction jobs; their `job_key` is the thread id.
 *
 * @example
 * ```ts
 * const row = await db.selectFrom('jobs').selectAll()
 *   .where('kind', '=', JOB_KIND_MEMORY_STAGE1).where('job_key', '=', threadId).executeTakeFirst();
 * ```
 */
export const JOB_KIND_MEMORY_STAGE1 = 'memory_stage1';

/**
 * `jobs.kind` of the single phase-2 job (the global consolidation lock and its dirty flag).
 *
 * @example
 * ```ts
 * const key = { kind: JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL, jobKey: MEMORY_CONSOLIDATION_JOB_KEY };
 * ```
 */
export const JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL = 'memory_consolidate_global';

/**
 * `jobs.job_key` of the single phase-2 job.
 *
 * @example
 * ```ts
 * const key = { kind: JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL, jobKey: MEMORY_CONSOLIDATION_JOB_KEY };
 * ```
 */
export const MEMORY_CONSOLIDATION_JOB_KEY = 'global';

/**
 * Attempts a job gets before it stops being retried: a failure takes one, a newer input (the
 * thread changed) or a phase-2 enqueue gives all of them back.
 *
 * @example
 * ```ts
 * const { stage1 } = await store.memories.jobCounts();
 * console.log(`${stage1.exhausted} threads failed ${DEFAULT_RETRY_REMAINING} times`);
 * ```
 */
export const DEFAULT_RETRY_REMAINING = 3;

/**
 * Default cap on stage-1 jobs holding a live lease at once, across every process of a home (the
 * reference's 64).
 *
 * @example
 * ```ts
 * const claims = await store.memories.claimStage1Jobs({ ...options, maxRunning: MAX_RUNNING_STAGE1_JOBS });
 * ```
 */
export const MAX_RUNNING_STAGE1_JOBS = 64;

/**
 * Options of {@link MemoriesRepository.claimStage1Jobs}.
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
 * const claims = await store.memories.claimStage1Jobs(options);
 * ```
 */
export interface ClaimStage1JobsOptions {
  /** Recorded as the jobs' `worker_id` (the reference uses the current thread id). */
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
   * included (default {@link MAX_RUNNING_STAGE1_JOBS}).
   */
  maxRunning?: number | undefined;
  /** A thread never to claim, typically the session that runs the pipeline. */
  excludeThreadId?: string | null | undefined;
}

/**
 * A stage-1 job this worker now owns: extract the thread's memory, then finish the job with
 * {@link MemoriesRepository.markStage1Succeeded} (or `…NoOutput`, or `markStage1Failed`) using the
 * token.
 *
 * @example
 * ```ts
 * const claims: Stage1Claim[] = await store.memories.claimStage1Jobs(options);
 * for (const { thread, ownershipToken } of claims) {
 *   const output = await extract(thread.rolloutPath);
 *   await store.memories.markStage1Succeeded({
 *     threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt, ...output,
 *   });
 * }
 * ```
 */
export interface Stage1Claim {
  /** The thread as read by the candidate query. */
  thread: ThreadMetadata;
  ownershipToken: string;
}

/**
 * Options of {@link MemoriesRepository.tryClaimStage1Job}.
 *
 * @example
 * ```ts
 * const options: TryClaimStage1JobOptions = {
 *   threadId: thread.id,
 *   workerId: 'worker-1',
 *   sourceUpdatedAt: thread.updatedAt,
 *   leaseSeconds: 3600,
 * };
 * const result = await store.memories.tryClaimStage1Job(options);
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
 * Result of {@link MemoriesRepository.tryClaimStage1Job}:
 * - `claimed`: the job is ours until its lease runs out;
 * - `up-to-date`: the stored output, or the last success, already covers `sourceUpdatedAt`;
 * - `running`: another worker holds a live lease, or the running cap is reached;
 * - `retry-backoff`: the job failed recently and waits for its `retry_at`;
 * - `retry-exhausted`: the job failed {@link DEFAULT_RETRY_REMAINING} times; it is lifted when
 *   the thread changes (a newer `sourceUpdatedAt`).
 *
 * @example
 * ```ts
 * const result: Stage1ClaimOutcome = await store.memories.tryClaimStage1Job(options);
 * if (result.outcome === 'claimed') await run(result.ownershipToken);
 * else console.log(`skipped: ${result.outcome}`);
 * ```
 */
export type Stage1ClaimOutcome =
  | { outcome: 'claimed'; ownershipToken: string }
  | { outcome: 'up-to-date' | 'running' | 'retry-backoff' | 'retry-exhausted' };

/**
 * Options of {@link MemoriesRepository.markStage1Succeeded}.
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
 * if (!(await store.memories.markStage1Succeeded(result))) console.warn('lease lost');
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

/**
 * One stored stage-1 output, as phase 2 reads it.
 *
 * @example
 * ```ts
 * const outputs: Stage1Output[] = await store.memories.listStage1Outputs({ limit: 64 });
 * for (const output of outputs) {
 *   writeFileSync(join(root, 'rollout_summaries', `${output.threadId}.md`), output.rolloutSummary);
 * }
 * ```
 */
export interface Stage1Output {
  threadId: string;
  /** The thread's `updatedAt` the output was extracted from, unix seconds. */
  sourceUpdatedAt: number;
  rawMemory: string;
  rolloutSummary: string;
  rolloutSlug: string | null;
  /** When the output was stored, unix seconds. */
  generatedAt: number;
  /** The thread's working directory; `''` when the thread row is gone. */
  cwd: string;
}

/**
 * Result of {@link MemoriesRepository.tryClaimPhase2}:
 * - `claimed`: this worker holds the global lock; `inputWatermark` is the dirty watermark seen at
 *   claim time (pass the watermark actually consolidated to `markPhase2Succeeded`);
 * - `not-dirty`: nothing new since the last success, no retries left, or in backoff;
 * - `running`: another worker holds a live lock.
 *
 * @example
 * ```ts
 * const claim: Phase2ClaimOutcome = await store.memories.tryClaimPhase2({ workerId, leaseSeconds: 3600 });
 * if (claim.outcome === 'claimed') await consolidate(claim.ownershipToken, claim.inputWatermark);
 * ```
 */
export type Phase2ClaimOutcome =
  | { outcome: 'claimed'; ownershipToken: string; inputWatermark: number }
  | { outcome: 'not-dirty' | 'running' };

/**
 * Stage-1 jobs by state. Every job row counts in exactly one field.
 *
 * @example
 * ```ts
 * const { stage1 }: { stage1: Stage1JobCounts } = await store.memories.jobCounts();
 * console.log(`${stage1.running} running, ${stage1.done} done, ${stage1.exhausted} given up`);
 * ```
 */
export interface Stage1JobCounts {
  /** Holding a live lease (what the running cap counts). */
  running: number;
  /**
   * Claimable again now: a lease that ran out without a result, a claim given back (see
   * {@link MemoriesRepository.releaseStage1Claim}), or a failure past its backoff.
   */
  pending: number;
  /** Finished (with or without an output). */
  done: number;
  /** Failed and waiting for their backoff to end. */
  error: number;
  /** Failed with no retries left; lifted when the thread changes. */
  exhausted: number;
}

/**
 * The phase-2 job (global consolidation lock) as `memories status` shows it.
 *
 * @example
 * ```ts
 * const { phase2 }: { phase2: Phase2JobState } = await store.memories.jobCounts();
 * if (phase2.dirty && phase2.status !== 'running') console.log('consolidation pending');
 * ```
 */
export interface Phase2JobState {
  /** `pending`, `running`, `done` or `error`; `null` when nothing was ever enqueued. */
  status: string | null;
  /** New inputs arrived since the last success (`input_watermark > last_success_watermark`). */
  dirty: boolean;
  /** End of the current lease, unix seconds; `null` unless running. */
  leaseUntil: number | null;
  /**
   * The process holding the lock (host, pid, start time); `null` unless running, or for a lock
   * taken before holders were recorded.
   */
  holder: LeaseHolder | null;
  /** When a failed job may run again, unix seconds; `null` when not in backoff. */
  retryAt: number | null;
  /** Reason of the last failure; `null` after a success. */
  lastError: string | null;
}

/**
 * Summary of the memory tables, for `memories status` and `doctor`.
 *
 * @example
 * ```ts
 * const counts: MemoryJobCounts = await store.memories.jobCounts();
 * console.log(JSON.stringify(counts));
 * ```
 */
export interface MemoryJobCounts {
  stage1: Stage1JobCounts;
  phase2: Phase2JobState;
  /** Rows of `stage1_outputs`. */
  outputs: number;
}

/** Internal result of a stage-1 claim: whether a refusal came from the running cap. */
interface Stage1Attempt {
  outcome: Stage1ClaimOutcome;
  capReached: boolean;
}

const STAGE1_THREAD_COLUMNS = THREAD_COLUMNS.map((column) => `threads.${column}` as const);

/**
 * The memories pipeline's coordination: stage-1 (per-thread extraction) jobs with leases, a
 * global running cap, retries and backoff; the stage-1 outputs; and the phase-2 global
 * consolidation lock with its dirty watermark. Every claim is atomic across processes
 * (`BEGIN IMMEDIATE`); every finisher requires the claim's ownership token and returns `false`
 * when the lease was lost (taken over by another worker), in which case the caller must drop its
 * result. Reach it as `store.memories`.
 *
 * @example
 * ```ts
 * const claims = await store.memories.claimStage1Jobs({
 *   workerId, scanLimit: 5000, maxClaimed: 64, maxAgeDays: 30, minIdleHours: 12,
 *   allowedSources: ['cli', 'vscode'], leaseSeconds: 3600,
 * });
 * for (const { thread, ownershipToken } of claims) {
 *   const output = await extract(thread); // no transaction is held meanwhile
 *   await store.memories.markStage1Succeeded({
 *     threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt, ...output,
 *   });
 * }
 * const phase2 = await store.memories.tryClaimPhase2({ workerId, leaseSeconds: 3600 });
 * ```
 */
export class MemoriesRepository {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Claims up to `maxClaimed` stage-1 jobs for threads that need a (new) memory, newest first.
   *
   * Candidates, selected in SQL: active threads with a first user message, of the allowed
   * sources, updated within `maxAgeDays` and idle for at least `minIdleHours`, whose stored output
   * and last successful job are older than the thread; minus the threads whose job holds a live
   * lease, is in backoff or has no retries left (the last two unless the thread changed since),
   * so a scan window full of busy threads never starves an eligible older one. Each candidate is
   * then claimed with {@link tryClaimStage1Job} under the global cap `maxRunning`; the walk stops
   * early once the cap is reached.
   *
   * @example
   * ```ts
   * const claims = await store.memories.claimStage1Jobs({
   *   workerId: session.id, excludeThreadId: session.id, scanLimit: 5000, maxClaimed: 64,
   *   maxAgeDays: 30, minIdleHours: 12, allowedSources: ['cli', 'vscode'], leaseSeconds: 3600,
   * });
   * ```
   */
  async claimStage1Jobs(options: ClaimStage1JobsOptions): Promise<Stage1Claim[]> {
    const scanLimit = checkedCount('scanLimit', options.scanLimit);
    const maxClaimed = checkedCount('maxClaimed', options.maxClaimed);
    const maxAgeDays = checkedNonNegative('maxAgeDays', options.maxAgeDays);
    const minIdleHours = checkedNonNegative('minIdleHours', options.minIdleHours);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    const maxRunning = checkedPositive('maxRunning', options.maxRunning ?? MAX_RUNNING_STAGE1_JOBS);
    const workerId = checkedWorkerId(options.workerId);
    const excluded =
      options.excludeThreadId === undefined || options.excludeThreadId === null
        ? undefined
        : normalizeThreadId(options.excludeThreadId, 'excludeThreadId');
    if (scanLimit === 0 || maxClaimed === 0) return [];

    // Dead holders' jobs are not "busy": free them first, so the scan sees them.
    await immediateTransaction(
      this.#context.db,
      (trx) => this.#expireDeadStage1Holders(trx, unixSeconds(this.#context.clock)),
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
      .where((eb) =>
        eb.and([
          // Not up to date: neither the stored output nor the last success covers the thread.
          eb(
            eb.fn.coalesce('stage1_outputs.source_updated_at', eb.lit(-1)),
            '<',
            eb.ref('threads.updated_at'),
          ),
          eb(
            eb.fn.coalesce('jobs.last_success_watermark', eb.lit(-1)),
            '<',
            eb.ref('threads.updated_at'),
          ),
          // Claimable: the same guards as the claim's upsert, so busy rows do not fill the scan.
          eb.or([
            eb('jobs.status', 'is', null),
            eb('jobs.status', '!=', 'running'),
            eb('jobs.lease_until', 'is', null),
            eb('jobs.lease_until', '<=', now),
          ]),
          eb.or([
            eb('jobs.retry_at', 'is', null),
            eb('jobs.retry_at', '<=', now),
            threadIsNewerThanJob(eb),
          ]),
          eb.or([
            eb('jobs.retry_remaining', 'is', null),
            eb('jobs.retry_remaining', '>', 0),
            threadIsNewerThanJob(eb),
          ]),
        ]),
      )
      .orderBy('threads.updated_at', 'desc')
      .orderBy('threads.id', 'desc')
      .limit(scanLimit)
      .execute();

    const claims: Stage1Claim[] = [];
    for (const row of rows) {
      if (claims.length >= maxClaimed) break;
      const thread = threadFromRow(row);
      const attempt = await this.#tryClaimStage1(
        thread.id,
        workerId,
        thread.updatedAt,
        leaseSeconds,
        maxRunning,
        false,
      );
      if (attempt.outcome.outcome === 'claimed') {
        claims.push({ thread, ownershipToken: attempt.outcome.ownershipToken });
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
   * @example
   * ```ts
   * const result = await store.memories.tryClaimStage1Job({
   *   threadId: thread.id, workerId: 'worker-1', sourceUpdatedAt: thread.updatedAt, leaseSeconds: 3600,
   * });
   * if (result.outcome === 'claimed') console.log(result.ownershipToken);
   * ```
   */
  async tryClaimStage1Job(options: TryClaimStage1JobOptions): Promise<Stage1ClaimOutcome> {
    const attempt = await this.#tryClaimStage1(
      normalizeThreadId(options.threadId, 'threadId'),
      checkedWorkerId(options.workerId),
      checkedSeconds('sourceUpdatedAt', options.sourceUpdatedAt),
      checkedPositive('leaseSeconds', options.leaseSeconds),
      checkedPositive('maxRunning', options.maxRunning ?? MAX_RUNNING_STAGE1_JOBS),
      true,
    );
    return attempt.outcome;
  }

  /**
   * Extends a running stage-1 job's lease to `leaseSeconds` from now. `false` when the lease was
   * lost (the job was taken over or finished): stop working on it.
   *
   * @example
   * ```ts
   * const timer = setInterval(() => {
   *   void store.memories
   *     .heartbeatStage1Job({ threadId, ownershipToken, leaseSeconds: 3600 })
   *     .then((held) => held || controller.abort());
   * }, 60_000);
   * ```
   */
  async heartbeatStage1Job(options: {
    threadId: string;
    ownershipToken: string;
    leaseSeconds: number;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    const now = unixSeconds(this.#context.clock);
    const result = await updateOwnedStage1(this.#context.db, threadId, options.ownershipToken)
      .set({ lease_until: now + leaseSeconds })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
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
   * const kept = await store.memories.markStage1Succeeded({
   *   threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt,
   *   rawMemory: output.rawMemory, rolloutSummary: output.rolloutSummary, rolloutSlug: output.rolloutSlug,
   * });
   * ```
   */
  async markStage1Succeeded(options: MarkStage1SucceededOptions): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    const sourceUpdatedAt = checkedSeconds('sourceUpdatedAt', options.sourceUpdatedAt);
    const rawMemory = checkedText('rawMemory', options.rawMemory);
    const rolloutSummary = checkedText('rolloutSummary', options.rolloutSummary);
    const rolloutSlug = options.rolloutSlug ?? null;
    if (rolloutSlug !== null) checkedText('rolloutSlug', rolloutSlug);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const now = unixSeconds(this.#context.clock);
        if (!(await finishStage1Job(trx, threadId, token, now))) return false;
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
        await enqueueGlobal(trx, sourceUpdatedAt);
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
   * is the reference's later behaviour; its first version marked phase 2 dirty every time.
   * `false` (and nothing written) when the lease was lost.
   *
   * @example
   * ```ts
   * if (!output.rawMemory.trim() && !output.rolloutSummary.trim()) {
   *   await store.memories.markStage1SucceededNoOutput({ threadId: thread.id, ownershipToken });
   * }
   * ```
   */
  async markStage1SucceededNoOutput(options: {
    threadId: string;
    ownershipToken: string;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const now = unixSeconds(this.#context.clock);
        if (!(await finishStage1Job(trx, threadId, token, now))) return false;
        const job = await trx
          .selectFrom('jobs')
          .select('input_watermark')
          .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
          .where('job_key', '=', threadId)
          .where('ownership_token', '=', token)
          .executeTakeFirst();
        const deleted = await trx
          .deleteFrom('stage1_outputs')
          .where('thread_id', '=', threadId)
          .executeTakeFirst();
        if (deleted.numDeletedRows > 0n) await enqueueGlobal(trx, job?.input_watermark ?? 0);
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
   * await store.memories.markStage1Failed({
   *   threadId: thread.id, ownershipToken, reason: String(error), retryDelaySeconds: 3600,
   * });
   * ```
   */
  async markStage1Failed(options: {
    threadId: string;
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    const reason = checkedText('reason', options.reason);
    const delay = checkedCount('retryDelaySeconds', options.retryDelaySeconds);
    const now = unixSeconds(this.#context.clock);
    const result = await updateOwnedStage1(this.#context.db, threadId, token)
      .set((eb) => ({
        status: 'error',
        finished_at: now,
        lease_until: null,
        retry_at: now + delay,
        retry_remaining: decrementedRetries(eb),
        last_error: reason,
      }))
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
   *   void store.memories.releaseStage1Claim({ threadId: thread.id, ownershipToken });
   * });
   * ```
   */
  async releaseStage1Claim(options: {
    threadId: string;
    ownershipToken: string;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const result = await updateOwnedStage1(this.#context.db, threadId, options.ownershipToken)
      .set({ status: 'pending', ownership_token: null, lease_until: null })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * The newest stored outputs with something in them (raw memory or summary not blank), newest
   * source first, at most `limit` (0: none), each with its thread's cwd.
   *
   * @example
   * ```ts
   * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
   * const rawMemories = outputs.map((o) => o.rawMemory).join('\n\n');
   * ```
   */
  async listStage1Outputs(options: { limit: number }): Promise<Stage1Output[]> {
    const limit = checkedCount('limit', options.limit);
    if (limit === 0) return [];
    const rows = await this.#context.db
      .selectFrom('stage1_outputs as so')
      .leftJoin('threads as t', 't.id', 'so.thread_id')
      .select((eb) => [
        'so.thread_id',
        'so.source_updated_at',
        'so.raw_memory',
        'so.rollout_summary',
        'so.rollout_slug',
        'so.generated_at',
        eb.fn.coalesce('t.cwd', eb.val('')).as('cwd'),
      ])
      .where((eb) =>
        eb.or([
          eb(eb.fn('length', [eb.fn('trim', ['so.raw_memory'])]), '>', 0),
          eb(eb.fn('length', [eb.fn('trim', ['so.rollout_summary'])]), '>', 0),
        ]),
      )
      .orderBy('so.source_updated_at', 'desc')
      .orderBy('so.thread_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      threadId: row.thread_id,
      sourceUpdatedAt: row.source_updated_at,
      rawMemory: row.raw_memory,
      rolloutSummary: row.rollout_summary,
      rolloutSlug: row.rollout_slug,
      generatedAt: row.generated_at,
      cwd: row.cwd,
    }));
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
   * await store.memories.enqueueGlobalConsolidation(unixSeconds(clock)); // e.g. after an import
   * ```
   */
  async enqueueGlobalConsolidation(inputWatermark: number): Promise<void> {
    const watermark = checkedSeconds('inputWatermark', inputWatermark);
    await enqueueGlobal(this.#context.db, watermark);
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
   * const claim = await store.memories.tryClaimPhase2({ workerId: session.id, leaseSeconds: 3600 });
   * if (claim.outcome === 'claimed') {
   *   const ok = await consolidate();
   *   if (ok) await store.memories.markPhase2Succeeded({
   *     ownershipToken: claim.ownershipToken, completedWatermark: claim.inputWatermark,
   *   });
   * }
   * ```
   */
  async tryClaimPhase2(options: {
    workerId: string;
    leaseSeconds: number;
  }): Promise<Phase2ClaimOutcome> {
    const workerId = checkedWorkerId(options.workerId);
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    return immediateTransaction(
      this.#context.db,
      async (trx): Promise<Phase2ClaimOutcome> => {
        const now = unixSeconds(this.#context.clock);
        const row = await trx
          .selectFrom('jobs')
          .select([
            'status',
            'ownership_token',
            'lease_until',
            'retry_at',
            'retry_remaining',
            'input_watermark',
            'last_success_watermark',
            'holder_host',
            'holder_pid',
            'holder_started_at',
          ])
          .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
          .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
          .executeTakeFirst();
        if (!row) return { outcome: 'not-dirty' };
        const inputWatermark = row.input_watermark ?? 0;
        if (inputWatermark <= (row.last_success_watermark ?? 0)) return { outcome: 'not-dirty' };
        if (row.retry_remaining <= 0) return { outcome: 'not-dirty' };
        if (row.retry_at !== null && row.retry_at > now) return { outcome: 'not-dirty' };
        if (row.status === 'running' && row.lease_until !== null && row.lease_until > now) {
          const holder = holderFromColumns(row);
          if (holder === null || !this.#context.holderProbe.isDeadOnThisHost(holder)) {
            return { outcome: 'running' };
          }
          // The holder died: its lock ends now, and is claimed below like any expired one.
          await trx
            .updateTable('jobs')
            .set({ lease_until: now })
            .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
            .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
            .where('ownership_token', 'is', row.ownership_token)
            .execute();
        }
        const token = randomUUID();
        const result = await trx
          .updateTable('jobs')
          .set({
            status: 'running',
            worker_id: workerId,
            ownership_token: token,
            started_at: now,
            finished_at: null,
            lease_until: now + leaseSeconds,
            retry_at: null,
            last_error: null,
            ...holderColumns(this.#context.holderProbe.current()),
          })
          .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
          .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
          .where((eb) =>
            eb.and([
              eb('input_watermark', '>', eb.fn.coalesce('last_success_watermark', eb.lit(0))),
              eb.or([
                eb('status', '!=', 'running'),
                eb('lease_until', 'is', null),
                eb('lease_until', '<=', now),
              ]),
              eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]),
              eb('retry_remaining', '>', 0),
            ]),
          )
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) return { outcome: 'running' };
        return { outcome: 'claimed', ownershipToken: token, inputWatermark };
      },
      { path: this.#context.path },
    );
  }

  /**
   * Extends the owned phase-2 lock to `leaseSeconds` from now. `false` when the lock was lost:
   * stop the consolidation.
   *
   * @example
   * ```ts
   * const timer = setInterval(() => {
   *   void store.memories
   *     .heartbeatPhase2({ ownershipToken, leaseSeconds: 3600 })
   *     .then((held) => held || controller.abort());
   * }, 90_000);
   * ```
   */
  async heartbeatPhase2(options: {
    ownershipToken: string;
    leaseSeconds: number;
  }): Promise<boolean> {
    const leaseSeconds = checkedPositive('leaseSeconds', options.leaseSeconds);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#updateOwnedPhase2(options.ownershipToken)
      .set({ lease_until: now + leaseSeconds })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Releases the owned phase-2 lock after a successful consolidation of everything up to
   * `completedWatermark`: `last_success_watermark` becomes the larger of its old value and
   * `completedWatermark`. When enqueues moved the input watermark further during the run, the
   * job stays dirty and the next claim runs it again. `false` when the lock was lost.
   *
   * @example
   * ```ts
   * await store.memories.markPhase2Succeeded({
   *   ownershipToken: claim.ownershipToken,
   *   completedWatermark: Math.max(claim.inputWatermark, ...outputs.map((o) => o.sourceUpdatedAt)),
   * });
   * ```
   */
  async markPhase2Succeeded(options: {
    ownershipToken: string;
    completedWatermark: number;
  }): Promise<boolean> {
    const completed = checkedSeconds('completedWatermark', options.completedWatermark);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#updateOwnedPhase2(options.ownershipToken)
      .set((eb) => {
        const last = eb.fn.coalesce('last_success_watermark', eb.lit(0));
        return {
          status: 'done',
          finished_at: now,
          lease_until: null,
          last_error: null,
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

  /** An update of the phase-2 job that applies only while `ownershipToken` holds it running. */
  #updateOwnedPhase2(ownershipToken: string) {
    return this.#context.db
      .updateTable('jobs')
      .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
      .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
      .where('status', '=', 'running')
      .where('ownership_token', '=', checkedToken(ownershipToken));
  }

  /**
   * Releases the owned phase-2 lock after a failure: status `error`, one retry used (never below
   * 0), claimable again after `retryDelaySeconds` (an enqueue lifts the backoff). `false` when the
   * lock was lost; see {@link markPhase2FailedIfUnowned} for the fallback.
   *
   * @example
   * ```ts
   * const released = await store.memories.markPhase2Failed({
   *   ownershipToken, reason: 'consolidation agent failed', retryDelaySeconds: 3600,
   * });
   * ```
   */
  async markPhase2Failed(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    return this.#failPhase2(options, false);
  }

  /**
   * Like {@link markPhase2Failed}, but also fails a running phase-2 job that has no owner at all
   * (a `NULL` token), so a stuck row does not stay `running`. The fallback when
   * `markPhase2Failed` returned `false`.
   *
   * @example
   * ```ts
   * const options = { ownershipToken, reason: 'agent crashed', retryDelaySeconds: 3600 };
   * if (!(await store.memories.markPhase2Failed(options))) {
   *   await store.memories.markPhase2FailedIfUnowned(options);
   * }
   * ```
   */
  async markPhase2FailedIfUnowned(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean> {
    return this.#failPhase2(options, true);
  }

  /**
   * Gives back the owned phase-2 lock without a result: the job becomes `pending` with no lease
   * and no owner, still dirty, **without** using a retry, setting a backoff or recording an
   * error, so the next claim can consolidate at once. For a consolidation that was interrupted
   * (shutdown, Ctrl-C) rather than failed. `false` when the token no longer holds the lock.
   *
   * @example
   * ```ts
   * try {
   *   await consolidate(controller.signal);
   * } catch (error) {
   *   if (controller.signal.aborted) await store.memories.releasePhase2({ ownershipToken });
   *   else throw error;
   * }
   * ```
   */
  async releasePhase2(options: { ownershipToken: string }): Promise<boolean> {
    const result = await this.#updateOwnedPhase2(options.ownershipToken)
      .set({ status: 'pending', ownership_token: null, lease_until: null })
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Counts of the stage-1 jobs by state, the phase-2 job's state and the number of stored
   * outputs, read in one snapshot.
   *
   * @example
   * ```ts
   * const { stage1, phase2, outputs } = await store.memories.jobCounts();
   * console.log(`${stage1.running} running, ${outputs} memories, phase 2 ${phase2.status ?? 'never run'}`);
   * ```
   */
  async jobCounts(): Promise<MemoryJobCounts> {
    const now = unixSeconds(this.#context.clock);
    return this.#context.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('jobs')
        .select((eb) => [
          eb
            .case()
            .when(
              eb.and([
                eb('status', '=', 'running'),
                eb('lease_until', 'is not', null),
                eb('lease_until', '>', now),
              ]),
            )
            .then(eb.val('running'))
            .when('status', '=', 'done')
            .then(eb.val('done'))
            .when('retry_remaining', '<=', 0)
            .then(eb.val('exhausted'))
            .when(eb.and([eb('status', '=', 'error'), eb('retry_at', '>', now)]))
            .then(eb.val('error'))
            .else(eb.val('pending'))
            .end()
            .as('bucket'),
          eb.fn.countAll<number>().as('n'),
        ])
        .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
        .groupBy('bucket')
        .execute();
      const stage1: Stage1JobCounts = { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 };
      for (const row of rows) stage1[row.bucket as keyof Stage1JobCounts] = Number(row.n);

      const job = await trx
        .selectFrom('jobs')
        .select([
          'status',
          'lease_until',
          'retry_at',
          'last_error',
          'input_watermark',
          'last_success_watermark',
          'holder_host',
          'holder_pid',
          'holder_started_at',
        ])
        .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
        .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
        .executeTakeFirst();
      const outputs = await trx
        .selectFrom('stage1_outputs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return {
        stage1,
        phase2: {
          status: job?.status ?? null,
          dirty: job ? (job.input_watermark ?? 0) > (job.last_success_watermark ?? 0) : false,
          leaseUntil: job?.status === 'running' ? job.lease_until : null,
          holder: job?.status === 'running' ? holderFromColumns(job) : null,
          retryAt:
            job?.retry_at !== null && job?.retry_at !== undefined && job.retry_at > now
              ? job.retry_at
              : null,
          lastError: job?.last_error ?? null,
        },
        outputs: Number(outputs.n),
      };
    });
  }

  /**
   * Forgets every memory: deletes all stage-1 outputs and all jobs of both memory kinds in one
   * transaction (running workers lose their leases: their finishers return `false`). Returns what
   * was deleted. The memory files on disk are the caller's to remove.
   *
   * @example
   * ```ts
   * const { outputs, jobs } = await store.memories.clearMemories();
   * console.log(`forgot ${outputs} memories and ${jobs} jobs`);
   * ```
   */
  async clearMemories(): Promise<{ outputs: number; jobs: number }> {
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const outputs = await trx.deleteFrom('stage1_outputs').executeTakeFirst();
        const jobs = await trx
          .deleteFrom('jobs')
          .where('kind', 'in', [JOB_KIND_MEMORY_STAGE1, JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL])
          .executeTakeFirst();
        return { outputs: Number(outputs.numDeletedRows), jobs: Number(jobs.numDeletedRows) };
      },
      { path: this.#context.path },
    );
  }

  async #tryClaimStage1(
    threadId: string,
    workerId: string,
    sourceUpdatedAt: number,
    leaseSeconds: number,
    maxRunning: number,
    expireDeadHolders: boolean,
  ): Promise<Stage1Attempt> {
    const holder = holderColumns(this.#context.holderProbe.current());
    return immediateTransaction(
      this.#context.db,
      async (trx): Promise<Stage1Attempt> => {
        const now = unixSeconds(this.#context.clock);
        if (expireDeadHolders) await this.#expireDeadStage1Holders(trx, now);
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
          .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
          .where('job_key', '=', threadId)
          .executeTakeFirst();
        const lastSuccess = previous?.last_success_watermark ?? null;
        if (lastSuccess !== null && lastSuccess >= sourceUpdatedAt) return upToDate;

        const token = randomUUID();
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
                eb.val('running').as('status'),
                eb.val(workerId).as('worker_id'),
                eb.val(token).as('ownership_token'),
                eb.val(now).as('started_at'),
                eb.lit(null).as('finished_at'),
                eb.val(now + leaseSeconds).as('lease_until'),
                eb.lit(null).as('retry_at'),
                eb.val(DEFAULT_RETRY_REMAINING).as('retry_remaining'),
                eb.lit(null).as('last_error'),
                eb.val(sourceUpdatedAt).as('input_watermark'),
                eb.lit(null).as('last_success_watermark'),
                eb.val(holder.holder_host).as('holder_host'),
                eb.val(holder.holder_pid).as('holder_pid'),
                eb.val(holder.holder_started_at).as('holder_started_at'),
              ])
              .where((eb) =>
                eb(
                  eb
                    .selectFrom('jobs')
                    .select((sub) => sub.fn.countAll<number>().as('n'))
                    .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
                    .where('status', '=', 'running')
                    .where('lease_until', 'is not', null)
                    .where('lease_until', '>', now),
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
                  eb.or([
                    eb('jobs.status', '!=', 'running'),
                    eb('jobs.lease_until', 'is', null),
                    eb('jobs.lease_until', '<=', eb.ref('excluded.started_at')),
                  ]),
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
                      .where('running_jobs.status', '=', 'running')
                      .where('running_jobs.lease_until', 'is not', null)
                      .whereRef('running_jobs.lease_until', '>', 'excluded.started_at')
                      .whereRef('running_jobs.job_key', '!=', 'excluded.job_key'),
                    '<',
                    maxRunning,
                  ),
                ]),
              ),
          )
          .executeTakeFirst();
        if ((result.numInsertedOrUpdatedRows ?? 0n) > 0n) {
          return { outcome: { outcome: 'claimed', ownershipToken: token }, capReached: false };
        }

        // Refused: find out why. A newer input bypasses backoff and exhaustion, so when the
        // thread changed those cannot be the reason.
        const job = await trx
          .selectFrom('jobs')
          .select(['status', 'lease_until', 'retry_at', 'retry_remaining', 'input_watermark'])
          .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
          .where('job_key', '=', threadId)
          .executeTakeFirst();
        if (job) {
          const newer = sourceUpdatedAt > (job.input_watermark ?? -1);
          if (!newer && job.retry_remaining <= 0) {
            return { outcome: { outcome: 'retry-exhausted' }, capReached: false };
          }
          if (!newer && job.retry_at !== null && job.retry_at > now) {
            return { outcome: { outcome: 'retry-backoff' }, capReached: false };
          }
          if (job.status === 'running' && job.lease_until !== null && job.lease_until > now) {
            return { outcome: { outcome: 'running' }, capReached: false };
          }
        }
        return { outcome: { outcome: 'running' }, capReached: true };
      },
      { path: this.#context.path },
    );
  }

  /**
   * Ends, as of `now`, the live stage-1 leases whose holders died on this host, so they count
   * as expired: claimable again, and no longer against the running cap. Runs inside a claim's
   * transaction; one probe per distinct holder (a handful of processes at most).
   */
  async #expireDeadStage1Holders(trx: Kysely<StateDatabase>, now: number): Promise<void> {
    const holders = await trx
      .selectFrom('jobs')
      .select(['holder_host', 'holder_pid', 'holder_started_at'])
      .distinct()
      .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
      .where('status', '=', 'running')
      .where('lease_until', '>', now)
      .where('holder_host', 'is not', null)
      .execute();
    for (const row of holders) {
      const holder = holderFromColumns(row);
      if (holder === null || !this.#context.holderProbe.isDeadOnThisHost(holder)) continue;
      await trx
        .updateTable('jobs')
        .set({ lease_until: now })
        .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
        .where('status', '=', 'running')
        .where('lease_until', '>', now)
        .where('holder_host', '=', holder.host)
        .where('holder_pid', '=', holder.pid)
        .where('holder_started_at', 'is', holder.startedAt)
        .execute();
    }
  }

  async #failPhase2(
    options: { ownershipToken: string; reason: string; retryDelaySeconds: number },
    ifUnowned: boolean,
  ): Promise<boolean> {
    const token = checkedToken(options.ownershipToken);
    const reason = checkedText('reason', options.reason);
    const delay = checkedCount('retryDelaySeconds', options.retryDelaySeconds);
    const now = unixSeconds(this.#context.clock);
    const result = await this.#context.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'error',
        finished_at: now,
        lease_until: null,
        retry_at: now + delay,
        retry_remaining: decrementedRetries(eb),
        last_error: reason,
      }))
      .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
      .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
      .where('status', '=', 'running')
      .where((eb) =>
        ifUnowned
          ? eb.or([eb('ownership_token', '=', token), eb('ownership_token', 'is', null)])
          : eb('ownership_token', '=', token),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

/** An update of a thread's stage-1 job that applies only while `ownershipToken` holds it running. */
function updateOwnedStage1(db: Kysely<StateDatabase>, threadId: string, ownershipToken: string) {
  return db
    .updateTable('jobs')
    .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
    .where('job_key', '=', threadId)
    .where('status', '=', 'running')
    .where('ownership_token', '=', checkedToken(ownershipToken));
}

/** Ends an owned running stage-1 job as `done`; false when the token no longer owns it. */
async function finishStage1Job(
  trx: Kysely<StateDatabase>,
  threadId: string,
  token: string,
  now: number,
): Promise<boolean> {
  const result = await updateOwnedStage1(trx, threadId, token)
    .set((eb) => ({
      status: 'done',
      finished_at: now,
      lease_until: null,
      last_error: null,
      last_success_watermark: eb.ref('input_watermark'),
    }))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The reference's enqueue: insert the pending singleton, or make the existing one dirty. */
async function enqueueGlobal(db: Kysely<StateDatabase>, inputWatermark: number): Promise<void> {
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

/** `retry_remaining - 1`, never below 0 (portable `max(retry_remaining - 1, 0)`). */
function decrementedRetries(eb: ExpressionBuilder<StateDatabase, 'jobs'>): Expression<number> {
  return eb
    .case()
    .when('retry_remaining', '>', 0)
    .then(eb('retry_remaining', '-', 1))
    .else(eb.val(0))
    .end();
}

/** In the candidate query: the thread changed since its job's last claim. */
function threadIsNewerThanJob(
  eb: ExpressionBuilder<StateDatabase & { jobs: StateDatabase['jobs'] }, 'threads' | 'jobs'>,
): Expression<SqlBool> {
  return eb('threads.updated_at', '>', eb.fn.coalesce('jobs.input_watermark', eb.lit(-1)));
}

/** In the claim's upsert: the new input is newer than the existing row's. */
function excludedIsNewer(
  eb: ExpressionBuilder<StateDatabase & { excluded: StateDatabase['jobs'] }, 'jobs' | 'excluded'>,
): Expression<SqlBool> {
  return eb('excluded.input_watermark', '>', eb.fn.coalesce('jobs.input_watermark', eb.lit(-1)));
}

function checkedCount(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}

function checkedPositive(argument: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

function checkedNonNegative(argument: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `expected a non-negative number, got ${String(value)}`,
    );
  }
  return value;
}

function checkedSeconds(argument: string, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(argument, `expected whole unix seconds, got ${String(value)}`);
  }
  return value;
}

function checkedWorkerId(value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError('workerId', 'expected a non-empty string');
  }
  return value;
}

function checkedToken(value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError('ownershipToken', 'expected the token of a claim');
  }
  return value;
}

function checkedText(argument: string, value: string): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(argument, `expected a string, got ${typeof value}`);
  }
  return value;
}
