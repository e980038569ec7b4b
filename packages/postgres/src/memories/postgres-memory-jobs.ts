import { type RawBuilder, sql } from 'kysely';

/**
 * The advisory-lock group every claim of a home's stage-1 jobs queues on (see `lockHomeLeases`),
 * and so does forgetting the home's memories.
 *
 * @example
 * ```ts
 * await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
 * ```
 */
export const STAGE1_CAP_LOCK = 'stage-1 cap';

// The columns a failed memory job gets in the PostgreSQL store: the SQLite store's
// `failedJobColumns`, with PostgreSQL's `greatest` for "one retry used, never below 0".

/**
 * What an owned memory job (a stage-1 job, the phase-2 lock) that failed gets: `error`, its lease
 * ended, one retry used (never below 0), claimable again `retryDelaySeconds` after `now`, and the
 * reason.
 *
 * @example
 * ```ts
 * await db.updateTable('jobs').set(failedJobColumns({ now, retryDelaySeconds: 3600, reason })).execute();
 * ```
 */
export function failedJobColumns(options: {
  now: number;
  retryDelaySeconds: number;
  reason: string;
}): {
  status: 'error';
  finished_at: number;
  lease_until: null;
  retry_at: number;
  retry_remaining: RawBuilder<number>;
  last_error: string;
} {
  return {
    status: 'error',
    finished_at: options.now,
    lease_until: null,
    retry_at: options.now + options.retryDelaySeconds,
    retry_remaining: sql<number>`greatest(retry_remaining - 1, 0)`,
    last_error: options.reason,
  };
}
