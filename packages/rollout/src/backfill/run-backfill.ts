import { performance } from 'node:perf_hooks';

import {
  type BackfillLease,
  ErrorCode,
  type LeaseHolder,
  LeaseLostError,
  type Logger,
  type AgentStateStore,
  isAgentStateError,
  startLeaseHeartbeat,
} from '@agent-state/state';

import type { ExtractedRollout } from '../extract/extract-rollout.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import { type CollectProblem, type CollectedRollout, collectRollouts } from './collect-rollouts.js';
import { ExtractPool } from './extract-pool.js';
import { extractRollouts, writeIndexed } from '../indexer/index-rollouts.js';
import { BACKFILL_GENERATION, findUnindexedRollouts } from './unindexed-rollouts.js';

/**
 * Rollouts indexed per transaction and checkpoint (Codex's batch size).
 *
 * @example
 * ```ts
 * await runBackfill({ store, batchSize: BACKFILL_BATCH_SIZE / 4 }); // checkpoint every 50 rollouts
 * ```
 */
export const BACKFILL_BATCH_SIZE = 200;

/**
 * Default backfill lease. Short, because a heartbeat renews it while the backfill is alive. A
 * backfill that died on this host is resumed by the next process at once (its holder is seen to
 * be dead); one that died on another host sharing the home, within about two minutes.
 *
 * @example
 * ```ts
 * await runBackfill({ store, leaseSeconds: 2 * BACKFILL_LEASE_SECONDS }); // 240 s instead of 120
 * ```
 */
export const BACKFILL_LEASE_SECONDS = 120;

/**
 * Options of {@link runBackfill}.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const options: RunBackfillOptions = { store, leaseSeconds: 120, workers: 4, signal: controller.signal };
 * const result = await runBackfill(options);
 * ```
 */
export interface RunBackfillOptions {
  /** The store to fill; its home is searched for rollouts unless `home` is given. */
  store: AgentStateStore;
  home?: string | undefined;
  /** Provider for rollouts that name none (default `openai`, Codex's default). */
  defaultProvider?: string | undefined;
  /** Lease length, seconds (default 120: a heartbeat renews it while the backfill is alive). */
  leaseSeconds?: number | undefined;
  /** How often the lease is renewed while a batch runs, ms (default a quarter of the lease). */
  heartbeatMs?: number | undefined;
  /** Rollouts per transaction and checkpoint (default 200, Codex's batch size). */
  batchSize?: number | undefined;
  /**
   * Extraction worker threads beside this one (default: as many as the work repays, up to one per
   * further core, at most 8; 0 = this thread only).
   */
  workers?: number | undefined;
  /** Called when the work is known and after every batch. */
  onProgress?: ((progress: BackfillProgress) => void) | undefined;
  /** Stops after the current batch; the lease is released so another process can resume at once. */
  signal?: AbortSignal | undefined;
  /** Default: the store's logger. */
  logger?: Logger | undefined;
  /**
   * @internal The derived indexes to compute, by name (default: all; `[]`: thread rows only):
   * what the benchmarks compare with.
   */
  derivedIndexNames?: readonly string[] | undefined;
}

/**
 * Progress of a running backfill.
 *
 * @example
 * ```ts
 * onProgress: (p) => process.stderr.write(`\r${p.done}/${p.total} rollouts`),
 * ```
 */
export interface BackfillProgress {
  /** Rollouts to index in this run (after the saved watermark). */
  total: number;
  /** Rollouts handled so far (indexed or failed). */
  done: number;
  upserted: number;
  /** Rollouts, and folders, that could not be indexed so far (as {@link BackfillResult.failed}). */
  failed: number;
  lastWatermark: string | null;
}

/**
 * A rollout, or a folder, the backfill could not index, with the reason. `message` starts with
 * the path.
 *
 * @example
 * ```ts
 * for (const f of result.failures) console.warn(`${f.kind ?? 'rollout'} ${f.message}`);
 * ```
 */
export interface BackfillFailure {
  /**
   * `rollout`: a file that could not be read or holds no thread (or crashed its extraction
   * worker); `folder`: a folder that could not be listed, so its rollouts were not seen. Always
   * set by {@link runBackfill}; absent means `rollout`.
   */
  kind?: 'rollout' | 'folder' | undefined;
  path: string;
  message: string;
  code?: string | undefined;
}

/**
 * How a backfill run ended: `complete` (this run finished it), `already-complete`, `held` (another
 * live process holds the lease), `aborted` (the signal fired; lease released), `lease-lost`
 * (another process took the lease over; this run stopped).
 *
 * @example
 * ```ts
 * const { outcome, leaseUntil } = await runBackfill({ store });
 * if (outcome === 'held') console.log(`another process is indexing until ${leaseUntil}`);
 * ```
 */
export type BackfillOutcome = 'complete' | 'already-complete' | 'held' | 'aborted' | 'lease-lost';

/**
 * What {@link runBackfill} did.
 *
 * @example
 * ```ts
 * const { outcome, upserted, failed, durationMs } = await runBackfill({ store });
 * ```
 */
export interface BackfillResult {
  outcome: BackfillOutcome;
  /** Rollouts read in this run. */
  scanned: number;
  upserted: number;
  /**
   * What could not be indexed: rollouts that failed, plus folders that could not be listed. Each
   * is in `failures` too (the first 100), so `failures.length === Math.min(failed, 100)`.
   */
  failed: number;
  /** Lines skipped (or repaired) inside rollouts that were indexed. */
  linesSkipped: number;
  durationMs: number;
  lastWatermark: string | null;
  /** For `held`: until when the other process's lease runs (unix seconds). */
  leaseUntil?: number | undefined;
  /** For `held`: the process holding the lease (host, pid, start time), when recorded. */
  holder?: LeaseHolder | null | undefined;
  /**
   * Set when this run caught up with a backfill of an older generation of the collection rules
   * (that generation, recorded in the store: `1` for releases that did not collect `.jsonl.zst`
   * rollouts; the current one is `2`): it read only the rollouts missing from the store.
   */
  caughtUpFrom?: number | undefined;
  /** The first failures (up to 100), each naming its path. */
  failures: BackfillFailure[];
}

const MAX_REPORTED_FAILURES = 100;

/**
 * Indexes every rollout of a home into the store, resumably, once per home. Takes the backfill
 * lease (or returns `held` / `already-complete`), collects `sessions/` and `archived_sessions/`,
 * skips what the saved watermark already covers, extracts metadata on worker threads, and writes
 * batches of 200 in one transaction each, followed by a checkpoint. A heartbeat renews the lease
 * during slow batches, and the holder records how far it got (see `BackfillState.progress`). A
 * process that dies loses its lease at once to the next run on the same host (its holder is
 * recorded: host, pid, start time), or when the lease runs out (`leaseSeconds`) for a run on
 * another host sharing the home; the next run resumes after the last checkpoint. A backfill
 * completed (or checkpointed) under an older generation of the collection rules, by a release that
 * did not collect compressed rollouts, is caught up: the next run reads only the rollouts no row
 * points to (what `inspectHome` reports as `rollouts.notIndexed`), then completes it under the
 * current generation. A rollout that cannot be read (or that crashes its extraction worker), or a
 * folder that cannot be listed, is counted in `failed`, listed in `failures` and logged with its
 * path, and skipped: it never stops the run nor keeps the backfill from completing (as in Codex).
 * Symbolic links are not followed (see `collectRollouts`).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const result = await runBackfill({
 *   store,
 *   onProgress: (p) => process.stderr.write(`\rindexed ${p.done}/${p.total}`),
 * });
 * console.log(result.outcome, result.upserted, result.failed);
 * ```
 */
export async function runBackfill(options: RunBackfillOptions): Promise<BackfillResult> {
  const started = performance.now();
  const { store } = options;
  const home = options.home ?? store.home;
  const logger = (options.logger ?? store.logger).child({ target: 'agent_state::backfill' });
  const leaseSeconds = options.leaseSeconds ?? BACKFILL_LEASE_SECONDS;
  const batchSize = Math.max(1, options.batchSize ?? BACKFILL_BATCH_SIZE);
  const defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
  const result: BackfillResult = {
    outcome: 'complete',
    scanned: 0,
    upserted: 0,
    failed: 0,
    linesSkipped: 0,
    durationMs: 0,
    lastWatermark: null,
    failures: [],
  };
  const finish = (outcome: BackfillOutcome): BackfillResult => {
    result.outcome = outcome;
    result.durationMs = performance.now() - started;
    return result;
  };

  const before = await store.backfill.get();
  result.lastWatermark = before.lastWatermark;
  if (before.status === 'complete' && before.generation >= BACKFILL_GENERATION) {
    return finish('already-complete');
  }
  const claim = await store.backfill.tryClaim({ leaseSeconds, generation: BACKFILL_GENERATION });
  if (claim.outcome === 'complete') return finish('already-complete');
  if (claim.outcome === 'held') {
    logger.info('the backfill is running in another process', {
      home,
      leaseUntil: claim.leaseUntil,
      holderHost: claim.holder?.host,
      holderPid: claim.holder?.pid,
    });
    result.leaseUntil = claim.leaseUntil;
    result.holder = claim.holder;
    return finish('held');
  }

  let lease: BackfillLease = claim.lease;
  // Progress saved under older rules: what they collected is in the store, the rest is not.
  const { from } = claim;
  const catchUp =
    from.generation < BACKFILL_GENERATION &&
    (from.status === 'complete' || from.lastWatermark !== null);
  result.lastWatermark = from.lastWatermark;
  const heartbeat = startLeaseHeartbeat({
    lease: 'backfill',
    clock: store.clock,
    intervalMs: Math.max(10, options.heartbeatMs ?? (leaseSeconds * 1000) / 4),
    leaseUntil: lease.leaseUntil,
    renew: async () => {
      lease = await store.backfill.heartbeat(lease);
      return lease.leaseUntil;
    },
    logger,
  });
  // Stops after the current batch: on the caller's signal, or when the lease is lost.
  const stop = options.signal
    ? AbortSignal.any([options.signal, heartbeat.signal])
    : heartbeat.signal;
  let pool: ExtractPool | undefined;
  const fail = (failure: BackfillFailure) => {
    if (result.failures.length < MAX_REPORTED_FAILURES) result.failures.push(failure);
    logger.warn(failure.kind === 'folder' ? 'cannot list folder' : 'cannot index rollout', {
      ...failure,
    });
  };

  try {
    logger.info('backfill started', {
      home,
      after: from.lastWatermark,
      ...(catchUp ? { caughtUpFrom: from.generation } : {}),
    });
    const {
      total,
      problems,
      files: todo,
    } = catchUp
      ? await findUnindexedRollouts({ store, home })
      : await collectAfter(home, from.lastWatermark);
    if (catchUp) result.caughtUpFrom = from.generation;
    for (const problem of problems) {
      result.failed += 1;
      fail({
        kind: 'folder',
        path: problem.path,
        message: `${problem.path}: ${problem.message}`,
        code: ErrorCode.RolloutUnreadable,
      });
    }
    // What a process waiting for this backfill shows: rollouts done (earlier runs included).
    const doneBefore = total - todo.length;
    const stored = () => ({ done: doneBefore + result.scanned, total });
    lease = await store.backfill.heartbeat(lease, { progress: stored() });
    // Worker threads start only when there is enough to read to repay their start-up.
    pool = new ExtractPool({ size: options.workers, expectedItems: todo.length });
    const extractor = pool;
    const progress = (): void =>
      options.onProgress?.({
        total: todo.length,
        done: result.scanned,
        upserted: result.upserted,
        failed: result.failed,
        lastWatermark: result.lastWatermark,
      });
    progress();

    const extractBatch = (batch: CollectedRollout[]) =>
      extractRollouts({
        rollouts: batch,
        defaultProvider,
        pool: extractor,
        derivedIndexNames: options.derivedIndexNames,
      });
    let nextBatch = todo.slice(0, batchSize);
    let inFlight = nextBatch.length > 0 ? extractBatch(nextBatch) : undefined;
    for (let start = 0; inFlight; start += batchSize) {
      const batch = nextBatch;
      const settled = await inFlight;
      // Extract the next batch while this one is written.
      nextBatch = todo.slice(start + batchSize, start + 2 * batchSize);
      inFlight = nextBatch.length > 0 && !stop.aborted ? extractBatch(nextBatch) : undefined;
      if (stop.aborted) break;

      const extracted: ExtractedRollout[] = [];
      for (const outcome of settled) {
        result.scanned += 1;
        if (outcome.ok) {
          const { rollout } = outcome;
          extracted.push(rollout);
          if (rollout.issueCount > 0) {
            result.linesSkipped += rollout.issueCount;
            const first = rollout.issues[0];
            logger.warn('skipped lines in rollout', {
              path: outcome.path,
              count: rollout.issueCount,
              line: first?.line,
              problem: first?.message,
            });
          }
        } else {
          result.failed += 1;
          const { error } = outcome;
          fail({
            kind: 'rollout',
            path: outcome.path,
            message: error.message,
            code: isAgentStateError(error) ? error.code : undefined,
          });
        }
      }
      await writeIndexed(store, extracted);
      result.upserted += extracted.length;
      if (catchUp) {
        // Catching up is resumed by looking at the store again: no watermark to move.
        lease = await store.backfill.heartbeat(lease, { progress: stored() });
      } else {
        const watermark = batch[batch.length - 1]!.watermark;
        lease = await store.backfill.checkpoint(lease, watermark, { progress: stored() });
        result.lastWatermark = watermark;
      }
      progress();
    }

    // The last renewal is awaited before the lease is released or completed.
    await heartbeat.stop();
    if (stop.aborted) {
      if (stop.reason instanceof LeaseLostError) {
        logger.warn('backfill lease lost to another process; stopping', { home });
        return finish('lease-lost');
      }
      await store.backfill.release(lease).catch(() => undefined);
      logger.info('backfill stopped; it resumes on the next run', {
        home,
        after: result.lastWatermark,
      });
      return finish('aborted');
    }
    await store.backfill.markComplete(lease, {
      lastWatermark: result.lastWatermark ?? undefined,
    });
    logger.info('backfill complete', {
      home,
      scanned: result.scanned,
      upserted: result.upserted,
      failed: result.failed,
    });
    return finish('complete');
  } catch (error) {
    await heartbeat.stop();
    if (error instanceof LeaseLostError) {
      logger.warn('backfill lease lost to another process; stopping', { home });
      return finish('lease-lost');
    }
    await store.backfill.release(lease).catch(() => undefined);
    throw error;
  } finally {
    await pool?.close();
  }
}

/** The rollouts of a home after the watermark (all of them for `null`), and how many there are. */
async function collectAfter(
  home: string,
  watermark: string | null,
): Promise<{ files: CollectedRollout[]; total: number; problems: CollectProblem[] }> {
  const { files, problems } = await collectRollouts(home);
  return {
    files: watermark === null ? files : files.filter((file) => file.watermark > watermark),
    total: files.length,
    problems,
  };
}
