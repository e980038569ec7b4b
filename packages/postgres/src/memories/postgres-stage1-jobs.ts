import {
  type ClaimStage1JobsOptions,
  type MarkStage1SucceededOptions,
  type Stage1Claim,
  type Stage1ClaimOutcome,
  type Stage1JobStore,
  type ThreadMetadata,
  type TryClaimStage1JobOptions,
  normalizeThreadId,
  unixSeconds,
} from '@agent-state/state';
import {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_STAGE1,
  RELEASED_LEASE,
  THREAD_COLUMNS,
  checkedJobFailure,
  checkedPositive,
  checkedStage1ClaimOptions,
  checkedStage1Success,
  checkedStage1TryClaim,
  checkedToken,
  finishedJobColumns,
  leaseIsFree,
  leaseIsLive,
  ownedBy,
  stage1CandidateConditions,
  stage1ClaimRefusal,
  threadFromRow,
} from '@agent-state/state/backend';
import { type SqlBool, type Transaction, sql } from 'kysely';

import {
  PostgresOwnedLeases,
  lockHomeLeases,
  leaseTransaction,
} from '../leases/postgres-owned-lease.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import type { PostgresContext } from '../store/postgres-context.js';
import { STAGE1_CAP_LOCK, failedJobColumns } from './postgres-memory-jobs.js';
import { enqueueGlobalConsolidation } from './postgres-phase2-lock.js';

const STAGE1_THREAD_COLUMNS = THREAD_COLUMNS.map((column) => `threads.${column}` as const);

/** The columns of a job row a claim decides on. */
const CLAIM_COLUMNS = [
  'job_key',
  'status',
  'lease_until',
  'retry_at',
  'retry_remaining',
  'input_watermark',
  'last_success_watermark',
] as const;

/** One job a claim statement takes: the thread, a fresh token, the input it will extract. */
interface ClaimRow {
  threadId: string;
  token: string;
  sourceUpdatedAt: number;
}

/**
 * The stage-1 (extraction) jobs of a home in a PostgreSQL store, with the SQLite store's
 * semantics: one owned lease per thread, claimed under the home's running cap, with retries and
 * backoff; a job whose holder died on this host is taken over at once; finishers require the
 * claim's token and return `false` when the lease was lost; `heartbeat` throws `LeaseLostError`.
 *
 * Many processes on many machines claim one home's jobs at once. Every claim takes the home's
 * transaction-scoped advisory lock first (`pg_advisory_xact_lock`, keyed by the home), then counts
 * the live leases and takes at most the free slots, so the cap holds whatever the interleaving and
 * no job is claimed twice; the candidates' existing job rows are locked `FOR UPDATE SKIP LOCKED`,
 * so a claim never waits for a job that a finisher is writing (it is left for the next pass).
 * Finishers and heartbeats lock one job row and never the advisory lock: claims queue only on
 * claims. Reach it as `store.stage1Jobs`.
 *
 * @example
 * ```ts
 * const claims = await store.stage1Jobs.claimEligible({
 *   workerId, scanLimit: 5000, maxClaimed: 64, maxAgeDays: 30, minIdleHours: 12,
 *   allowedSources: ['cli', 'vscode'], leaseSeconds: 3600,
 * });
 * for (const { thread, ownershipToken } of claims) {
 *   const output = await extract(thread);
 *   await store.stage1Jobs.markSucceeded({
 *     threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt, ...output,
 *   });
 * }
 * ```
 */
export class PostgresStage1Jobs implements Stage1JobStore {
  readonly #context: PostgresContext;
  readonly #jobs: PostgresOwnedLeases;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
    this.#jobs = new PostgresOwnedLeases(context, {
      table: 'jobs',
      kind: { kind: JOB_KIND_MEMORY_STAGE1 },
      name: 'stage-1 job',
    });
  }

  /**
   * Claims up to `maxClaimed` stage-1 jobs for threads of the home that need a (new) memory,
   * newest first, in one transaction. Candidates are the SQLite store's: active threads with a
   * first user message, of the allowed sources, updated within `maxAgeDays` and idle for at least
   * `minIdleHours`, whose stored output and last successful job are older than the thread; minus
   * the threads whose job holds a live lease, is in backoff or has no retries left (the last two
   * unless the thread changed since). At most `maxRunning` stage-1 jobs of the home hold live
   * leases once it returns, this call's included; jobs of holders that died on this host are
   * freed first and no longer count.
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
    const homeId = this.#jobs.homeId;

    return leaseTransaction(this.#context, async (trx) => {
      await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
      const now = unixSeconds(this.#context.clock);
      // Dead holders' jobs are neither busy nor running: free them before counting and scanning.
      await this.#jobs.expireDeadHolders(trx, now);
      const free = maxRunning - (await this.#countRunning(trx, now));
      if (free <= 0) return [];

      const maxAgeCutoff = now - Math.floor(maxAgeDays * 86_400);
      const idleCutoff = now - Math.floor(minIdleHours * 3_600);
      let query = trx
        .selectFrom('threads')
        .leftJoin('stage1_outputs', (join) =>
          join
            .onRef('stage1_outputs.home_id', '=', 'threads.home_id')
            .onRef('stage1_outputs.thread_id', '=', 'threads.id'),
        )
        .leftJoin('jobs', (join) =>
          join
            .onRef('jobs.home_id', '=', 'threads.home_id')
            .on('jobs.kind', '=', JOB_KIND_MEMORY_STAGE1)
            .onRef('jobs.job_key', '=', 'threads.id'),
        )
        .select([...STAGE1_THREAD_COLUMNS, 'jobs.job_key as existing_job'])
        .where('threads.home_id', '=', homeId)
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
      if (rows.length === 0) return [];

      // Lock the candidates' job rows. A row another transaction holds (a finisher writing it) is
      // skipped, not waited for; the scan above may also predate a commit, so each locked row is
      // judged again as it is now. A job row that did not exist cannot appear meanwhile: only
      // claims insert stage-1 jobs, and they queue on the advisory lock this one holds.
      const existing = rows.flatMap((row) => (row.existing_job === null ? [] : [row.id]));
      const locked = new Map(
        existing.length === 0
          ? []
          : (
              await trx
                .selectFrom('jobs')
                .select(CLAIM_COLUMNS)
                .where(this.#jobs.rows())
                .where('job_key', 'in', existing)
                .forUpdate()
                .skipLocked()
                .execute()
            ).map((job) => [job.job_key, job] as const),
      );
      const wanted: Array<{ thread: ThreadMetadata; claim: ClaimRow }> = [];
      for (const row of rows) {
        if (wanted.length >= Math.min(maxClaimed, free)) break;
        const thread = threadFromRow(row);
        if (row.existing_job !== null) {
          const job = locked.get(thread.id);
          if (job === undefined) continue;
          if ((job.last_success_watermark ?? -1) >= thread.updatedAt) continue;
          if (stage1ClaimRefusal(job, thread.updatedAt, now) !== null) continue;
        }
        const token = this.#jobs.claim(now, leaseSeconds).token;
        wanted.push({
          thread,
          claim: { threadId: thread.id, token, sourceUpdatedAt: thread.updatedAt },
        });
      }
      const claimed = await this.#claim(trx, {
        rows: wanted.map((w) => w.claim),
        workerId,
        now,
        leaseSeconds,
      });
      return wanted
        .filter((w) => claimed.has(w.thread.id))
        .map((w) => ({
          thread: w.thread,
          ownershipToken: w.claim.token,
          leaseUntil: now + leaseSeconds,
        }));
    });
  }

  /**
   * Tries to claim one thread's stage-1 job: up to date when the stored output or the job's last
   * success covers `sourceUpdatedAt`; refused when the job is out of retries or in backoff (both
   * lifted when `sourceUpdatedAt` is newer than the job's last input, which also re-arms its
   * retries), when another worker holds a live lease, or when `maxRunning` stage-1 jobs of the
   * home hold live leases. An expired lease is taken over, and so, at once, is a lease whose
   * holder died on this host. Queues on the home's claims (see the class).
   *
   * @example
   * ```ts
   * const result = await store.stage1Jobs.tryClaim({
   *   threadId: thread.id, workerId: 'worker-1', sourceUpdatedAt: thread.updatedAt, leaseSeconds: 3600,
   * });
   * ```
   */
  async tryClaim(options: TryClaimStage1JobOptions): Promise<Stage1ClaimOutcome> {
    const { threadId, workerId, sourceUpdatedAt, leaseSeconds, maxRunning } =
      checkedStage1TryClaim(options);
    const homeId = this.#jobs.homeId;
    return leaseTransaction(this.#context, async (trx): Promise<Stage1ClaimOutcome> => {
      await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
      const now = unixSeconds(this.#context.clock);
      await this.#jobs.expireDeadHolders(trx, now);
      const output = await trx
        .selectFrom('stage1_outputs')
        .select('source_updated_at')
        .where('home_id', '=', homeId)
        .where('thread_id', '=', threadId)
        .executeTakeFirst();
      if (output && output.source_updated_at >= sourceUpdatedAt) return { outcome: 'up-to-date' };
      const job = await trx
        .selectFrom('jobs')
        .select(CLAIM_COLUMNS)
        .where(this.#jobs.rows({ job_key: threadId }))
        .forUpdate()
        .executeTakeFirst();
      if (job) {
        if ((job.last_success_watermark ?? -1) >= sourceUpdatedAt) return { outcome: 'up-to-date' };
        const refusal = stage1ClaimRefusal(job, sourceUpdatedAt, now);
        if (refusal !== null) return { outcome: refusal };
      }
      if ((await this.#countRunning(trx, now)) >= maxRunning) return { outcome: 'running' };
      const token = this.#jobs.claim(now, leaseSeconds).token;
      const claimed = await this.#claim(trx, {
        rows: [{ threadId, token, sourceUpdatedAt }],
        workerId,
        now,
        leaseSeconds,
      });
      if (!claimed.has(threadId)) return { outcome: 'running' };
      return { outcome: 'claimed', ownershipToken: token, leaseUntil: now + leaseSeconds };
    });
  }

  /**
   * Extends a running stage-1 job's lease to `leaseSeconds` from now; the new deadline (unix
   * seconds). Throws `LeaseLostError` when the lease is lost.
   *
   * @example
   * ```ts
   * const leaseUntil = await store.stage1Jobs.heartbeat({ threadId, ownershipToken, leaseSeconds: 3600 });
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
   * `last_success_watermark` = the claim's input; the output is stored unless a newer one already
   * is (and dropped when the thread was deleted meanwhile); the home's phase-2 job is marked dirty
   * with `sourceUpdatedAt`. `false` (and nothing written) when the lease was lost.
   *
   * @example
   * ```ts
   * await store.stage1Jobs.markSucceeded({
   *   threadId: thread.id, ownershipToken, sourceUpdatedAt: thread.updatedAt,
   *   rawMemory: output.rawMemory, rolloutSummary: output.rolloutSummary, rolloutSlug: output.rolloutSlug,
   * });
   * ```
   */
  async markSucceeded(options: MarkStage1SucceededOptions): Promise<boolean> {
    const { threadId, token, sourceUpdatedAt, rawMemory, rolloutSummary, rolloutSlug } =
      checkedStage1Success(options);
    const homeId = this.#jobs.homeId;
    return leaseTransaction(this.#context, async (trx) => {
      const now = unixSeconds(this.#context.clock);
      if ((await this.#finish(trx, threadId, token, now)) === undefined) return false;
      // INSERT … SELECT … FROM threads: no row (and no foreign-key error) once the thread is gone.
      await sql`
        INSERT INTO stage1_outputs
          (home_id, thread_id, source_updated_at, raw_memory, rollout_summary, rollout_slug, generated_at)
        SELECT threads.home_id, threads.id, ${sourceUpdatedAt}::bigint, ${rawMemory}::text,
          ${rolloutSummary}::text, ${rolloutSlug}::text, ${now}::bigint
        FROM threads WHERE threads.home_id = ${homeId} AND threads.id = ${threadId}
        ON CONFLICT (home_id, thread_id) DO UPDATE SET
          source_updated_at = excluded.source_updated_at,
          raw_memory = excluded.raw_memory,
          rollout_summary = excluded.rollout_summary,
          rollout_slug = excluded.rollout_slug,
          generated_at = excluded.generated_at
        WHERE excluded.source_updated_at >= stage1_outputs.source_updated_at`.execute(trx);
      await enqueueGlobalConsolidation(trx, homeId, sourceUpdatedAt);
      return true;
    });
  }

  /**
   * Finishes an owned stage-1 job whose thread yielded nothing: `done` (not extracted again until
   * the thread changes), any older output deleted, and phase 2 marked dirty only when an output
   * was deleted. `false` (and nothing written) when the lease was lost.
   *
   * @example
   * ```ts
   * await store.stage1Jobs.markSucceededNoOutput({ threadId: thread.id, ownershipToken });
   * ```
   */
  async markSucceededNoOutput(options: {
    threadId: string;
    ownershipToken: string;
  }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    const homeId = this.#jobs.homeId;
    return leaseTransaction(this.#context, async (trx) => {
      const now = unixSeconds(this.#context.clock);
      const finished = await this.#finish(trx, threadId, token, now);
      if (finished === undefined) return false;
      const deleted = await trx
        .deleteFrom('stage1_outputs')
        .where('home_id', '=', homeId)
        .where('thread_id', '=', threadId)
        .executeTakeFirst();
      if (deleted.numDeletedRows > 0n) {
        await enqueueGlobalConsolidation(trx, homeId, finished.input_watermark ?? 0);
      }
      return true;
    });
  }

  /**
   * Records a failed extraction of an owned stage-1 job: `error`, one retry used (never below 0),
   * claimable again after `retryDelaySeconds` (or at once when the thread changes). `false` when
   * the lease was lost.
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
    const result = await this.#context.db
      .updateTable('jobs')
      .set(failedJobColumns({ now, retryDelaySeconds, reason }))
      .where(this.#jobs.rows({ job_key: threadId }))
      .where(ownedBy(token))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Gives back an owned stage-1 job as if it had never been claimed: `pending`, no lease, no
   * owner, without using a retry, setting a backoff or recording an error. `false` when the token
   * no longer owns a running job.
   *
   * @example
   * ```ts
   * await store.stage1Jobs.release({ threadId: thread.id, ownershipToken });
   * ```
   */
  async release(options: { threadId: string; ownershipToken: string }): Promise<boolean> {
    const threadId = normalizeThreadId(options.threadId, 'threadId');
    const token = checkedToken(options.ownershipToken);
    const result = await this.#context.db
      .updateTable('jobs')
      .set(RELEASED_LEASE)
      .where(this.#jobs.rows({ job_key: threadId }))
      .where(ownedBy(token))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Live stage-1 leases of the home at `now`: what the running cap counts. */
  async #countRunning(trx: Transaction<PostgresDatabase>, now: number): Promise<number> {
    const row = await trx
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(this.#jobs.rows())
      .where(leaseIsLive(now))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Claims `rows` in one statement: inserts their jobs, or takes the existing rows over under the
   * claim's guards (lease free, out of backoff, retries left, not up to date; the first two lifted
   * by a newer input, which re-arms the retries). The caller holds the advisory lock and has
   * counted the cap. Returns the ids of the threads claimed.
   */
  async #claim(
    trx: Transaction<PostgresDatabase>,
    options: { rows: readonly ClaimRow[]; workerId: string; now: number; leaseSeconds: number },
  ): Promise<Set<string>> {
    if (options.rows.length === 0) return new Set();
    const { now } = options;
    const holder = this.#jobs.claim(now, options.leaseSeconds).columns;
    const newer = sql<SqlBool>`excluded.input_watermark > coalesce(jobs.input_watermark, -1)`;
    const { rows } = await sql<{ job_key: string }>`
      INSERT INTO jobs (home_id, kind, job_key, status, worker_id, ownership_token, started_at,
        finished_at, lease_until, retry_at, retry_remaining, last_error, input_watermark,
        last_success_watermark, holder_host, holder_pid, holder_started_at)
      SELECT ${this.#jobs.homeId}::text, ${JOB_KIND_MEMORY_STAGE1}::text, c.job_key, 'running',
        ${options.workerId}::text, c.token, ${now}::bigint, NULL, ${holder.lease_until}::bigint,
        NULL, ${DEFAULT_RETRY_REMAINING}::integer, NULL, c.input_watermark, NULL,
        ${holder.holder_host}::text, ${holder.holder_pid}::integer, ${holder.holder_started_at}::text
      FROM unnest(${options.rows.map((r) => r.threadId)}::text[],
        ${options.rows.map((r) => r.token)}::text[],
        ${options.rows.map((r) => r.sourceUpdatedAt)}::bigint[]) AS c(job_key, token, input_watermark)
      ON CONFLICT (home_id, kind, job_key) DO UPDATE SET
        status = excluded.status,
        worker_id = excluded.worker_id,
        ownership_token = excluded.ownership_token,
        started_at = excluded.started_at,
        finished_at = NULL,
        lease_until = excluded.lease_until,
        retry_at = NULL,
        retry_remaining = CASE WHEN ${newer} THEN excluded.retry_remaining ELSE jobs.retry_remaining END,
        last_error = NULL,
        input_watermark = excluded.input_watermark,
        holder_host = excluded.holder_host,
        holder_pid = excluded.holder_pid,
        holder_started_at = excluded.holder_started_at
      WHERE ${leaseIsFree(now, 'jobs')}
        AND (jobs.retry_at IS NULL OR jobs.retry_at <= excluded.started_at OR ${newer})
        AND (jobs.retry_remaining > 0 OR ${newer})
        AND coalesce(jobs.last_success_watermark, -1) < excluded.input_watermark
      RETURNING job_key`.execute(trx);
    return new Set(rows.map((row) => row.job_key));
  }

  /**
   * Ends an owned running stage-1 job as `done`, its last success the claim's input; the job's
   * input watermark, or `undefined` when the token no longer owns it.
   */
  async #finish(
    trx: Transaction<PostgresDatabase>,
    threadId: string,
    token: string,
    now: number,
  ): Promise<{ input_watermark: number | null } | undefined> {
    return trx
      .updateTable('jobs')
      .set((eb) => ({
        ...finishedJobColumns(now),
        last_success_watermark: eb.ref('input_watermark'),
      }))
      .where(this.#jobs.rows({ job_key: threadId }))
      .where(ownedBy(token))
      .returning('input_watermark')
      .executeTakeFirst();
  }
}
