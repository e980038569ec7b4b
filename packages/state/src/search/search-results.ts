import type { ThreadMetadata } from '../threads/thread-metadata.js';
import type { SearchDocumentKind, SearchRole } from './search-document.js';

/**
 * Most threads one search returns.
 *
 * @example
 * ```ts
 * const page = await store.search.search({ query, limit: Math.min(wanted, MAX_SEARCH_LIMIT) });
 * ```
 */
export const MAX_SEARCH_LIMIT = 200;

/**
 * Options of `store.search.search` ({@link SearchStore.search}).
 *
 * @example
 * ```ts
 * const options: SearchOptions = {
 *   query: 'migr* "state db"', roles: ['user'], cwds: [process.cwd()], limit: 10,
 *   sinceMs: Date.now() - 7 * 86_400_000,
 * };
 * const { hits } = await store.search.search(options);
 * ```
 */
export interface SearchOptions {
  /** What a person typed (see `parseSearchQuery` for the syntax). */
  query: string;
  /** Threads returned, 1 to {@link MAX_SEARCH_LIMIT} (default 20). */
  limit?: number | undefined;
  /** Best matching documents returned per thread, 1 to 20 (default 3). */
  documentsPerThread?: number | undefined;
  /** Archived threads (`true`), active ones (`false`, the default) or both (`'all'`). */
  archived?: boolean | 'all' | undefined;
  /** Only threads whose `cwd` is one of these (exactly). */
  cwds?: readonly string[] | undefined;
  /** Only threads of these source kinds (as `threads.list`'s `sources`). */
  sources?: readonly string[] | undefined;
  /** Only documents of these roles. */
  roles?: readonly SearchRole[] | undefined;
  /** Only documents written at or after this time, unix milliseconds. */
  sinceMs?: number | undefined;
  /** Only documents written before this time, unix milliseconds. */
  untilMs?: number | undefined;
}

/**
 * A matching document: where it is, and a snippet of its text around the match.
 *
 * @example
 * ```ts
 * const [start, end] = match.highlights[0]!;
 * console.log(`line ${match.line}: ${match.snippet.slice(start, end)}`);
 * ```
 */
export interface SearchMatch {
  kind: SearchDocumentKind;
  role: SearchRole;
  turnId: string | null;
  timeMs: number;
  /** 1-based line in the rollout (`agent-state threads show <id> --at <line>`). */
  line: number;
  ordinal: number | null;
  /** A short passage of the document around the matched words, `…` where it was cut. */
  snippet: string;
  /** `[start, end)` offsets in `snippet` of each matched word. */
  highlights: Array<[number, number]>;
  /** Relevance, larger is better. */
  score: number;
}

/**
 * One thread that matched, with its best matching documents.
 *
 * @example
 * ```ts
 * for (const hit of page.hits) console.log(hit.thread.title, hit.matches, hit.documents[0]?.snippet);
 * ```
 */
export interface SearchHit {
  thread: ThreadMetadata;
  /** Relevance of the thread: its best document's, larger is better. */
  score: number;
  /** How many of its documents matched. */
  matches: number;
  /** Its best matching documents, best first. */
  documents: SearchMatch[];
}

/**
 * The answer to a search: matching threads, best first.
 *
 * @example
 * ```ts
 * const page: SearchPage = await store.search.search({ query: 'sqlite' });
 * console.log(`${page.totalThreads} threads match; showing ${page.hits.length}`);
 * ```
 */
export interface SearchPage {
  hits: SearchHit[];
  /**
   * Threads that matched (before the limit): all of them when `rankedAll`, else those among the
   * matches ranked (a lower bound).
   */
  totalThreads: number;
  /**
   * Whether every matching document was ranked. A query matching a great many documents (a
   * common word in a large home) ranks the newest of them, as many as give `limit` threads.
   */
  rankedAll: boolean;
}

/**
 * How much of the store the search index covers: threads whose documents it holds, of all
 * threads. A thread is covered once the indexer has written its documents (possibly none).
 *
 * @example
 * ```ts
 * const { threads, indexed } = await store.search.coverage();
 * if (indexed < threads) console.warn(`${threads - indexed} threads are not searchable yet`);
 * ```
 */
export interface SearchCoverage {
  threads: number;
  indexed: number;
  /** Search documents stored. */
  documents: number;
}
