import {
  type AgentStateStore,
  type Logger,
  type ThreadMetadata,
  noopLogger,
} from '@agent-state/state';

import { indexRollouts } from '../indexer/index-rollouts.js';
import { keepArchiveTime } from '../indexer/keep-archive-time.js';

/** Threads re-read per batch (one write transaction each). */
const REINDEX_BATCH = 500;

/**
 * Options of {@link reindexSearch}.
 *
 * @example
 * ```ts
 * const options: ReindexSearchOptions = { store, all: false, onProgress: (p) => console.log(p.done) };
 * ```
 */
export interface ReindexSearchOptions {
  store: Pick<AgentStateStore, 'index' | 'search' | 'threads'>;
  /**
   * Re-read every thread's rollout (after a change of what the index holds), not only those the
   * index does not cover (default false).
   */
  all?: boolean | undefined;
  /** Provider for rollouts that name none (default `openai`). */
  defaultProvider?: string | undefined;
  /** Extraction worker threads (default: as many as the work repays; 0 = this thread only). */
  workers?: number | undefined;
  /** Called after each batch. */
  onProgress?: ((progress: { done: number; failed: number }) => void) | undefined;
  logger?: Logger | undefined;
}

/**
 * What {@link reindexSearch} did.
 *
 * @example
 * ```ts
 * const { indexed, failed } = await reindexSearch({ store });
 * for (const f of failed) console.warn(`${f.threadId}: ${f.message}`);
 * ```
 */
export interface ReindexSearchResult {
  /** Threads whose documents were written. */
  indexed: number;
  /** Threads whose rollout could not be read (gone, unreadable): `agent-state reconcile` repairs the store. */
  failed: Array<{ threadId: string; path: string; message: string }>;
}

/**
 * Builds the search documents of threads the store already holds, from their rollouts: those the
 * index does not cover (indexed by a release without search), or with `all` every thread. Runs
 * through the indexer, so rows are refreshed from the same read and the live archive time the
 * store knows is kept. Needed only after an upgrade or a change of the index; every writer of
 * threads keeps it current otherwise.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { indexed, failed } = await reindexSearch({ store });
 * console.log(`${indexed} threads indexed for search, ${failed.length} rollouts unreadable`);
 * ```
 */
export async function reindexSearch(options: ReindexSearchOptions): Promise<ReindexSearchResult> {
  const { store } = options;
  const logger = options.logger ?? noopLogger;
  const result: ReindexSearchResult = { indexed: 0, failed: [] };
  let afterId: string | undefined;
  for (;;) {
    const batch: ThreadMetadata[] = options.all
      ? await store.threads.scan({ limit: REINDEX_BATCH, afterId })
      : await store.search.unindexed({ limit: REINDEX_BATCH, afterId });
    if (batch.length === 0) break;
    afterId = batch.at(-1)!.id;
    const known = new Map(batch.map((thread) => [thread.rolloutPath, thread]));
    const { indexed, failed } = await indexRollouts({
      store,
      rollouts: batch.map((thread) => ({
        path: thread.rolloutPath,
        archived: thread.archivedAt !== null,
      })),
      defaultProvider: options.defaultProvider,
      workers: options.workers,
      logger,
      adjust: (_, entry) => ({
        ...entry,
        metadata: keepArchiveTime(known.get(entry.metadata.rolloutPath), entry.metadata),
      }),
    });
    result.indexed += indexed.length;
    for (const { path, error } of failed) {
      const threadId = known.get(path)?.id ?? '';
      logger.warn('cannot index a thread for search', { threadId, path, error: error.message });
      result.failed.push({ threadId, path, message: error.message });
    }
    options.onProgress?.({ done: result.indexed, failed: result.failed.length });
  }
  return result;
}
