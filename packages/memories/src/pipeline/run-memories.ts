import { performance } from 'node:perf_hooks';

import { type Logger, type StateStore, type ThreadMetadata, noopLogger } from '@agent-state/state';
import type OpenAI from 'openai';

import { rebuildPhase1Artifacts } from '../artifacts/phase1-artifacts.js';
import { sweepTemporaryFiles } from '../artifacts/temporary-files.js';
import { memoriesRoot, migrateLegacyUserMemory } from '../layout/memory-layout.js';
import type { MemoriesModelConfig } from '../model/model-config.js';
import { runConsolidationAgent } from '../phase2/consolidation-agent.js';
import { extractStage1 } from './extract-stage1.js';

/**
 * Sources whose threads phase 1 reads by default: the interactive ones, as the reference.
 *
 * @example
 * ```ts
 * await runMemories({ store, client, config, allowedSources: [...INTERACTIVE_SOURCES, 'exec'] });
 * ```
 */
export const INTERACTIVE_SOURCES = Object.freeze(['cli', 'vscode']);

/**
 * The reference's constants of the global workflow (claims per pass, running cap, windows, leases).
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
  store: StateStore;
  client: OpenAI;
  config: MemoriesModelConfig;
  /** Default: the store's home. */
  home?: string | undefined;
  /** Default: `<home>/memories`. */
  root?: string | undefined;
  /** Which phases (default `all`). */
  phases?: 'phase1' | 'phase2' | 'all' | undefined;
  /**
   * `all` (the CLI's `memories run`): every eligible thread, in waves that respect the running cap.
   * `startup` (an agent starting a session): one pass of at most 64 claims, as the reference.
   */
  mode?: 'all' | 'startup' | undefined;
  /** At most this many threads in phase 1. */
  maxThreads?: number | undefined;
  /** Identifies this worker in the jobs table (default `pid:<pid>`). */
  workerId?: string | undefined;
  /** Never process this thread (the session that starts the pipeline). */
  excludeThreadId?: string | undefined;
  allowedSources?: readonly string[] | undefined;
  maxAgeDays?: number | undefined;
  minIdleHours?: number | undefined;
  onProgress?: ((progress: MemoriesProgress) => void) | undefined;
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
    failures: Array<{ threadId: string; reason: string }>;
  };
  phase2: {
    outcome: 'consolidated' | 'not-dirty' | 'running' | 'failed' | 'skipped' | 'lease-lost';
    filesWritten: string[];
    reason?: string | undefined;
  };
  /** Wall time of the run, in whole milliseconds. */
  durationMs: number;
}

/**
 * Runs the memories pipeline of a home: phase 1 claims eligible threads (in the store, under the
 * global running cap) and turns each rollout into a summary and raw memories with one model
 * request; phase 2, under the global lock, rebuilds the phase-1 artifacts from the store and runs
 * the consolidation agent when there is new input. Every model or file error ends as a failed job
 * with its reason; nothing here throws for a model failure. A second run with nothing new makes
 * no model request.
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
    phase1: { claimed: 0, succeeded: 0, noOutput: 0, failed: 0, lost: 0, failures: [] },
    phase2: { outcome: 'skipped', filesWritten: [] },
    durationMs: 0,
  };

  try {
    await migrateLegacyUserMemory({ home, root });
  } catch (error) {
    logger.warn('legacy memory migration failed', { error: String(error) });
  }

  if (phases !== 'phase2') await runPhase1(options, { root, logger, workerId, result });
  if (phases !== 'phase1' && !options.signal?.aborted) {
    await runPhase2(options, { root, logger, workerId, result });
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

async function runPhase1(options: RunMemoriesOptions, context: RunContext): Promise<void> {
  const { store, config } = options;
  const { result, logger } = context;
  const stats = result.phase1;
  const limit = options.maxThreads ?? Number.POSITIVE_INFINITY;
  const progress = () =>
    options.onProgress?.({
      phase: 'phase1',
      claimed: stats.claimed,
      done: stats.succeeded + stats.noOutput + stats.failed + stats.lost,
      failed: stats.failed,
    });
  for (;;) {
    if (options.signal?.aborted || stats.claimed >= limit) break;
    const claims = await store.memories.claimStage1Jobs({
      workerId: context.workerId,
      scanLimit: MEMORIES_DEFAULTS.scanLimit,
      maxClaimed: Math.min(MEMORIES_DEFAULTS.maxClaimedPerPass, limit - stats.claimed),
      maxRunning: MEMORIES_DEFAULTS.maxRunningStage1,
      maxAgeDays: options.maxAgeDays ?? MEMORIES_DEFAULTS.maxAgeDays,
      minIdleHours: options.minIdleHours ?? MEMORIES_DEFAULTS.minIdleHours,
      allowedSources: [...(options.allowedSources ?? INTERACTIVE_SOURCES)],
      leaseSeconds: MEMORIES_DEFAULTS.stage1LeaseSeconds,
      excludeThreadId: options.excludeThreadId,
    });
    if (claims.length === 0) break;
    stats.claimed += claims.length;
    progress();
    await forEachLimited(claims, config.concurrency, async ({ thread, ownershipToken }) => {
      await processThread(options, context, thread, ownershipToken);
      progress();
    });
    if (options.mode === 'startup') break;
  }
  logger.info('memory phase 1 done', { ...stats, failures: stats.failures.length });
}

async function processThread(
  options: RunMemoriesOptions,
  context: RunContext,
  thread: ThreadMetadata,
  ownershipToken: string,
): Promise<void> {
  const { store } = options;
  const stats = context.result.phase1;
  const outcome = await extractStage1({
    client: options.client,
    model: options.config.extract,
    thread,
    signal: options.signal,
  });
  let marked: boolean;
  if (outcome.kind === 'output') {
    marked = await store.memories.markStage1Succeeded({
      threadId: thread.id,
      ownershipToken,
      sourceUpdatedAt: thread.updatedAt,
      rawMemory: outcome.rawMemory,
      rolloutSummary: outcome.rolloutSummary,
      rolloutSlug: outcome.rolloutSlug,
    });
    if (marked) stats.succeeded += 1;
  } else if (outcome.kind === 'empty') {
    marked = await store.memories.markStage1SucceededNoOutput({
      threadId: thread.id,
      ownershipToken,
    });
    if (marked) stats.noOutput += 1;
  } else {
    context.logger.warn('memory extraction failed', { threadId: thread.id, error: outcome.reason });
    marked = await store.memories.markStage1Failed({
      threadId: thread.id,
      ownershipToken,
      reason: outcome.reason,
      retryDelaySeconds: MEMORIES_DEFAULTS.stage1RetryDelaySeconds,
    });
    if (marked) {
      stats.failed += 1;
      stats.failures.push({ threadId: thread.id, reason: outcome.reason });
    }
  }
  if (!marked) stats.lost += 1;
}

async function runPhase2(options: RunMemoriesOptions, context: RunContext): Promise<void> {
  const { store } = options;
  const { result, logger } = context;
  const claim = await store.memories.tryClaimPhase2({
    workerId: context.workerId,
    leaseSeconds: MEMORIES_DEFAULTS.phase2LeaseSeconds,
  });
  if (claim.outcome !== 'claimed') {
    result.phase2.outcome = claim.outcome;
    return;
  }
  const { ownershipToken, inputWatermark } = claim;
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let leaseLost = false;
  const heartbeat = setInterval(() => {
    store.memories
      .heartbeatPhase2({ ownershipToken, leaseSeconds: MEMORIES_DEFAULTS.phase2LeaseSeconds })
      .then(
        (alive) => {
          if (!alive) {
            leaseLost = true;
            stop.abort(new Error('phase-2 lease lost'));
          }
        },
        (error: unknown) => logger.warn('phase-2 heartbeat failed', { error: String(error) }),
      );
  }, MEMORIES_DEFAULTS.phase2HeartbeatSeconds * 1000);
  heartbeat.unref();
  try {
    const outputs = await store.memories.listStage1Outputs({
      limit: MEMORIES_DEFAULTS.maxOutputsForConsolidation,
    });
    // Under the lock no other process writes the root: what a killed writer left can go.
    const swept = await sweepTemporaryFiles(context.root);
    if (swept.length > 0) {
      logger.info('removed temporary files left by an interrupted run', { files: swept });
    }
    await rebuildPhase1Artifacts({ root: context.root, outputs });
    const run = await runConsolidationAgent({
      client: options.client,
      model: options.config.consolidation.model,
      reasoningEffort: options.config.consolidation.reasoningEffort,
      root: context.root,
      signal: stop.signal,
      logger,
    });
    result.phase2.filesWritten = run.filesWritten;
    const done = await store.memories.markPhase2Succeeded({
      ownershipToken,
      completedWatermark: inputWatermark,
    });
    result.phase2.outcome = done ? 'consolidated' : 'lease-lost';
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    result.phase2.reason = reason;
    if (leaseLost) {
      result.phase2.outcome = 'lease-lost';
      logger.warn('memory consolidation stopped: its lease was taken over', {});
    } else {
      result.phase2.outcome = 'failed';
      logger.warn('memory consolidation failed', { error: reason });
      await store.memories
        .markPhase2Failed({
          ownershipToken,
          reason,
          retryDelaySeconds: MEMORIES_DEFAULTS.phase2RetryDelaySeconds,
        })
        .catch(() => false);
    }
  } finally {
    clearInterval(heartbeat);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    for (let index = next++; index < items.length; index = next++) await work(items[index]!);
  });
  await Promise.all(lanes);
}
