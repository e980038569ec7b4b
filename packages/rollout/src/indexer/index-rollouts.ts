import {
  type AgentStateStore,
  type IndexedThread,
  type Logger,
  isAgentStateError,
  noopLogger,
} from '@agent-state/state';

import { ExtractPool } from '../backfill/extract-pool.js';
import {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from '../extract/extract-rollout.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';

/**
 * Below this many rollouts a batch is read in this thread without a pool: no worker could repay
 * its start-up.
 */
const SMALL_INDEX_BATCH = 256;

/**
 * A rollout to index: its path, and whether it is archived when that is known better than from
 * its folder.
 *
 * @example
 * ```ts
 * const file: RolloutToIndex = { path, archived: false };
 * ```
 */
export interface RolloutToIndex {
  path: string;
  archived?: boolean | undefined;
}

/**
 * Options of {@link indexRollouts}.
 *
 * @example
 * ```ts
 * const options: IndexRolloutsOptions = { store, rollouts: [path], defaultProvider: 'openai' };
 * ```
 */
export interface IndexRolloutsOptions {
  /** Where the results go (`store.index`: rows, tools and derived records, one transaction). */
  store: Pick<AgentStateStore, 'index'>;
  /** The rollouts to read (paths, or paths with their archived flag). */
  rollouts: ReadonlyArray<string | RolloutToIndex>;
  /** Provider for rollouts that name none (default `openai`, Codex's default). */
  defaultProvider?: string | undefined;
  /**
   * Extraction worker threads beside this one (default: as many as the work repays, up to one per
   * further core, at most 8, none below 256 rollouts; 0 = this thread only).
   */
  workers?: number | undefined;
  /**
   * @internal An extraction pool to use (and leave open), e.g. one a backfill keeps across
   * batches; `workers` is then ignored.
   */
  pool?: ExtractPool | undefined;
  /**
   * Changes a rollout's entry before it is written (e.g. to keep a value the store knows better);
   * `undefined` leaves it out.
   */
  adjust?:
    ((extracted: ExtractedRollout, entry: IndexedThread) => IndexedThread | undefined) | undefined;
  /** Default: discard. */
  logger?: Logger | undefined;
  /** @internal The derived indexes to compute, by name (see `RunBackfillOptions`). */
  derivedIndexNames?: readonly string[] | undefined;
}

/**
 * What {@link indexRollouts} did: the rollouts read and written, and those that could not be
 * read, with their errors (typed `RolloutFileError`s for unreadable or invalid files).
 *
 * @example
 * ```ts
 * const { indexed, failed } = await indexRollouts({ store, rollouts });
 * for (const { path, error } of failed) console.warn(`${path}: ${error.message}`);
 * ```
 */
export interface IndexRolloutsResult {
  indexed: ExtractedRollout[];
  failed: Array<{ path: string; error: Error }>;
}

/**
 * The indexer: reads each rollout once (its thread metadata, its dynamic tools and the records of
 * every derived index, in one streaming pass; large batches in worker threads) and writes what it
 * found through `store.index.write`, all in one transaction. Every path that indexes rollouts
 * (backfill, the listing's repair, find by id, reconcile, the recorder) goes through here or
 * through its two internal halves (reading, then writing).
 *
 * A rollout that cannot be read is reported in `failed` and the others are written; an error of
 * the store (busy, corrupt, closed) is thrown and nothing of the batch is written.
 *
 * @example
 * ```ts
 * import { indexRollouts } from '@agent-state/rollout';
 *
 * const { indexed, failed } = await indexRollouts({ store, rollouts: [rolloutPath] });
 * console.log(`${indexed.length} indexed, ${failed.length} unreadable`);
 * ```
 */
export async function indexRollouts(options: IndexRolloutsOptions): Promise<IndexRolloutsResult> {
  const extracted = await extractRollouts(options);
  const result: IndexRolloutsResult = { indexed: [], failed: [] };
  const entries: IndexedThread[] = [];
  for (const outcome of extracted) {
    if (!outcome.ok) {
      result.failed.push({ path: outcome.path, error: outcome.error });
      continue;
    }
    const entry = options.adjust
      ? options.adjust(outcome.rollout, indexEntry(outcome.rollout))
      : indexEntry(outcome.rollout);
    if (!entry) continue;
    entries.push(entry);
    result.indexed.push(outcome.rollout);
  }
  await options.store.index.write(entries);
  const logger = options.logger ?? noopLogger;
  for (const { path, error } of result.failed) {
    logger.warn('cannot index rollout', {
      path,
      error: error.message,
      ...(isAgentStateError(error) ? { code: error.code } : {}),
    });
  }
  return result;
}

/**
 * The outcome of reading one rollout: its extraction, or why it could not be read.
 *
 * @example
 * ```ts
 * for (const outcome of await extractRollouts({ rollouts })) if (!outcome.ok) console.warn(outcome.error);
 * ```
 */
export type ExtractionOutcome =
  { ok: true; path: string; rollout: ExtractedRollout } | { ok: false; path: string; error: Error };

/**
 * The reading half of {@link indexRollouts}: extracts each rollout (in worker threads for large
 * batches), in order, without writing. For callers that compare before they write (reconcile) or
 * overlap reading and writing (backfill).
 *
 * @example
 * ```ts
 * const outcomes = await extractRollouts({ rollouts: paths });
 * const readable = outcomes.flatMap((o) => (o.ok ? [o.rollout] : []));
 * ```
 */
export async function extractRollouts(
  options: Pick<
    IndexRolloutsOptions,
    'rollouts' | 'defaultProvider' | 'workers' | 'pool' | 'derivedIndexNames'
  >,
): Promise<ExtractionOutcome[]> {
  const defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
  const items = options.rollouts.map((rollout) => {
    const { path, archived } =
      typeof rollout === 'string' ? { path: rollout, archived: undefined } : rollout;
    const extractOptions: ExtractRolloutOptions = {
      defaultProvider,
      archived,
      // Names cross to worker threads (definitions, with functions, cannot).
      ...(options.derivedIndexNames ? { derivedIndexNames: options.derivedIndexNames } : {}),
    };
    return { path, options: extractOptions };
  });
  if (items.length === 0) return [];
  const workers = options.workers ?? (items.length < SMALL_INDEX_BATCH ? 0 : undefined);
  if (!options.pool && workers === 0) {
    // In this thread, the errors are the extractor's own (a worker's come back rebuilt).
    return items.map(({ path, options: extractOptions }): ExtractionOutcome => {
      try {
        return { ok: true, path, rollout: extractRolloutMetadata(path, extractOptions) };
      } catch (error) {
        return {
          ok: false,
          path,
          error: error instanceof Error ? error : new Error(String(error)),
        };
      }
    });
  }
  const pool = options.pool ?? new ExtractPool({ size: workers, expectedItems: items.length });
  try {
    const settled = await pool.extractAll(items);
    return settled.map((outcome, index): ExtractionOutcome => {
      const path = items[index]!.path;
      return outcome.status === 'fulfilled'
        ? { ok: true, path, rollout: outcome.value }
        : { ok: false, path, error: outcome.reason as Error };
    });
  } finally {
    if (!options.pool) await pool.close();
  }
}

/**
 * The writing half of {@link indexRollouts}: writes extracted rollouts (rows, tools and derived
 * records) in one transaction.
 *
 * @example
 * ```ts
 * await writeIndexed(store, readable);
 * ```
 */
export async function writeIndexed(
  store: Pick<AgentStateStore, 'index'>,
  rollouts: readonly ExtractedRollout[],
): Promise<void> {
  await store.index.write(rollouts.map(indexEntry));
}

/**
 * The store entry of an extracted rollout: its row, its tools and its derived records.
 *
 * @example
 * ```ts
 * await store.index.write([indexEntry(extractRolloutMetadata(path, { defaultProvider: 'openai' }))]);
 * ```
 */
export function indexEntry(rollout: ExtractedRollout): IndexedThread {
  return {
    metadata: rollout.metadata,
    dynamicTools: rollout.dynamicTools,
    derived: rollout.derived,
  };
}
