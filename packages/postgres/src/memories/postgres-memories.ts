import {
  type ForgetMemoriesResult,
  type ListStage1OutputsOptions,
  type MemoriesStore,
  type MemoryJobCounts,
  type MemoryMode,
  type MemoryModeChange,
  type MemoryThreadSelection,
  type Stage1JobCounts,
  type Stage1Output,
  unixSeconds,
} from '@agent-state/state';
import {
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
  MEMORY_CONSOLIDATION_JOB_KEY,
  checkedListStage1Outputs,
  checkedMemoryMode,
  checkedMemoryThreadSelection,
  leaseIsLive,
  phase2JobState,
  unknownMemoryThreads,
} from '@agent-state/state/backend';
import { type SqlBool, type Transaction, sql } from 'kysely';

import { leaseTransaction, lockHomeLeases } from '../leases/postgres-owned-lease.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import type { PostgresContext } from '../store/postgres-context.js';
import { inHomes, writableHome } from '../store/postgres-context.js';
import { STAGE1_CAP_LOCK } from './postgres-memory-jobs.js';
import { enqueueGlobalConsolidation } from './postgres-phase2-lock.js';

/**
 * The memories pipeline's stored stage-1 outputs, the threads' memory modes and the overview of
 * its jobs in a PostgreSQL store, with the SQLite store's semantics: of the store's home, or, for
 * a store opened across homes, of the homes it reads (outputs listed together, jobs counted
 * together). Only a store opened for one home changes anything, and only that home's rows. Reach
 * it as `store.memories`.
 *
 * @example
 * ```ts
 * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
 * await store.memories.setMemoryMode({ cwd: '/home/me/src/secret', mode: 'disabled' });
 * const { stage1, phase2, disabledThreads } = await store.memories.jobCounts();
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
   * source first, at most `limit` (0: none), each with its thread's cwd and memory mode: of every
   * thread, or of the threads whose cwd is exactly `cwd`; outputs of disabled threads only with
   * `includeDisabled` (phase 2 leaves them out). An output whose thread row is gone has the cwd
   * `''` and the mode `enabled`.
   *
   * @example
   * ```ts
   * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
   * const project = await store.memories.listStage1Outputs({ limit: 5, cwd: '/home/me/src/app' });
   * ```
   */
  async listStage1Outputs(options: ListStage1OutputsOptions): Promise<Stage1Output[]> {
    const { limit, cwd, includeDisabled } = checkedListStage1Outputs(options);
    if (limit === 0) return [];
    let query = this.#context.db
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
        eb.fn.coalesce('t.memory_mode', sql<string>`'enabled'`).as('memory_mode'),
      ])
      .where(inHomes(this.#context, 'so.home_id'))
      // PostgreSQL's trim(), like SQLite's, takes spaces only: the same outputs count as blank.
      .where(
        sql<boolean>`(length(trim(so.raw_memory)) > 0 OR length(trim(so.rollout_summary)) > 0)`,
      );
    if (cwd !== undefined) query = query.where('t.cwd', '=', cwd);
    if (!includeDisabled) {
      query = query.where(sql<SqlBool>`(t.memory_mode IS NULL OR t.memory_mode = 'enabled')`);
    }
    const rows = await query
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
      memoryMode: checkedMemoryMode(row.memory_mode),
    }));
  }

  /**
   * Sets the memory mode of the selected threads of the home, in one transaction: `disabled`
   * threads are never claimed by phase 1 and their stored outputs no longer feed phase 2;
   * `enabled` makes them eligible again. Unknown thread ids throw `NotFoundError` and change
   * nothing; a cwd with no thread selects none. Throws `StoreIoError` for a store opened across
   * homes.
   *
   * @example
   * ```ts
   * const { threadIds, changed } = await store.memories.setMemoryMode({ cwd: '/home/me/src/secret', mode: 'disabled' });
   * await store.memories.setMemoryMode({ threadIds: [id], mode: 'enabled' });
   * ```
   */
  async setMemoryMode(
    options: MemoryThreadSelection & { mode: MemoryMode },
  ): Promise<MemoryModeChange> {
    const selection = checkedMemoryThreadSelection(options);
    const mode = checkedMemoryMode(options.mode);
    const homeId = writableHome(this.#context);
    return leaseTransaction(this.#context, async (trx) => {
      const threadIds = await selectedThreads(trx, homeId, selection);
      if (threadIds.length === 0) return { threadIds, changed: 0 };
      const result = await trx
        .updateTable('threads')
        .set({ memory_mode: mode })
        .where('home_id', '=', homeId)
        .where(sql<SqlBool>`id = ANY(${threadIds}::text[])`)
        .where('memory_mode', '<>', mode)
        .executeTakeFirst();
      return { threadIds, changed: Number(result.numUpdatedRows) };
    });
  }

  /**
   * Forgets the memories of the selected threads of the home, in one transaction: deletes their
   * stage-1 outputs and stage-1 jobs, disables them (so phase 1 does not extract them again), and,
   * when an output went, makes the home's phase-2 job dirty so that the next consolidation runs
   * without them. Unknown thread ids throw `NotFoundError` and change nothing. A worker that held
   * one of the jobs loses it: its finishers return `false`. The memory files are the caller's to
   * rebuild (`forgetMemories` of `@agent-state/memories` does it all). Throws `StoreIoError` for a
   * store opened across homes.
   *
   * @example
   * ```ts
   * const { threadIds, outputs } = await store.memories.forget({ threadIds: [id] });
   * console.log(`forgot ${outputs} memories of ${threadIds.length} threads`);
   * ```
   */
  async forget(selection: MemoryThreadSelection): Promise<ForgetMemoriesResult> {
    const checked = checkedMemoryThreadSelection(selection);
    const homeId = writableHome(this.#context);
    return leaseTransaction(this.#context, async (trx) => {
      // No claim may insert a job behind the deletes: they queue on the same advisory lock.
      await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
      const threadIds = await selectedThreads(trx, homeId, checked);
      const result: ForgetMemoriesResult = {
        threadIds,
        outputs: 0,
        jobs: 0,
        consolidationQueued: false,
      };
      if (threadIds.length === 0) return result;
      const among = (column: string) =>
        sql<SqlBool>`${sql.ref(column)} = ANY(${threadIds}::text[])`;
      const outputs = await deleteStage1Outputs(trx, homeId, threadIds);
      const jobs = await trx
        .deleteFrom('jobs')
        .where('home_id', '=', homeId)
        .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
        .where(among('job_key'))
        .executeTakeFirst();
      await trx
        .updateTable('threads')
        .set({ memory_mode: 'disabled' })
        .where('home_id', '=', homeId)
        .where(among('id'))
        .execute();
      result.outputs = outputs;
      result.jobs = Number(jobs.numDeletedRows);
      if (result.outputs > 0) {
        // Watermark 0: the phase-2 job's own watermark + 1, whatever the times.
        await enqueueGlobalConsolidation(trx, homeId, 0);
        result.consolidationQueued = true;
      }
      return result;
    });
  }

  /**
   * Counts of the stage-1 jobs by state, the phase-2 job's state, the number of stored outputs
   * and of disabled threads, read in one snapshot (a REPEATABLE READ transaction). Across homes,
   * the counts are of every home read, and the phase-2 state is that of the home whose job holds
   * a live lease, else the one claimed or finished last.
   *
   * @example
   * ```ts
   * const { stage1, phase2, outputs, disabledThreads } = await store.memories.jobCounts();
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
        const disabled = await trx
          .selectFrom('threads')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(inHomes(this.#context))
          .where('memory_mode', '=', 'disabled')
          .executeTakeFirstOrThrow();
        return {
          stage1,
          phase2: phase2JobState(job, now),
          outputs: Number(outputs.n),
          disabledThreads: Number(disabled.n),
        };
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
    const homeId = writableHome(this.#context, 'the memories lease');
    return leaseTransaction(this.#context, async (trx) => {
      // No claim may insert a job behind the deletes: they queue on the same advisory lock.
      await lockHomeLeases(trx, homeId, STAGE1_CAP_LOCK);
      const outputs = await deleteStage1Outputs(trx, homeId);
      const jobs = await trx
        .deleteFrom('jobs')
        .where('home_id', '=', homeId)
        .where('kind', 'in', [JOB_KIND_MEMORY_STAGE1, JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL])
        .executeTakeFirst();
      return { outputs, jobs: Number(jobs.numDeletedRows) };
    });
  }
}

/**
 * The ids of the selected threads of `homeId`, in id order: those given (every one must be
 * stored, or `NotFoundError` names the missing ones) or those of the cwd. Their rows stay locked
 * until the transaction ends (in id order, so two controls never wait on each other in a cycle):
 * none is deleted before the caller's statements run.
 */
async function selectedThreads(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  selection: { threadIds: string[] } | { cwd: string },
): Promise<string[]> {
  let query = trx.selectFrom('threads').select('id').where('home_id', '=', homeId);
  query =
    'cwd' in selection
      ? query.where('cwd', '=', selection.cwd)
      : query.where(sql<SqlBool>`id = ANY(${selection.threadIds}::text[])`);
  const rows = await query.orderBy('id').forNoKeyUpdate().execute();
  // Code-unit order, as the SQLite store returns them, whatever the database's collation.
  const found = rows.map((row) => row.id).sort();
  if ('threadIds' in selection) {
    const stored = new Set(found);
    const missing = selection.threadIds.filter((id) => !stored.has(id));
    if (missing.length > 0) throw unknownMemoryThreads(missing);
  }
  return found;
}

/**
 * Deletes the home's stage-1 outputs (of `threadIds`, or all of them) once their stage-1 jobs are
 * locked, in key order: a finisher locks its job, then writes its output, then the phase-2 job, so
 * once the jobs are ours no output can appear behind the delete, a finisher waiting on its job
 * finds it gone, and no wait forms a cycle. Returns how many outputs went; the jobs are the
 * caller's to delete, in the same transaction.
 */
async function deleteStage1Outputs(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  threadIds?: readonly string[],
): Promise<number> {
  const among = (column: 'job_key' | 'thread_id') =>
    threadIds === undefined
      ? sql<SqlBool>`true`
      : sql<SqlBool>`${sql.ref(column)} = ANY(${threadIds}::text[])`;
  await trx
    .selectFrom('jobs')
    .select('job_key')
    .where('home_id', '=', homeId)
    .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
    .where(among('job_key'))
    .orderBy('job_key')
    .forUpdate()
    .execute();
  const outputs = await trx
    .deleteFrom('stage1_outputs')
    .where('home_id', '=', homeId)
    .where(among('thread_id'))
    .executeTakeFirst();
  return Number(outputs.numDeletedRows);
}
