import { performance } from 'node:perf_hooks';

import {
  type Logger,
  type Stage1Claim,
  type AgentStateStore,
  noopLogger,
  startLeaseHeartbeat,
} from '@agent-state/state';
import type OpenAI from 'openai';

import { rebuildPhase1Artifacts } from '../artifacts/phase1-artifacts.js';
import { sweepTemporaryFiles } from '../artifacts/temporary-files.js';
import { failureReason } from '../errors/failure-reason.js';
import { memoriesRoot, migrateLegacyUserMemory } from '../layout/memory-layout.js';
import type { MemoriesModelConfig } from '../model/model-config.js';
import { runConsolidationAgent } from '../phase2/consolidation-agent.js';
import { clearRebuildRequest, rebuildRequest } from '../forget/rebuild-marker.js';
import {
  ConsolidationAgentError,
  ConsolidationOverCapError,
} from '../phase2/consolidation-errors.js';
import { ConsolidationOutputs } from '../phase2/consolidation-outputs.js';
import { type Stage1Outcome, extractStage1 } from './extract-stage1.js';

/**
 * Sources whose threads phase 1 reads by default: the interactive ones, as Codex.
 *
 * @example
 * ```ts
 * await runMemories({ store, client, config, allowedSources: [...INTERACTIVE_SOURCES, 'exec'] });
 * ```
 */
export const INTERACTIVE_SOURCES = Object.freeze(['cli', 'vscode']);

/**
 * The reference's constants of the global workflow (claims per pass, running cap, windows, leases),
 * plus the heartbeat of a running stage-1 job's lease (Codex's has none: a slow request could
 * outlive its lease and be taken over and paid for twice).
 *
 * @example
 * ```ts
 * MEMORIES_DEFAULTS.minIdleHours; // 12
 * ```
 */
export const MEMORIES_DEFAULTS = Object.freeze({
  maxClaimedPerPass: 64,
  maxRunningStage1: 64,
  scanLimit: 5_000,
  maxAgeDays: 30,
  minIdleHours: 12,
  stage1LeaseSeconds: 3_600,
  stage1HeartbeatSeconds: 90,
  stage1RetryDelaySeconds: 3_600,
  phase2LeaseSeconds: 3_600,
  phase2RetryDelaySeconds: 3_600,
  phase2HeartbeatSeconds: 90,
  maxOutputsForConsolidation: 1_024,
});

/**
 * Options of {@link runMemories}.
 *
 * @example
 * ```ts
 * const options: RunMemoriesOptions = { store, client, config, phases: 'phase1', maxThreads: 20 };
 * ```
 */
export interface RunMemoriesOptions {
  store: AgentStateStore;
  client: OpenAI;
  config: MemoriesModelConfig;
  /** Default: the store's home. */
  home?: string | undefined;
  /** Default: `<home>/memories`. */
  root?: string | undefined;
  /** Which phases (default `all`). */
  phases?: 'phase1' | 'phase2' | 'all' | undefined;
  /**
   * `all` (the CLI's `memories run`): every eligible thread, under the running cap.
   * `startup` (an agent starting a session): at most 64 claims, as Codex.
   * Either way a job is claimed only when one of the `config.concurrency` lanes is free to run it
   * at once, and a running job's lease is renewed while its request is in flight.
   */
  mode?: 'all' | 'startup' | undefined;
  /** At most this many threads in phase 1 (claims, counted over the whole run). */
  maxThreads?: number | undefined;
  /** Identifies this worker in the jobs table (default `pid:<pid>`). */
  workerId?: string | undefined;
  /** Never process this thread (the session that starts the pipeline). */
  excludeThreadId?: string | undefined;
  /** Sources whose threads phase 1 reads (default {@link INTERACTIVE_SOURCES}). */
  allowedSources?: readonly string[] | undefined;
  /** Only threads updated within this many days (default 30). */
  maxAgeDays?: number | undefined;
  /** Only threads idle for at least this many hours (default 12). */
  minIdleHours?: number | undefined;
  onProgress?: ((progress: MemoriesProgress) => void) | undefined;
  /**
   * Stops the run (Ctrl-C, shutdown): no new job starts, the requests in flight are cancelled, and
   * their jobs and the phase-2 lock are given back without using a retry or waiting for a backoff,
   * so the next run takes them at once. The result then has `stopped: true`.
   */
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
}

/**
 * Progress of {@link runMemories}.
 *
 * @example
 * ```ts
 * onProgress: (p) => process.stderr.write(`\r${p.phase}: ${p.done}/${p.claimed}`),
 * ```
 */
export interface MemoriesProgress {
  phase: 'phase1' | 'phase2';
  claimed: number;
  done: number;
  failed: number;
}

/**
 * What {@link runMemories} did.
 *
 * @example
 * ```ts
 * const { phase1, phase2 } = await runMemories({ store, client, config });
 * console.log(phase1.succeeded, phase2.outcome);
 * ```
 */
export interface RunMemoriesResult {
  phase1: {
    claimed: number;
    succeeded: number;
    noOutput: number;
    failed: number;
    /** Jobs whose lease was lost before they could be marked (another worker took over). */
    lost: number;
    /**
     * Jobs stopped by `signal` (or because another job hit a store error) and given back without
     * using a retry: the next run claims them at once.
     */
    interrupted: number;
    /** Why each failed job failed: one line with its causes, secrets redacted. */
    failures: Array<{ threadId: string; reason: string }>;
  };
  phase2: {
    /**
     * `consolidated` (also when there was nothing left to consolidate: the inputs were rebuilt
     * and no agent ran), `not-dirty` (nothing new), `running` (another process holds the lock),
     * `failed` (retried after an hour), `skipped` (not run, or stopped by `signal`: the lock was
     * given back) or `lease-lost` (another process took the lock over).
     */
    outcome: 'consolidated' | 'not-dirty' | 'running' | 'failed' | 'skipped' | 'lease-lost';
    /** Files the agent wrote and that are still there (also when it failed or was stopped). */
    filesWritten: string[];
    /** Why it failed, lost its lease or was stopped: one line, secrets redacted. */
    reason?: string | undefined;
  };
  /** `signal` stopped the run before it finished; what was interrupted was given back. */
  stopped: boolean;
  /** Wall time of the run, in whole milliseconds. */
  durationMs: number;
}

/**
 * Runs the memories pipeline of a home: phase 1 claims eligible threads (in the store, under the
 * global running cap; never a thread whose memory mode is `disabled`) and turns each rollout into
 * a summary and raw memories with one model request; phase 2, under the global lock, rebuilds the
 * phase-1 artifacts from the store (enabled threads only) and runs the consolidation agent when
 * there is new input: from scratch after a forget (`forgetMemories`), and failed, with the
 * previous files put back, when it leaves a `MEMORY.md` over `config.maxMemoryBytes`. Every model or file error ends as a failed job
 * with its reason; nothing here throws for a model failure. A store error (the database) in phase
 * 1 stops every job in flight and is thrown once they have all stopped, so the store can be closed
 * safely; in phase 2 it ends the consolidation as `failed` with its reason.
 * A second run with nothing new makes no model request.
 *
 * @example
 * ```ts
 * const config = resolveMemoriesModelConfig({ env: process.env });
 * const result = await runMemories({ store, client: createModelClient(config, { env: process.env }), config });
 * ```
 */
export async function runMemories(options: RunMemoriesOptions): Promise<RunMemoriesResult> {
  const started = performance.now();
  const { store } = options;
  const home = options.home ?? store.home;
  const root = options.root ?? memoriesRoot(home);
  const logger = (options.logger ?? store.logger ?? noopLogger).child({
    target: 'agent_state::memories',
  });
  const workerId = options.workerId ?? `pid:${process.pid}`;
  const phases = options.phases ?? 'all';
  const result: RunMemoriesResult = {
    phase1: {
      claimed: 0,
      succeeded: 0,
      noOutput: 0,
      failed: 0,
      lost: 0,
      interrupted: 0,
      failures: [],
    },
    phase2: { outcome: 'skipped', filesWritten: [] },
    stopped: false,
    durationMs: 0,
  };

  try {
    await migrateLegacyUserMemory({ home, root });
  } catch (error) {
    logger.warn('legacy memory migration failed', { error: failureReason(error) });
  }

  if (phases !== 'phase2') await runPhase1(options, { root, logger, workerId, result });
  if (phases !== 'phase1' && !options.signal?.aborted) {
    await runPhase2(options, { root, logger, workerId, result });
  }
  result.stopped = options.signal?.aborted === true;
  if (result.stopped) {
    logger.info('memories run stopped', {
      claimed: result.phase1.claimed,
      interrupted: result.phase1.interrupted,
    });
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

interface RunContext {
  root: string;
  logger: Logger;
  workerId: string;
  result: RunMemoriesResult;
}

/**
 * Phase 1 as a pool of `config.concurrency` lanes: a job is claimed only when a lane is free to
 * run it (so no claimed job waits in a queue while its lease runs out), until nothing is left to
 * claim, `maxThreads` (or the startup pass's 64) is reached, or the run stops. A store error in
 * one job stops the others (their jobs are given back), waits for them, and is thrown.
 */
async function runPhase1(options: RunMemoriesOptions, context: RunContext): Promise<void> {
  const { store, config } = options;
  const { result, logger } = context;
  const stats = result.phase1;
  const limit = Math.min(
    options.maxThreads ?? Number.POSITIVE_INFINITY,
    options.mode === 'startup' ? MEMORIES_DEFAULTS.maxClaimedPerPass : Number.POSITIVE_INFINITY,
  );
  const lanes = Math.max(1, Math.floor(config.concurrency));
  // Stops every lane when one of them hits a store error; the caller's signal does the same.
  const internal = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, internal.signal])
    : internal.signal;
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    internal.abort(error);
  };
  const progress = () =>
    options.onProgress?.({
      phase: 'phase1',
      claimed: stats.claimed,
      done: stats.succeeded + stats.noOutput + stats.failed + stats.lost + stats.interrupted,
      failed: stats.failed,
    });
  const start = (claim: Stage1Claim) => {
    const job: Promise<void> = processThread(options, context, claim, signal)
      .then(progress)
      .catch(fail)
      .finally(() => running.delete(job));
    running.add(job);
  };

  try {
    while (!signal.aborted) {
      const wanted = Math.min(lanes - running.size, limit - stats.claimed);
      if (wanted > 0) {
        const claims = await store.stage1Jobs.claimEligible({
          workerId: context.workerId,
          // Every candidate the scan returns is claimable (the filters are in SQL) unless another
          // process takes it first: a margin over the lanes to fill is enough, and keeps a claim
          // per finished job from reading thousands of rows.
          scanLimit: Math.min(MEMORIES_DEFAULTS.scanLimit, Math.max(64, wanted * 8)),
          maxClaimed: Math.min(wanted, MEMORIES_DEFAULTS.maxClaimedPerPass),
          maxRunning: MEMORIES_DEFAULTS.maxRunningStage1,
          maxAgeDays: options.maxAgeDays ?? MEMORIES_DEFAULTS.maxAgeDays,
          minIdleHours: options.minIdleHours ?? MEMORIES_DEFAULTS.minIdleHours,
          allowedSources: [...(options.allowedSources ?? INTERACTIVE_SOURCES)],
          leaseSeconds: MEMORIES_DEFAULTS.stage1LeaseSeconds,
          excludeThreadId: options.excludeThreadId,
        });
        if (claims.length > 0) {
          stats.claimed += claims.length;
          progress();
          for (const claim of claims) start(claim);
          continue;
        }
        // Nothing claimable now; when our own jobs finish (or the running cap frees up), try again.
        if (running.size === 0) break;
      } else if (running.size === 0) {
        break;
      }
      await Promise.race(running);
    }
  } catch (error) {
    fail(error);
  }
  await Promise.allSettled(running);
  logger.info('memory phase 1 done', { ...stats, failures: stats.failures.length });
  if (failure) throw failure.error;
}

/**
 * One claimed job: extracts the thread's memory with the job's lease renewed while the request
 * is in flight, then records the outcome. A job whose lease is lost is dropped (`lost`); one
 * stopped by `signal` is given back (`interrupted`). Throws only for store errors.
 */
async function processThread(
  options: RunMemoriesOptions,
  context: RunContext,
  claim: Stage1Claim,
  signal: AbortSignal,
): Promise<void> {
  const { store } = options;
  const { logger } = context;
  const stats = context.result.phase1;
  const { thread, ownershipToken } = claim;
  const threadId = thread.id;
  if (signal.aborted) {
    await giveBack(options, context, claim);
    return;
  }

  const heartbeat = startLeaseHeartbeat({
    lease: 'stage-1 job',
    clock: store.clock,
    intervalMs: MEMORIES_DEFAULTS.stage1HeartbeatSeconds * 1000,
    leaseUntil: claim.leaseUntil,
    renew: () =>
      store.stage1Jobs.heartbeat({
        threadId,
        ownershipToken,
        leaseSeconds: MEMORIES_DEFAULTS.stage1LeaseSeconds,
      }),
    logger: logger.child({ threadId }),
  });
  let outcome: Stage1Outcome;
  try {
    outcome = await extractStage1({
      client: options.client,
      model: options.config.extract,
      thread,
      signal: AbortSignal.any([signal, heartbeat.signal]),
    });
  } finally {
    // The last renewal is awaited before the job is marked.
    await heartbeat.stop();
  }

  if (heartbeat.lost) {
    // Another worker owns the job now; whatever this one learned is not ours to record.
    stats.lost += 1;
    logger.warn('memory extraction stopped: its lease was taken over', { threadId });
    return;
  }
  if (outcome.kind === 'failed' && signal.aborted) {
    await giveBack(options, context, claim);
    return;
  }
  let marked: boolean;
  if (outcome.kind === 'output') {
    marked = await store.stage1Jobs.markSucceeded({
      threadId,
      ownershipToken,
      sourceUpdatedAt: thread.updatedAt,
      rawMemory: outcome.rawMemory,
      rolloutSummary: outcome.rolloutSummary,
      rolloutSlug: outcome.rolloutSlug,
    });
    if (marked) stats.succeeded += 1;
  } else if (outcome.kind === 'empty') {
    marked = await store.stage1Jobs.markSucceededNoOutput({ threadId, ownershipToken });
    if (marked) stats.noOutput += 1;
  } else {
    // `extractStage1` already made the reason one redacted, bounded line.
    logger.warn('memory extraction failed', { threadId, error: outcome.reason });
    marked = await store.stage1Jobs.markFailed({
      threadId,
      ownershipToken,
      reason: outcome.reason,
      retryDelaySeconds: MEMORIES_DEFAULTS.stage1RetryDelaySeconds,
    });
    if (marked) {
      stats.failed += 1;
      stats.failures.push({ threadId, reason: outcome.reason });
    }
  }
  if (!marked) stats.lost += 1;
}

/**
 * Gives an interrupted job back (no retry used, no backoff). Best effort: the run is stopping
 * already, and a job that cannot be given back is claimable again when its lease ends.
 */
async function giveBack(
  options: RunMemoriesOptions,
  context: RunContext,
  { thread, ownershipToken }: Stage1Claim,
): Promise<void> {
  const stats = context.result.phase1;
  try {
    const released = await options.store.stage1Jobs.release({
      threadId: thread.id,
      ownershipToken,
    });
    if (released) stats.interrupted += 1;
    else stats.lost += 1;
  } catch (error) {
    stats.interrupted += 1;
    context.logger.warn('cannot give back an interrupted memory job; it waits for its lease', {
      threadId: thread.id,
      error: failureReason(error),
    });
  }
}

async function runPhase2(options: RunMemoriesOptions, context: RunContext): Promise<void> {
  const { store } = options;
  const { result, logger } = context;
  const claim = await store.phase2Lock.tryClaim({
    workerId: context.workerId,
    leaseSeconds: MEMORIES_DEFAULTS.phase2LeaseSeconds,
  });
  if (claim.outcome !== 'claimed') {
    result.phase2.outcome = claim.outcome;
    return;
  }
  const { ownershipToken, inputWatermark } = claim;
  const heartbeat = startLeaseHeartbeat({
    lease: 'phase-2 lock',
    clock: store.clock,
    intervalMs: MEMORIES_DEFAULTS.phase2HeartbeatSeconds * 1000,
    leaseUntil: claim.leaseUntil,
    renew: () =>
      store.phase2Lock.heartbeat({
        ownershipToken,
        leaseSeconds: MEMORIES_DEFAULTS.phase2LeaseSeconds,
      }),
    logger,
  });
  const stop = options.signal
    ? AbortSignal.any([options.signal, heartbeat.signal])
    : heartbeat.signal;
  // The outputs as they were before this consolidation, to put back when it must not count.
  let before: ConsolidationOutputs | undefined;
  let rebuild: string | undefined;
  try {
    // Read before the outputs: a forget after this point asks for a rebuild of its own.
    rebuild = await rebuildRequest(context.root);
    // Phase 2 leaves out the outputs of disabled threads (as Codex).
    const outputs = await store.memories.listStage1Outputs({
      limit: MEMORIES_DEFAULTS.maxOutputsForConsolidation,
    });
    // Under the lock no other process writes the root: what a killed writer left can go.
    const swept = await sweepTemporaryFiles(context.root);
    if (swept.length > 0) {
      logger.info('removed temporary files left by an interrupted run', { files: swept });
    }
    await rebuildPhase1Artifacts({ root: context.root, outputs });
    before = await ConsolidationOutputs.read(context.root);
    if (rebuild !== undefined) {
      // Threads were forgotten: what the outputs took from them cannot be picked out, so the
      // agent builds them again from the evidence that is left. A rebuild that fails leaves no
      // outputs rather than the old ones.
      logger.info('rebuilding the memory from the evidence: threads were forgotten', {
        setAside: before.paths,
      });
      await before.setAside();
      before = await ConsolidationOutputs.read(context.root);
    }
    if (outputs.length === 0) {
      // Nothing left to consolidate (the last memories were dropped): the rebuilt inputs say so,
      // and no agent is paid to read "No raw memories yet" (Codex does the same).
      logger.info('memory consolidation skipped: no stage-1 outputs', {});
    } else {
      const run = await runConsolidationAgent({
        client: options.client,
        model: options.config.consolidation.model,
        reasoningEffort: options.config.consolidation.reasoningEffort,
        maxMemoryBytes: options.config.maxMemoryBytes,
        root: context.root,
        signal: stop,
        logger,
      });
      result.phase2.filesWritten = run.filesWritten;
    }
    // The last renewal is awaited before the lock is marked.
    await heartbeat.stop();
    const done = await store.phase2Lock.markSucceeded({
      ownershipToken,
      completedWatermark: inputWatermark,
    });
    // The rebuild is done once the consolidation counts, not before.
    if (done && rebuild !== undefined) await clearRebuildRequest(context.root, rebuild);
    result.phase2.outcome = done ? 'consolidated' : 'lease-lost';
  } catch (error) {
    await heartbeat.stop();
    if (error instanceof ConsolidationAgentError) {
      result.phase2.filesWritten = [...error.progress.filesWritten];
    }
    // A MEMORY.md over the cap, or a rebuild that did not finish, must not stay: the previous
    // outputs go back (after a forget: none; the rebuild is asked for again by the marker, which
    // stays). Not once the lock is lost: the root is another process's now.
    if (
      before &&
      !heartbeat.lost &&
      (rebuild !== undefined || error instanceof ConsolidationOverCapError)
    ) {
      try {
        await before.restore();
        result.phase2.filesWritten = [];
      } catch (restoreError) {
        logger.warn('cannot put the previous memory files back', {
          error: failureReason(restoreError),
        });
      }
    }
    if (heartbeat.lost) {
      result.phase2.outcome = 'lease-lost';
      result.phase2.reason = failureReason(error);
      logger.warn('memory consolidation stopped: its lease was taken over', {});
    } else if (options.signal?.aborted) {
      // Interrupted, not failed: give the lock back with its retries and no backoff.
      result.phase2.outcome = 'skipped';
      result.phase2.reason = 'stopped before the consolidation finished; the next run does it';
      logger.info('memory consolidation stopped', {});
      const released = await store.phase2Lock
        .release({ ownershipToken })
        .catch((releaseError: unknown) => {
          logger.warn('cannot give back the phase-2 lock; it waits for its lease', {
            error: failureReason(releaseError),
          });
          return true;
        });
      if (!released) result.phase2.outcome = 'lease-lost';
    } else {
      const reason = failureReason(error);
      result.phase2.outcome = 'failed';
      result.phase2.reason = reason;
      logger.warn('memory consolidation failed', { error: reason });
      await store.phase2Lock
        .markFailed({
          ownershipToken,
          reason,
          retryDelaySeconds: MEMORIES_DEFAULTS.phase2RetryDelaySeconds,
        })
        .catch(() => false);
    }
  }
}
