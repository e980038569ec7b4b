import { type ExpressionBuilder, type SqlBool, sql } from 'kysely';

import type { SearchStore } from '../contract/store-contract.js';
import { InvalidArgumentError } from '../errors.js';
import { checkedUnixMs, checkedUpTo } from '../store/argument-checks.js';
import type { StateDatabase } from '../store/schema.js';
import {
  type CoverageTable,
  derivedCoverage,
  uncoveredThreads,
} from '../indexing/derived-coverage.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';
import { type ThreadSourceKind, parseSourceKinds } from '../threads/thread-source-kind.js';
import { sourceKindsFilter } from '../threads/threads-repository.js';
import {
  SEARCH_ROLES,
  type SearchDocument,
  type SearchDocumentKind,
  type SearchRole,
} from './search-document.js';
import { parseSearchQuery } from './search-query.js';
import {
  MAX_SEARCH_LIMIT,
  type SearchCoverage,
  type SearchHit,
  type SearchMatch,
  type SearchOptions,
  type SearchPage,
} from './search-results.js';
import { toFts5 } from './sqlite-fts-query.js';

/** Marks FTS5 puts around matched words in a snippet (control characters no text holds). */
const OPEN_MARK = '\u0002';
const CLOSE_MARK = '\u0003';
/** Words of context in a snippet. */
const SNIPPET_TOKENS = 24;
/** Matching documents ranked at first (see `search`). */
const RANKED_WINDOW = 2_000;

interface Filters {
  roles: SearchRole[];
  kinds: ThreadSourceKind[];
  archived: boolean | 'all';
  cwds: readonly string[];
  sinceMs: number | undefined;
  untilMs: number | undefined;
}

/** A matching document that passed the filters. */
interface MatchedRow {
  id: number;
  /** BM25 (smaller is better). */
  rank: number;
  threadId: string;
}

/** Which threads the index covers. */
const SEARCH_COVERAGE: CoverageTable = { table: 'search_threads', count: 'documents' };

/**
 * Full-text search over the SQLite store's search documents (`store.search`): FTS5 with BM25
 * ranking. Threads rank by their best document; each comes with its best documents' snippets.
 *
 * @example
 * ```ts
 * const { hits } = await store.search.search({ query: '"state db" migr*', limit: 5 });
 * ```
 */
export class SearchRepository implements SearchStore {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Threads whose documents match the query, best first.
   *
   * @example
   * ```ts
   * const page = await store.search.search({ query: 'ENOENT', roles: ['tool'], archived: 'all' });
   * ```
   */
  async search(options: SearchOptions): Promise<SearchPage> {
    const fts = toFts5(parseSearchQuery(options.query));
    const limit = checkedUpTo('limit', options.limit ?? 20, MAX_SEARCH_LIMIT);
    const perThread = checkedUpTo('documentsPerThread', options.documentsPerThread ?? 3, 20);
    const filters: Filters = {
      roles: checkedRoles(options.roles),
      kinds: parseSourceKinds(options.sources),
      archived: options.archived ?? false,
      cwds: options.cwds ?? [],
      sinceMs:
        options.sinceMs === undefined ? undefined : checkedUnixMs('sinceMs', options.sinceMs),
      untilMs:
        options.untilMs === undefined ? undefined : checkedUnixMs('untilMs', options.untilMs),
    };

    // Ranking every match costs a few microseconds a document; a word in most documents of a
    // large home would cost the most. The newest matches are ranked first, a window that widens
    // until it holds `limit` threads that pass the filters or holds every match.
    let window = RANKED_WINDOW;
    let matched: MatchedRow[];
    let rankedAll: boolean;
    for (;;) {
      const ranked = await this.#newestMatches(fts, window);
      rankedAll = ranked.length <= window;
      matched = await this.#filtered(ranked.slice(0, window), filters);
      if (rankedAll || new Set(matched.map((row) => row.threadId)).size >= limit) break;
      window *= 4;
    }

    // Threads by their best document; each thread's documents best first.
    const byThread = new Map<string, MatchedRow[]>();
    for (const row of matched.sort((a, b) => a.rank - b.rank || a.id - b.id)) {
      const rows = byThread.get(row.threadId);
      if (rows) rows.push(row);
      else byThread.set(row.threadId, [row]);
    }
    const ranked = [...byThread.values()].slice(0, limit);
    if (ranked.length === 0) return { hits: [], totalThreads: 0, rankedAll };
    const shown = ranked.flatMap((rows) => rows.slice(0, perThread));
    const ids = shown.map((row) => row.id);
    const threadIds = ranked.map((rows) => rows[0]!.threadId);

    const [details, snippets, threads] = await Promise.all([
      this.#context.db
        .selectFrom('search_documents')
        .select(['id', 'kind', 'role', 'turn_id', 'time_ms', 'line', 'ordinal'])
        .where('id', 'in', ids)
        .execute(),
      this.#guard(
        this.#context.db
          .selectFrom('search_fts')
          .select([
            'rowid',
            sql<string>`snippet(search_fts, 0, ${OPEN_MARK}, ${CLOSE_MARK}, '…', ${SNIPPET_TOKENS})`.as(
              'snippet',
            ),
          ])
          .where(sql<SqlBool>`search_fts MATCH ${fts}`)
          .where('rowid', 'in', ids)
          .execute(),
      ),
      this.#context.db
        .selectFrom('threads')
        .select(THREAD_COLUMNS)
        .where('id', 'in', threadIds)
        .execute(),
    ]);
    const detailOf = new Map(details.map((row) => [row.id, row]));
    const snippetOf = new Map(snippets.map((row) => [row.rowid, row.snippet]));
    const threadOf = new Map(threads.map((row) => [row.id, threadFromRow(row)]));

    const hits: SearchHit[] = [];
    for (const rows of ranked) {
      const thread = threadOf.get(rows[0]!.threadId);
      if (!thread) continue; // deleted between the queries
      const documents: SearchMatch[] = [];
      for (const row of rows.slice(0, perThread)) {
        const detail = detailOf.get(row.id);
        if (!detail) continue;
        documents.push({
          kind: detail.kind as SearchDocumentKind,
          role: detail.role as SearchRole,
          turnId: detail.turn_id,
          timeMs: detail.time_ms,
          line: detail.line,
          ordinal: detail.ordinal,
          ...highlighted(snippetOf.get(row.id) ?? ''),
          score: -row.rank,
        });
      }
      hits.push({ thread, score: -rows[0]!.rank, matches: rows.length, documents });
    }
    return { hits, totalThreads: byThread.size, rankedAll };
  }

  /**
   * The newest `window + 1` matches (by row id, which grows as documents are written) and their
   * rank: one pass of the full-text query, which ranks only the rows it returns.
   */
  async #newestMatches(fts: string, window: number): Promise<Array<{ id: number; rank: number }>> {
    return this.#guard(
      this.#context.db
        .selectFrom('search_fts')
        .select(['rowid as id', 'rank'])
        .where(sql<SqlBool>`search_fts MATCH ${fts}`)
        .orderBy('rowid', 'desc')
        .limit(window + 1)
        .execute(),
    );
  }

  /**
   * The matches whose document and thread pass the filters, with their thread: the documents'
   * filters first, then the threads' over the distinct threads of the documents left. Both read
   * narrow covering indexes (`idx_search_documents_match`, `idx_threads_search`), never the wide
   * rows: a common word's thousands of matches cost milliseconds.
   */
  async #filtered(
    matches: ReadonlyArray<{ id: number; rank: number }>,
    filters: Filters,
  ): Promise<MatchedRow[]> {
    if (matches.length === 0) return [];
    // The ids go in as one JSON parameter: a list of thousands would pass SQLite's limit on
    // parameters. SQLite would look a document up by its rowid (reading the wide row with its
    // text) rather than in the covering index, unless told: INDEXED BY, which kysely cannot say.
    const documentFilters = [
      ...(filters.roles.length > 0 ? [sql`d.role IN (${sql.join(filters.roles)})`] : []),
      ...(filters.sinceMs === undefined ? [] : [sql`d.time_ms >= ${filters.sinceMs}`]),
      ...(filters.untilMs === undefined ? [] : [sql`d.time_ms < ${filters.untilMs}`]),
    ];
    const { rows: documents } = await sql<{ id: number; threadId: string }>`
      SELECT d.id AS id, d.thread_id AS threadId
      FROM json_each(${JSON.stringify(matches.map((m) => m.id))}) AS m
      CROSS JOIN search_documents AS d INDEXED BY idx_search_documents_match
      WHERE ${sql.join([sql`d.id = m.value`, ...documentFilters], sql` AND `)}`.execute(
      this.#context.db,
    );
    if (documents.length === 0) return [];

    let threads = this.#context.db
      .selectFrom(
        sql<{
          value: string;
        }>`json_each(${JSON.stringify([...new Set(documents.map((row) => row.threadId))])})`.as(
          'm',
        ),
      )
      .crossJoin('threads as t')
      .whereRef('t.id', '=', 'm.value')
      .select('t.id as id');
    if (filters.archived !== 'all') {
      threads = threads.where('t.archived', '=', filters.archived ? 1 : 0);
    }
    if (filters.cwds.length > 0) threads = threads.where('t.cwd', 'in', [...filters.cwds]);
    if (filters.kinds.length > 0) {
      threads = threads.where((eb) =>
        sourceKindsFilter(
          eb as unknown as ExpressionBuilder<StateDatabase, 'threads'>,
          filters.kinds,
        ),
      );
    }
    const passing = new Set((await threads.execute()).map((row) => row.id));
    const rankOf = new Map(matches.map((m) => [m.id, m.rank]));
    return documents
      .filter((row) => passing.has(row.threadId))
      .map((row) => ({ ...row, rank: rankOf.get(row.id)! }));
  }

  /**
   * How many threads the index covers, of all threads.
   *
   * @example
   * ```ts
   * const { threads, indexed } = await store.search.coverage();
   * ```
   */
  async coverage(): Promise<SearchCoverage> {
    const { threads, indexed, records } = await derivedCoverage(this.#context, SEARCH_COVERAGE);
    return { threads, indexed, documents: records };
  }

  /**
   * Threads the index does not cover, by id (pass the last id as `afterId` for the next batch).
   *
   * @example
   * ```ts
   * const batch = await store.search.unindexed({ limit: 500 });
   * ```
   */
  async unindexed(options: {
    limit: number;
    afterId?: string | undefined;
  }): Promise<ThreadMetadata[]> {
    return uncoveredThreads(this.#context, SEARCH_COVERAGE, options);
  }

  /**
   * A thread's documents in rollout order (empty for a thread the index holds none of).
   *
   * @example
   * ```ts
   * for (const doc of await store.search.documents(id)) console.log(doc.line, doc.kind, doc.text);
   * ```
   */
  async documents(threadId: string): Promise<SearchDocument[]> {
    const rows = await this.#context.db
      .selectFrom('search_documents')
      .select(['kind', 'turn_id', 'time_ms', 'line', 'ordinal', 'text'])
      .where('thread_id', '=', normalizeThreadId(threadId))
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      kind: row.kind as SearchDocumentKind,
      turnId: row.turn_id,
      timeMs: row.time_ms,
      line: row.line,
      ordinal: row.ordinal,
      text: row.text,
    }));
  }

  /** FTS5 rejects some queries only when it runs them: those are the caller's, not the store's. */
  async #guard<T>(run: Promise<T>): Promise<T> {
    try {
      return await run;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/^fts5: /u.test(message)) {
        throw new InvalidArgumentError('query', message.replace(/^fts5: /u, 'full-text search: '), {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/** A snippet without its marks, and where the marks were. */
function highlighted(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  const highlights: Array<[number, number]> = [];
  let snippet = '';
  let open = -1;
  for (const char of marked) {
    if (char === OPEN_MARK) open = snippet.length;
    else if (char === CLOSE_MARK) {
      if (open >= 0) highlights.push([open, snippet.length]);
      open = -1;
    } else snippet += char;
  }
  return { snippet, highlights };
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
