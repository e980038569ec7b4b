import type { AgentStateStore, BackfillStatus, SearchHit, SearchOptions } from '@agent-state/state';

import { readThreadNames } from '../archive/session-index.js';
import { type ListedThread, toListedThread } from '../listing/list-threads.js';

/**
 * Options of {@link searchThreads}: a query and the store's search filters.
 *
 * @example
 * ```ts
 * const options: SearchThreadsOptions = { store, home, query: 'migr*', roles: ['user'], limit: 10 };
 * ```
 */
export interface SearchThreadsOptions extends SearchOptions {
  store: Pick<AgentStateStore, 'search' | 'backfill'>;
  /** The home, to show the threads' user-set names (from `session_index.jsonl`); optional. */
  home?: string | undefined;
}

/**
 * One matching thread: the thread as listings show it (name, preview, source kind), its
 * relevance and its best matching documents with snippets.
 *
 * @example
 * ```ts
 * const hit: ThreadSearchHit = result.hits[0]!;
 * console.log(hit.thread.name ?? hit.thread.title, hit.documents[0]?.line);
 * ```
 */
export interface ThreadSearchHit extends Omit<SearchHit, 'thread'> {
  thread: ListedThread;
}

/**
 * How much of the home a search saw. `complete` is false while the backfill has not finished
 * or some threads' documents are not indexed yet (threads indexed by an older release: run
 * `reindexSearch`, `agent-state search --reindex`).
 *
 * @example
 * ```ts
 * if (!result.coverage.complete) console.warn(`searched ${result.coverage.indexed} of ${result.coverage.threads} threads`);
 * ```
 */
export interface SearchCoverageReport {
  complete: boolean;
  /** Threads in the store. */
  threads: number;
  /** Threads whose documents the index holds. */
  indexed: number;
  /** The backfill's status: until `complete`, rollouts not yet indexed are not in `threads`. */
  backfill: BackfillStatus;
}

/**
 * What {@link searchThreads} found.
 *
 * @example
 * ```ts
 * const { hits, totalThreads, coverage } = await searchThreads({ store, query: 'sqlite' });
 * ```
 */
export interface SearchThreadsResult {
  query: string;
  hits: ThreadSearchHit[];
  /** Threads that matched (before the limit); a lower bound unless `rankedAll`. */
  totalThreads: number;
  /**
   * Whether every matching document was ranked; a query matching a great many documents ranks
   * the newest of them (see `SearchPage.rankedAll`).
   */
  rankedAll: boolean;
  coverage: SearchCoverageReport;
}

/**
 * Ranked full-text search over every conversation indexed in the store: user and agent messages,
 * reasoning summaries, tool calls with their output, compaction summaries (never Codex's own
 * instructions or injected context). Words must all match; `"phrases"`, prefixes (`migr*`),
 * `OR`, `NOT`/`-word` and parentheses work as in search boxes, and code-like text (paths,
 * `useStateDbOnly`, error messages) is found by the words it holds. Threads rank by their best
 * document (BM25). The result says how much of the home the index covers.
 *
 * Throws `InvalidArgumentError` (`query`, …) for a query or filter it cannot take.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { hits, coverage } = await searchThreads({ store, home, query: '"state db" migr*', limit: 5 });
 * for (const hit of hits) {
 *   console.log(hit.thread.name ?? hit.thread.title, hit.thread.cwd);
 *   for (const doc of hit.documents) console.log(`  ${doc.role} line ${doc.line}: ${doc.snippet}`);
 * }
 * if (!coverage.complete) console.warn('the index does not cover every thread yet');
 * ```
 */
export async function searchThreads(options: SearchThreadsOptions): Promise<SearchThreadsResult> {
  const { store, home, ...search } = options;
  const [page, coverage, backfill, names] = await Promise.all([
    store.search.search(search),
    store.search.coverage(),
    store.backfill.get(),
    home === undefined ? undefined : readThreadNames({ home }),
  ]);
  return {
    query: options.query,
    hits: page.hits.map((hit) => ({
      ...hit,
      thread: toListedThread(hit.thread, names?.get(hit.thread.id) ?? null),
    })),
    totalThreads: page.totalThreads,
    rankedAll: page.rankedAll,
    coverage: {
      complete: backfill.status === 'complete' && coverage.indexed >= coverage.threads,
      threads: coverage.threads,
      indexed: coverage.indexed,
      backfill: backfill.status,
    },
  };
}
