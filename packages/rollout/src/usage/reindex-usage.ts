import {
  type ReindexOptions,
  type ReindexResult,
  reindexThreads,
} from '../indexer/reindex-threads.js';

/**
 * Builds the usage records of threads the store already holds, from their rollouts: those the
 * usage index does not cover (indexed by a release without it), or with `all` every thread.
 * Like {@link reindexSearch}, through the indexer; needed only after an upgrade.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { indexed, failed } = await reindexUsage({ store });
 * console.log(`${indexed} threads indexed for usage, ${failed.length} rollouts unreadable`);
 * ```
 */
export async function reindexUsage(options: ReindexOptions): Promise<ReindexResult> {
  return reindexThreads(options, 'usage', (limit, afterId) =>
    options.store.usage.unindexed({ limit, afterId }),
  );
}
