import {
  type Expression,
  type ExpressionBuilder,
  type RawBuilder,
  type SqlBool,
  sql,
} from 'kysely';

import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { type LeaseHolderColumns, holderFromColumns } from '../leases/lease-holder.js';
import { isLeaseLive, leaseIsFree } from '../leases/owned-lease.js';
import {
  checkedCount,
  checkedNonNegative,
  checkedPositive,
  checkedSeconds,
  checkedText,
  checkedToken,
  checkedWorkerId,
} from '../store/argument-checks.js';
import type { StateDatabase } from '../store/schema.js';
import { normalizeThreadId } from '../threads/thread-metadata.js';
import type { Phase2JobState } from './memories-repository.js';
import type {
  ClaimStage1JobsOptions,
  MarkStage1SucceededOptions,
  TryClaimStage1JobOptions,
} from './stage1-jobs-repository.js';

// What the two kinds of memory jobs in `jobs` share (Codex's `jobs` table): their kinds,
// their retries, and the columns a finished or failed job gets.

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
 * const claims = await store.stage1Jobs.claimEligible({ ...options, maxRunning: MAX_RUNNING_STAGE1_JOBS });
 * ```
 */
export const MAX_RUNNING_STAGE1_JOBS = 64;

/**
 * Whether phase 1 may extract a thread's memory (Codex's `threads.memory_mode`): `enabled`, the
 * default, or `disabled` (the thread is never claimed, and its stored output, if any, no longer
 * feeds phase 2).
 *
 * @example
 * ```ts
 * await store.memories.setMemoryMode({ threadIds: [id], mode: 'disabled' satisfies MemoryMode });
 * ```
 */
export type MemoryMode = 'enabled' | 'disabled';

/** The memory modes, in the order `memories status` shows them. */
const MEMORY_MODES: readonly MemoryMode[] = ['enabled', 'disabled'];

/**
 * The threads a memory control applies to: the given ids, or every thread whose cwd is exactly
 * `cwd` (as the threads list's `cwd` filter).
 *
 * @example
 * ```ts
 * const byId: MemoryThreadSelection = { threadIds: ['01a1fca2-290e-7023-a2aa-62c446d63b1d'] };
 * const byProject: MemoryThreadSelection = { cwd: '/home/me/src/app' };
 * ```
 */
export type MemoryThreadSelection =
  { threadIds: readonly string[]; cwd?: undefined } | { cwd: string; threadIds?: undefined };

/**
 * Options of `store.memories.listStage1Outputs`.
 *
 * @example
 * ```ts
 * const recent = await store.memories.listStage1Outputs({ limit: 5, cwd: thread.cwd });
 * ```
 */
export interface ListStage1OutputsOptions {
  /** At most this many outputs (0: none). */
  limit: number;
  /** Only outputs of threads whose cwd is exactly this (the seed's "memories of this cwd"). */
  cwd?: string | undefined;
  /**
   * Also outputs of threads whose memory mode is `disabled`. Phase 2 leaves them out (as Codex);
   * `memories list` shows them, marked.
   */
  includeDisabled?: boolean | undefined;
}

/**
 * Checks the options of `store.memories.listStage1Outputs`: a whole `limit`, a non-empty `cwd`.
 *
 * @example
 * ```ts
 * const { limit, cwd, includeDisabled } = checkedListStage1Outputs(options);
 * ```
 */
export function checkedListStage1Outputs(options: ListStage1OutputsOptions): {
  limit: number;
  cwd: string | undefined;
  includeDisabled: boolean;
} {
  const cwd = options.cwd;
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd === '')) {
    throw new InvalidArgumentError('cwd', 'expected a non-empty directory path');
  }
  return {
    limit: checkedCount('limit', options.limit),
    cwd,
    includeDisabled: options.includeDisabled === true,
  };
}

/**
 * Checks a {@link MemoryThreadSelection}: either a non-empty list of thread ids (normalised,
 * each once, in the order given) or a non-empty cwd, not both. Throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * const selection = checkedMemoryThreadSelection({ threadIds: ['01A1FCA2-…'] }); // normalised
 * ```
 */
export function checkedMemoryThreadSelection(
  selection: MemoryThreadSelection,
): { threadIds: string[] } | { cwd: string } {
  const { threadIds, cwd } = selection as { threadIds?: unknown; cwd?: unknown };
  if ((threadIds === undefined) === (cwd === undefined)) {
    throw new InvalidArgumentError('threadIds', 'expected thread ids or a cwd (one of the two)');
  }
  if (cwd !== undefined) {
    if (typeof cwd !== 'string' || cwd === '') {
      throw new InvalidArgumentError('cwd', 'expected a non-empty directory path');
    }
    return { cwd };
  }
  if (!Array.isArray(threadIds) || threadIds.length === 0) {
    throw new InvalidArgumentError('threadIds', 'expected at least one thread id');
  }
  const ids = threadIds.map((id: unknown, index) =>
    normalizeThreadId(id as string, `threadIds[${index}]`),
  );
  return { threadIds: [...new Set(ids)] };
}

/**
 * Checks a memory mode (`enabled` or `disabled`). Throws `InvalidArgumentError` naming `mode`.
 *
 * @example
 * ```ts
 * const mode = checkedMemoryMode(options.mode);
 * ```
 */
export function checkedMemoryMode(mode: unknown): MemoryMode {
  if (!(MEMORY_MODES as readonly unknown[]).includes(mode)) {
    throw new InvalidArgumentError(
      'mode',
      `expected ${MEMORY_MODES.join(' or ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return mode as MemoryMode;
}

/**
 * The error for thread ids a memory control names that the store does not hold (none of the
 * selection is changed).
 *
 * @example
 * ```ts
 * if (missing.length > 0) throw unknownMemoryThreads(missing);
 * ```
 */
export function unknownMemoryThreads(missing: readonly string[]): NotFoundError {
  return new NotFoundError(
    missing.length === 1
      ? `thread ${missing[0]}`
      : `threads ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, … (${missing.length})` : ''}`,
  );
}

/** The options of a batch claim of stage-1 jobs, checked, with the defaults filled in. */
export interface CheckedStage1ClaimOptions {
  scanLimit: number;
  maxClaimed: number;
  maxAgeDays: number;
  minIdleHours: number;
  leaseSeconds: number;
  maxRunning: number;
  workerId: string;
  /** The normalised id of the thread never to claim, if any. */
  excludeThreadId: string | undefined;
}

/**
 * Checks the options of `store.stage1Jobs.claimEligible` (whole counts, non-negative ages, a
 * positive lease and cap, a worker id, a thread id to exclude) and fills in the running cap
 * ({@link MAX_RUNNING_STAGE1_JOBS}). Throws `InvalidArgumentError` naming the first bad option.
 *
 * @example
 * ```ts
 * const checked = checkedStage1ClaimOptions(options);
 * if (checked.scanLimit === 0 || checked.maxClaimed === 0) return [];
 * ```
 */
export function checkedStage1ClaimOptions(
  options: ClaimStage1JobsOptions,
): CheckedStage1ClaimOptions {
  return {
    scanLimit: checkedCount('scanLimit', options.scanLimit),
    maxClaimed: checkedCount('maxClaimed', options.maxClaimed),
    maxAgeDays: checkedNonNegative('maxAgeDays', options.maxAgeDays),
    minIdleHours: checkedNonNegative('minIdleHours', options.minIdleHours),
    leaseSeconds: checkedPositive('leaseSeconds', options.leaseSeconds),
    maxRunning: checkedPositive('maxRunning', options.maxRunning ?? MAX_RUNNING_STAGE1_JOBS),
    workerId: checkedWorkerId(options.workerId),
    excludeThreadId:
      options.excludeThreadId === undefined || options.excludeThreadId === null
        ? undefined
        : normalizeThreadId(options.excludeThreadId, 'excludeThreadId'),
  };
}

/** The options of a claim of one thread's stage-1 job, checked, with the running cap filled in. */
export interface CheckedStage1TryClaim {
  threadId: string;
  workerId: string;
  sourceUpdatedAt: number;
  leaseSeconds: number;
  maxRunning: number;
}

/**
 * Checks the options of `store.stage1Jobs.tryClaim` and fills in the running cap. Throws
 * `InvalidArgumentError` naming the first bad option.
 *
 * @example
 * ```ts
 * const { threadId, workerId, sourceUpdatedAt } = checkedStage1TryClaim(options);
 * ```
 */
export function checkedStage1TryClaim(options: TryClaimStage1JobOptions): CheckedStage1TryClaim {
  return {
    threadId: normalizeThreadId(options.threadId, 'threadId'),
    workerId: checkedWorkerId(options.workerId),
    sourceUpdatedAt: checkedSeconds('sourceUpdatedAt', options.sourceUpdatedAt),
    leaseSeconds: checkedPositive('leaseSeconds', options.leaseSeconds),
    maxRunning: checkedPositive('maxRunning', options.maxRunning ?? MAX_RUNNING_STAGE1_JOBS),
  };
}

/** A stage-1 success, checked: the output to store and the token that must still own the job. */
export interface CheckedStage1Success {
  threadId: string;
  token: string;
  sourceUpdatedAt: number;
  rawMemory: string;
  rolloutSummary: string;
  rolloutSlug: string | null;
}

/**
 * Checks the options of `store.stage1Jobs.markSucceeded` (no slug is `null`). Throws
 * `InvalidArgumentError` naming the first bad option.
 *
 * @example
 * ```ts
 * const { threadId, token, rawMemory, rolloutSummary, rolloutSlug } = checkedStage1Success(options);
 * ```
 */
export function checkedStage1Success(options: MarkStage1SucceededOptions): CheckedStage1Success {
  const threadId = normalizeThreadId(options.threadId, 'threadId');
  const token = checkedToken(options.ownershipToken);
  const sourceUpdatedAt = checkedSeconds('sourceUpdatedAt', options.sourceUpdatedAt);
  const rawMemory = checkedText('rawMemory', options.rawMemory);
  const rolloutSummary = checkedText('rolloutSummary', options.rolloutSummary);
  const rolloutSlug = options.rolloutSlug ?? null;
  if (rolloutSlug !== null) checkedText('rolloutSlug', rolloutSlug);
  return { threadId, token, sourceUpdatedAt, rawMemory, rolloutSummary, rolloutSlug };
}

/**
 * Checks a failure of an owned memory job (a stage-1 job or the phase-2 lock): its token, a
 * reason and a whole retry delay. Throws `InvalidArgumentError` naming the first bad option.
 *
 * @example
 * ```ts
 * const { token, reason, retryDelaySeconds } = checkedJobFailure(options);
 * ```
 */
export function checkedJobFailure(options: {
  ownershipToken: string;
  reason: string;
  retryDelaySeconds: number;
}): { token: string; reason: string; retryDelaySeconds: number } {
  return {
    token: checkedToken(options.ownershipToken),
    reason: checkedText('reason', options.reason),
    retryDelaySeconds: checkedCount('retryDelaySeconds', options.retryDelaySeconds),
  };
}

/** The columns of a stage-1 job that decide whether it may be claimed (see {@link stage1ClaimRefusal}). */
export interface Stage1JobClaimColumns {
  status: string;
  lease_until: number | null;
  retry_at: number | null;
  retry_remaining: number;
  input_watermark: number | null;
}

/**
 * Why an existing stage-1 job may not be claimed at `now` for an input of `sourceUpdatedAt`, or
 * `null` when it may (as far as the job itself goes: whether the output is up to date and the
 * running cap are the caller's). A newer input (the thread changed since the job's last claim)
 * lifts both the backoff and the exhaustion of retries; a live lease is never lifted. The order is
 * the order of the reasons a caller reports: out of retries, in backoff, held by a live lease.
 *
 * @example
 * ```ts
 * const refusal = stage1ClaimRefusal(jobRow, thread.updatedAt, unixSeconds(clock));
 * if (refusal !== null) return { outcome: refusal };
 * ```
 */
export function stage1ClaimRefusal(
  job: Stage1JobClaimColumns,
  sourceUpdatedAt: number,
  now: number,
): 'retry-exhausted' | 'retry-backoff' | 'running' | null {
  const newer = sourceUpdatedAt > (job.input_watermark ?? -1);
  if (!newer && job.retry_remaining <= 0) return 'retry-exhausted';
  if (!newer && job.retry_at !== null && job.retry_at > now) return 'retry-backoff';
  if (isLeaseLive(job, now)) return 'running';
  return null;
}

/**
 * The rules that make a thread a stage-1 candidate at `now`, as one condition any Kysely dialect
 * runs over `threads` left-joined with its `stage1_outputs` and its stage-1 `jobs` row: its memory
 * mode is `enabled` (Codex's `threads.memory_mode`), its memory is not up to date (neither the stored output nor the job's last success covers its
 * `updated_at`), and its job may be claimed as far as the job goes (the SQL form of
 * {@link stage1ClaimRefusal}: no live lease; not in backoff and not out of retries, unless the
 * thread changed since the job's last claim). Both stores' candidate scans use it, so busy rows do
 * not fill a scan.
 *
 * @example
 * ```ts
 * query.where(stage1CandidateConditions(unixSeconds(clock)))
 * ```
 */
export function stage1CandidateConditions(now: number): RawBuilder<SqlBool> {
  const newer = sql`threads.updated_at > coalesce(jobs.input_watermark, -1)`;
  return sql<SqlBool>`(threads.memory_mode = 'enabled'
    and coalesce(stage1_outputs.source_updated_at, -1) < threads.updated_at
    and coalesce(jobs.last_success_watermark, -1) < threads.updated_at
    and ${leaseIsFree(now, 'jobs')}
    and (jobs.retry_at is null or jobs.retry_at <= ${now} or ${newer})
    and (jobs.retry_remaining is null or jobs.retry_remaining > 0 or ${newer}))`;
}

/** The columns of the phase-2 job that {@link phase2ClaimDue} and {@link phase2JobState} read. */
export interface Phase2JobColumns extends LeaseHolderColumns {
  status: string;
  lease_until: number | null;
  retry_at: number | null;
  retry_remaining: number;
  last_error: string | null;
  input_watermark: number | null;
  last_success_watermark: number | null;
}

/**
 * Whether the phase-2 job has work that may run at `now`: dirty (its input watermark is past its
 * last success), with a retry left and out of backoff. Whether another worker holds it is the
 * lease's question, asked separately.
 *
 * @example
 * ```ts
 * if (!row || !phase2ClaimDue(row, now)) return { outcome: 'not-dirty' };
 * ```
 */
export function phase2ClaimDue(
  job: Pick<
    Phase2JobColumns,
    'retry_at' | 'retry_remaining' | 'input_watermark' | 'last_success_watermark'
  >,
  now: number,
): boolean {
  if ((job.input_watermark ?? 0) <= (job.last_success_watermark ?? 0)) return false;
  if (job.retry_remaining <= 0) return false;
  return job.retry_at === null || job.retry_at <= now;
}

/**
 * The phase-2 job's row (or its absence: nothing was ever enqueued) as `memories status` shows it
 * at `now`.
 *
 * @example
 * ```ts
 * const { phase2 } = { phase2: phase2JobState(row, unixSeconds(clock)) };
 * ```
 */
export function phase2JobState(job: Phase2JobColumns | undefined, now: number): Phase2JobState {
  return {
    status: job?.status ?? null,
    dirty: job ? (job.input_watermark ?? 0) > (job.last_success_watermark ?? 0) : false,
    leaseUntil: job?.status === 'running' ? job.lease_until : null,
    holder: job?.status === 'running' ? holderFromColumns(job) : null,
    retryAt:
      job?.retry_at !== null && job?.retry_at !== undefined && job.retry_at > now
        ? job.retry_at
        : null,
    lastError: job?.last_error ?? null,
  };
}

/**
 * What an owned job that finished gets: `done`, its lease ended, no error. Its
 * `last_success_watermark` is the caller's to set.
 */
export function finishedJobColumns(now: number) {
  return { status: 'done', finished_at: now, lease_until: null, last_error: null } as const;
}

/**
 * What an owned job that failed gets: `error`, its lease ended, one retry used (never below 0),
 * claimable again `retryDelaySeconds` after `now`, and the reason.
 */
export function failedJobColumns(
  eb: ExpressionBuilder<StateDatabase, 'jobs'>,
  options: { now: number; retryDelaySeconds: number; reason: string },
) {
  return {
    status: 'error',
    finished_at: options.now,
    lease_until: null,
    retry_at: options.now + options.retryDelaySeconds,
    retry_remaining: decrementedRetries(eb),
    last_error: options.reason,
  } as const;
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
