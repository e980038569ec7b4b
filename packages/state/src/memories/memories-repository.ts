import type { Kysely } from 'kysely';

import { unixSeconds } from '../clock.js';
import type { MemoriesStore } from '../contract/store-contract.js';
import type { LeaseHolder } from '../leases/lease-holder.js';
import { leaseIsLive } from '../leases/owned-lease.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import {
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
  type ListStage1OutputsOptions,
  MEMORY_CONSOLIDATION_JOB_KEY,
  type MemoryMode,
  type MemoryThreadSelection,
  checkedListStage1Outputs,
  checkedMemoryMode,
  checkedMemoryThreadSelection,
  phase2JobState,
  unknownMemoryThreads,
} from './memory-jobs.js';
import { enqueueGlobalConsolidation } from './phase2-lock-repository.js';

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
  /** The thread's memory mode (`enabled` when the thread row is gone). */
  memoryMode: MemoryMode;
}

/**
 * What `store.memories.setMemoryMode` did: the threads selected, in id order, and how many of
 * them changed mode (the others had it already).
 *
 * @example
 * ```ts
 * const { threadIds, changed }: MemoryModeChange = await store.memories.setMemoryMode({ cwd, mode: 'disabled' });
 * ```
 */
export interface MemoryModeChange {
  threadIds: string[];
  changed: number;
}

/**
 * What `store.memories.forget` removed: the threads selected (in id order, all disabled now), the
 * stage-1 outputs and the stage-1 jobs deleted, and whether phase 2 was made dirty (when an output
 * went) so that the next consolidation runs without them.
 *
 * @example
 * ```ts
 * const { threadIds, outputs }: ForgetMemoriesResult = await store.memories.forget({ threadIds: [id] });
 * ```
 */
export interface ForgetMemoriesResult {
  threadIds: string[];
  outputs: number;
  jobs: number;
  consolidationQueued: boolean;
}

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
   * `store.stage1Jobs.release`), or a failure past its backoff.
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
  /** Threads whose memory mode is `disabled` (never extracted). */
  disabledThreads: number;
}

/**
 * The memories pipeline's stored outputs and its overview: the stage-1 outputs phase 2
 * consolidates, the state of every memory job, and forgetting it all. The jobs themselves are
 * leased through `store.stage1Jobs` (per-thread extraction) and `store.phase2Lock` (the global
 * consolidation). Reach it as `store.memories`.
 *
 * @example
 * ```ts
 * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
 * const { stage1, phase2 } = await store.memories.jobCounts();
 * console.log(`${outputs.length} memories; ${stage1.running} running; phase 2 ${phase2.status}`);
 * ```
 */
export class MemoriesRepository implements MemoriesStore {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * The newest stored outputs with something in them (raw memory or summary not blank), newest
   * source first, at most `limit` (0: none), each with its thread's cwd and memory mode: of every
   * thread, or of the threads whose cwd is exactly `cwd`; outputs of disabled threads only with
   * `includeDisabled` (phase 2 leaves them out).
   *
   * @example
   * ```ts
   * const outputs = await store.memories.listStage1Outputs({ limit: 1024 });
   * const rawMemories = outputs.map((o) => o.rawMemory).join('\n\n');
   * const project = await store.memories.listStage1Outputs({ limit: 5, cwd: '/home/me/src/app' });
   * ```
   */
  async listStage1Outputs(options: ListStage1OutputsOptions): Promise<Stage1Output[]> {
    const { limit, cwd, includeDisabled } = checkedListStage1Outputs(options);
    if (limit === 0) return [];
    let query = this.#context.db
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
        eb.fn.coalesce('t.memory_mode', eb.val('enabled')).as('memory_mode'),
      ])
      .where((eb) =>
        eb.or([
          eb(eb.fn('length', [eb.fn('trim', ['so.raw_memory'])]), '>', 0),
          eb(eb.fn('length', [eb.fn('trim', ['so.rollout_summary'])]), '>', 0),
        ]),
      );
    if (cwd !== undefined) query = query.where('t.cwd', '=', cwd);
    if (!includeDisabled) {
      query = query.where((eb) =>
        eb.or([eb('t.memory_mode', 'is', null), eb('t.memory_mode', '=', 'enabled')]),
      );
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
   * Sets the memory mode of the selected threads, in one transaction: `disabled` threads are never
   * claimed by phase 1 and their stored outputs no longer feed phase 2; `enabled` makes them
   * eligible again. Unknown thread ids throw `NotFoundError` and change nothing; a cwd with no
   * thread selects none.
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
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const threadIds = await selectedThreads(trx, selection);
        let changed = 0;
        for (const ids of chunks(threadIds)) {
          const result = await trx
            .updateTable('threads')
            .set({ memory_mode: mode })
            .where('id', 'in', ids)
            .where('memory_mode', '!=', mode)
            .executeTakeFirst();
          changed += Number(result.numUpdatedRows);
        }
        return { threadIds, changed };
      },
      { path: this.#context.path },
    );
  }

  /**
   * Forgets the selected threads' memories, in one transaction: deletes their stage-1 outputs and
   * stage-1 jobs, disables them (so phase 1 does not extract them again), and, when an output
   * went, makes phase 2 dirty so that the next consolidation runs without them. Unknown thread
   * ids throw `NotFoundError` and change nothing. The memory files are the caller's to rebuild
   * (`forgetMemories` of `@agent-state/memories` does it all).
   *
   * @example
   * ```ts
   * const { threadIds, outputs } = await store.memories.forget({ threadIds: [id] });
   * console.log(`forgot ${outputs} memories of ${threadIds.length} threads`);
   * ```
   */
  async forget(selection: MemoryThreadSelection): Promise<ForgetMemoriesResult> {
    const checked = checkedMemoryThreadSelection(selection);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const threadIds = await selectedThreads(trx, checked);
        const result: ForgetMemoriesResult = {
          threadIds,
          outputs: 0,
          jobs: 0,
          consolidationQueued: false,
        };
        for (const ids of chunks(threadIds)) {
          const outputs = await trx
            .deleteFrom('stage1_outputs')
            .where('thread_id', 'in', ids)
            .executeTakeFirst();
          const jobs = await trx
            .deleteFrom('jobs')
            .where('kind', '=', JOB_KIND_MEMORY_STAGE1)
            .where('job_key', 'in', ids)
            .executeTakeFirst();
          await trx
            .updateTable('threads')
            .set({ memory_mode: 'disabled' })
            .where('id', 'in', ids)
            .execute();
          result.outputs += Number(outputs.numDeletedRows);
          result.jobs += Number(jobs.numDeletedRows);
        }
        if (result.outputs > 0) {
          // Watermark 0: the phase-2 job's own watermark + 1, whatever the times.
          await enqueueGlobalConsolidation(trx, 0);
          result.consolidationQueued = true;
        }
        return result;
      },
      { path: this.#context.path },
    );
  }

  /**
   * Counts of the stage-1 jobs by state, the phase-2 job's state, the number of stored outputs
   * and of disabled threads, read in one snapshot.
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
            .when(leaseIsLive(now))
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
          'retry_remaining',
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
      const disabled = await trx
        .selectFrom('threads')
        .select((eb) => eb.fn.countAll<number>().as('n'))
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
}

/** Ids per statement: SQLite binds at most 32,766 parameters. */
const IDS_PER_STATEMENT = 500;

function chunks(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
    out.push(ids.slice(start, start + IDS_PER_STATEMENT));
  }
  return out;
}

/**
 * The ids of the selected threads, in id order: those given (every one must be stored, or
 * `NotFoundError` names the missing ones) or those of the cwd.
 */
async function selectedThreads(
  trx: Kysely<StateDatabase>,
  selection: { threadIds: string[] } | { cwd: string },
): Promise<string[]> {
  if ('cwd' in selection) {
    const rows = await trx
      .selectFrom('threads')
      .select('id')
      .where('cwd', '=', selection.cwd)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }
  const found = new Set<string>();
  for (const ids of chunks(selection.threadIds)) {
    const rows = await trx.selectFrom('threads').select('id').where('id', 'in', ids).execute();
    for (const row of rows) found.add(row.id);
  }
  const missing = selection.threadIds.filter((id) => !found.has(id));
  if (missing.length > 0) throw unknownMemoryThreads(missing);
  return [...found].sort();
}
