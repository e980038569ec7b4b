import {
  type MemoriesStore,
  type MemoryJobCounts,
  type Stage1JobCounts,
  type Stage1Output,
  unixSeconds,
} from '@agent-state/state';
import {
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
  MEMORY_CONSOLIDATION_JOB_KEY,
  checkedCount,
  leaseIsLive,
  phase2JobState,
} from '@agent-state/state/backend';
import { sql } from 'kysely';

import { leaseHome, leaseTransaction, lockHomeLeases } from '../leases/postgres-owned-lease.js';
import type { PostgresContext } from '../store/postgres-context.js';
import { inHomes } from '../store/postgres-context.js';
import { STAGE1_CAP_LOCK } from './postgres-memory-jobs.js';

/**
 * The memories pipeline's stored stage-1 outputs and the overview of its jobs in a PostgreSQL
 * store, with the SQLite store's semantics: of the store's home, or, for a store opened across
 * homes, of the homes it reads (outputs listed together, jobs counted together). Reach it as
 * `store.memories`.
 *
 * @example
 * ```ts
 * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
 * const { stage1, phase2 } = await store.memories.jobCounts();
 * ```
 */
export class PostgresMemories implements MemoriesStore {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * The newest stored outputs with something in them (raw memory or summary not blank), newest
   * source first, at most `limit` (0: none), each with its thread's cwd.
   *
   * @example
   * ```ts
   * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
   * ```
   */
  async listStage1Outputs(options: { limit: number }): Promise<Stage1Output[]> {
    const limit = checkedCount('limit', options.limit);
    if (limit === 0) return [];
    const rows = await this.#context.db
      .selectFrom('stage1_outputs as so')
      .leftJoin('threads as t', (join) =>
        join.onRef('t.home_id', '=', 'so.home_id').onRef('t.id', '=', 'so.thread_id'),
      )
      .select((eb) => [
        'so.thread_id',
        'so.source_updated_at',
        'so.raw_memory',
        'so.rollout_summary',
        'so.rollout_slug',
        'so.generated_at',
        eb.fn.coalesce('t.cwd', sql<string>`''`).as('cwd'),
      ])
      .where(inHomes(this.#context, 'so.home_id'))
      // PostgreSQL's trim(), like SQLite's, takes spaces only: the same outputs count as blank.
      .where(
        sql<boolean>`(length(trim(so.raw_memory)) > 0 OR length(trim(so.rollout_summary)) > 0)`,
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
   * Counts of the stage-1 jobs by state, the phase-2 job's state and the number of stored
   * outputs, read in one snapshot (a REPEATABLE READ transaction). Across homes, the phase-2 state
   * is that of the home whose job holds a live lease, else the one claimed or finished last.
   *
   * @example
   * ```ts
   * const { stage1, phase2, outputs } = await store.memories.jobCounts();
   * ```
   */
  async jobCounts(): Promise<MemoryJobCounts> {
    const now = unixSeconds(this.#context.clock);
    return this.#context.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const rows = await trx
          .selectFrom('jobs')
          .select((eb) => [
            eb
              .case()
              .when(leaseIsLive(now))
              .then(sql<string>`'running'`)
              .when('status', '=', 'done')
              .then(sql<string>`'done'`)
              .when('retry_remaining', '<=', 0)
              .then(sql<string>`'exhausted'`)
              .when(eb.and([eb('status', '=', 'error'), eb('retry_at', '>', now)]))
              .then(sql<string>`'error'`)
              .else(sql<string>`'pending'`)
              .end()
              .as('bucket'),
            eb.fn.countAll<number>().as('n'),
          ])
          .where(inHomes(this.#context))
          .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
          .groupBy('bucket')
          .execute();
        const stage1: Stage1JobCounts = { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 };
        for (const row of rows) stage1[row.bucket as keyof Stage1JobCounts] += Number(row.n);

        const job = await trx
          .selectFrom('jobs')
          .select([
            'status',
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
          .where(inHomes(this.#context))
          .where('kind', '=', JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
          .where('job_key', '=', MEMORY_CONSOLIDATION_JOB_KEY)
          .orderBy(sql`(status = 'running')`, 'desc')
          .orderBy(sql`coalesce(finished_at, started_at, 0)`, 'desc')
          .limit(1)
          .executeTakeFirst();
        const outputs = await trx
          .selectFrom('stage1_outputs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(inHomes(this.#context))
          .executeTakeFirstOrThrow();
        return { stage1, phase2: phase2JobState(job, now), outputs: Number(outputs.n) };
      });
  }

  /**
   * Forgets every memory of the home: deletes its stage-1 outputs and the jobs of both memory
   * kinds in one transaction (running workers lose their leases: their finishers return
   * `false`). Returns what was deleted.
   *
   * @example
   * ```ts
   * const { outputs, jobs } = await store.memories.clearMemories();
   * ```
   */
  async clearMemories(): Promise<{ outputs: number; jobs: number }> {
    const homeId = leaseHome(this.#context, 'memories');
    return leaseTransaction(this.#context, async (trx) => {
      // No claim may insert a job behind the deletes: they queue on the same advisory lock.
      await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
      // Lock the jobs in one order before touching outputs: a finisher locks its job, then its
      // output, then the phase-2 job, so taking the jobs first (sorted) never waits in a cycle.
      await trx
        .selectFrom('jobs')
        .select('job_key')
        .where('home_id', '=', homeId)
        .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
        .orderBy('job_key')
        .forUpdate()
        .execute();
      const outputs = await trx
        .deleteFrom('stage1_outputs')
        .where('home_id', '=', homeId)
        .executeTakeFirst();
      const jobs = await trx
        .deleteFrom('jobs')
        .where('home_id', '=', homeId)
        .where('kind', 'in', [JOB_KIND_MEMORY_STAGE1, JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL])
        .executeTakeFirst();
      return { outputs: Number(outputs.numDeletedRows), jobs: Number(jobs.numDeletedRows) };
    });
  }
}
