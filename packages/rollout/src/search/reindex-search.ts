import {
  type ReindexOptions,
  type ReindexResult,
  reindexThreads,
} from '../indexer/reindex-threads.js';

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
export async function reindexSearch(options: ReindexOptions): Promise<ReindexResult> {
  return reindexThreads(options, 'search', (limit, afterId) =>
    options.store.search.unindexed({ limit, afterId }),
  );
}
