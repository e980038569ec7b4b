// What every store backend's `store.search.search` does around its own full-text query: the
// checks of the options, the widening window of ranked matches, threads ranked by their best
// document, and the hits built from the rows read. Pure: each backend brings its SQL.
import { InvalidArgumentError } from '../errors.js';
import { checkedUnixMs, checkedUpTo } from '../store/argument-checks.js';
import type { ThreadMetadata } from '../threads/thread-metadata.js';
import { type ThreadSourceKind, parseSourceKinds } from '../threads/thread-source-kind.js';
import { SEARCH_ROLES, type SearchDocumentKind, type SearchRole } from './search-document.js';
import {
  MAX_SEARCH_LIMIT,
  type SearchHit,
  type SearchMatch,
  type SearchOptions,
} from './search-results.js';
import type { Snippet } from './search-snippet.js';

/** Most documents shown per thread. */
const MAX_DOCUMENTS_PER_THREAD = 20;
/**
 * Matching documents ranked at first (see {@link rankWidening}).
 *
 * @example
 * ```ts
 * const rankedAll = matches.length <= RANKED_WINDOW;
 * ```
 */
export const RANKED_WINDOW = 2_000;

/**
 * The filters of a search, checked.
 *
 * @example
 * ```ts
 * const { filters }: { filters: SearchFilters } = checkedSearchOptions({ query: 'x' });
 * ```
 */
export interface SearchFilters {
  /** Only documents of these roles (none: any). */
  roles: SearchRole[];
  /** Only threads of these source kinds (none: any). */
  kinds: ThreadSourceKind[];
  archived: boolean | 'all';
  /** Only threads with one of these cwds (none: any). */
  cwds: readonly string[];
  sinceMs: number | undefined;
  untilMs: number | undefined;
}

/**
 * {@link SearchOptions} checked, with their defaults.
 *
 * @example
 * ```ts
 * const checked: CheckedSearchOptions = checkedSearchOptions({ query: 'x', limit: 5 });
 * ```
 */
export interface CheckedSearchOptions {
  limit: number;
  documentsPerThread: number;
  filters: SearchFilters;
}

/**
 * The options of a search checked (`InvalidArgumentError` naming the option) and defaulted, as
 * every store reads them.
 *
 * @example
 * ```ts
 * const { limit, documentsPerThread, filters } = checkedSearchOptions({ query: 'x', roles: ['user'] });
 * ```
 */
export function checkedSearchOptions(options: SearchOptions): CheckedSearchOptions {
  return {
    limit: checkedUpTo('limit', options.limit ?? 20, MAX_SEARCH_LIMIT),
    documentsPerThread: checkedUpTo(
      'documentsPerThread',
      options.documentsPerThread ?? 3,
      MAX_DOCUMENTS_PER_THREAD,
    ),
    filters: {
      roles: checkedRoles(options.roles),
      kinds: parseSourceKinds(options.sources),
      archived: options.archived ?? false,
      cwds: options.cwds ?? [],
      sinceMs:
        options.sinceMs === undefined ? undefined : checkedUnixMs('sinceMs', options.sinceMs),
      untilMs:
        options.untilMs === undefined ? undefined : checkedUnixMs('untilMs', options.untilMs),
    },
  };
}

/**
 * A matching document that passed the filters, with its relevance. `thread` is the key its
 * thread is grouped and looked up by (the thread id; the home and the id in a store of many
 * homes).
 *
 * @example
 * ```ts
 * const match: ScoredMatch = { id: row.id, thread: row.thread_id, score: -row.bm25 };
 * ```
 */
export interface ScoredMatch {
  id: number;
  thread: string;
  /** Relevance, larger is better. */
  score: number;
}

/**
 * The ranked matches of a search: `rank(window)` returns the newest `window` matches that pass
 * the filters, ranked, and whether that was every match. Ranking every match of a word found in
 * most documents of a large home would cost the most, so the window starts at
 * {@link RANKED_WINDOW} and widens (four times each step) until it holds `limit` threads or every
 * match.
 *
 * @example
 * ```ts
 * const { matches, rankedAll } = await rankWidening(20, (window) => newestMatches(query, window));
 * ```
 */
export async function rankWidening(
  limit: number,
  rank: (window: number) => Promise<{ matches: ScoredMatch[]; rankedAll: boolean }>,
): Promise<{ matches: ScoredMatch[]; rankedAll: boolean }> {
  for (let window = RANKED_WINDOW; ; window *= 4) {
    const ranked = await rank(window);
    if (ranked.rankedAll || new Set(ranked.matches.map((m) => m.thread)).size >= limit) {
      return ranked;
    }
  }
}

/**
 * Threads by their best document, best first, the first `limit` of them, each with its matches
 * best first (equal scores: the older document first), and how many threads matched.
 *
 * @example
 * ```ts
 * const { threads, totalThreads } = rankThreads(matches, 20);
 * ```
 */
export function rankThreads(
  matches: readonly ScoredMatch[],
  limit: number,
): { threads: ScoredMatch[][]; totalThreads: number } {
  const byThread = new Map<string, ScoredMatch[]>();
  for (const match of [...matches].sort((a, b) => b.score - a.score || a.id - b.id)) {
    const rows = byThread.get(match.thread);
    if (rows) rows.push(match);
    else byThread.set(match.thread, [match]);
  }
  return { threads: [...byThread.values()].slice(0, limit), totalThreads: byThread.size };
}

/**
 * What a search shows of a matching document, as its store reads it.
 *
 * @example
 * ```ts
 * const rows: MatchedDocumentRow[] = await db.selectFrom('search_documents')
 *   .select(['kind', 'role', 'turn_id', 'time_ms', 'line', 'ordinal']).execute();
 * ```
 */
export interface MatchedDocumentRow {
  kind: string;
  role: string;
  turn_id: string | null;
  time_ms: number;
  line: number;
  ordinal: number | null;
}

/**
 * The hits of ranked threads ({@link rankThreads}) from what the store read of them: the thread
 * rows, the shown documents (the first `documentsPerThread` of each thread) and their snippets.
 * A thread or document missing from them (deleted meanwhile) is left out.
 *
 * @example
 * ```ts
 * const hits = assembleHits(threads, 3, { thread: (key) => rows.get(key), document, snippet });
 * ```
 */
export function assembleHits(
  threads: readonly ScoredMatch[][],
  documentsPerThread: number,
  read: {
    thread(key: string): ThreadMetadata | undefined;
    document(id: number): MatchedDocumentRow | undefined;
    snippet(id: number): Snippet | undefined;
  },
): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const rows of threads) {
    const thread = read.thread(rows[0]!.thread);
    if (!thread) continue; // deleted between the queries
    const documents: SearchMatch[] = [];
    for (const row of rows.slice(0, documentsPerThread)) {
      const detail = read.document(row.id);
      if (!detail) continue;
      documents.push({
        kind: detail.kind as SearchDocumentKind,
        role: detail.role as SearchRole,
        turnId: detail.turn_id,
        timeMs: detail.time_ms,
        line: detail.line,
        ordinal: detail.ordinal,
        ...(read.snippet(row.id) ?? { snippet: '', highlights: [] }),
        score: row.score,
      });
    }
    hits.push({ thread, score: rows[0]!.score, matches: rows.length, documents });
  }
  return hits;
}

/**
 * The shown documents of ranked threads: each thread's first `documentsPerThread` matches.
 *
 * @example
 * ```ts
 * const ids = shownDocuments(threads, 3).map((match) => match.id);
 * ```
 */
export function shownDocuments(
  threads: readonly ScoredMatch[][],
  documentsPerThread: number,
): ScoredMatch[] {
  return threads.flatMap((rows) => rows.slice(0, documentsPerThread));
}

function checkedRoles(roles: readonly string[] | undefined): SearchRole[] {
  for (const role of roles ?? []) {
    if (!(SEARCH_ROLES as readonly string[]).includes(role)) {
      throw new InvalidArgumentError(
        'roles',
        `unknown role ${JSON.stringify(role)} (expected ${SEARCH_ROLES.join(', ')})`,
      );
    }
  }
  return [...new Set(roles ?? [])] as SearchRole[];
}
