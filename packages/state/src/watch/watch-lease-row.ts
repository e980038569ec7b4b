// Which `jobs` row is the watcher's lease, in every store backend: one per home, hence one watcher
// per home.

/**
 * `jobs.kind` of the watcher lease.
 *
 * @example
 * ```ts
 * const row = { kind: WATCH_JOB_KIND, job_key: WATCH_JOB_KEY };
 * ```
 */
export const WATCH_JOB_KIND = 'agent_state_watch';

/**
 * `jobs.job_key` of the watcher lease.
 *
 * @example
 * ```ts
 * const row = { kind: WATCH_JOB_KIND, job_key: WATCH_JOB_KEY };
 * ```
 */
export const WATCH_JOB_KEY = 'home';
