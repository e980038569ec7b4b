import type { Expression, ExpressionBuilder } from 'kysely';

import type { StateDatabase } from '../store/schema.js';

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
