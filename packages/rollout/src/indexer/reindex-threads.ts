import {
  type AgentStateStore,
  type Logger,
  type ThreadMetadata,
  noopLogger,
} from '@agent-state/state';

import { indexRollouts } from './index-rollouts.js';
import { keepArchiveTime } from './keep-archive-time.js';

/** Threads re-read per batch (one write transaction each). */
const REINDEX_BATCH = 500;

/**
 * Options of `reindexSearch` and `reindexUsage`.
 *
 * @example
 * ```ts
 * const options: ReindexOptions = { store, all: false, onProgress: (p) => console.log(p.done) };
 * ```
 */
export interface ReindexOptions {
  store: Pick<AgentStateStore, 'index' | 'threads' | 'search' | 'usage'>;
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
 * What `reindexSearch` or `reindexUsage` did.
 *
 * @example
 * ```ts
 * const { indexed, failed } = await reindexSearch({ store });
 * for (const f of failed) console.warn(`${f.threadId}: ${f.message}`);
 * ```
 */
export interface ReindexResult {
  /** Threads whose derived records were written. */
  indexed: number;
  /** Threads whose rollout could not be read (gone, unreadable): `agent-state reconcile` repairs the store. */
  failed: Array<{ threadId: string; path: string; message: string }>;
}

/**
 * Re-reads the rollouts of threads the store already holds, batch by batch as `next` picks them
 * (those a derived index does not cover, or every thread), through the indexer: rows and every
 * derived index are refreshed from the same read, and the live archive time the store knows is
 * kept.
 */
export async function reindexThreads(
  options: ReindexOptions,
  index: string,
  next: (limit: number, afterId: string | undefined) => Promise<ThreadMetadata[]>,
): Promise<ReindexResult> {
  const logger = options.logger ?? noopLogger;
  const result: ReindexResult = { indexed: 0, failed: [] };
  let afterId: string | undefined;
  for (;;) {
    const batch = options.all
      ? await options.store.threads.scan({ limit: REINDEX_BATCH, afterId })
      : await next(REINDEX_BATCH, afterId);
    if (batch.length === 0) break;
    afterId = batch.at(-1)!.id;
    const known = new Map(batch.map((thread) => [thread.rolloutPath, thread]));
    const { indexed, failed } = await indexRollouts({
      store: options.store,
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
      logger.warn(`cannot index a thread for ${index}`, { threadId, path, error: error.message });
      result.failed.push({ threadId, path, message: error.message });
    }
    options.onProgress?.({ done: result.indexed, failed: result.failed.length });
  }
  return result;
}
