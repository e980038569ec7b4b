import { type ExpressionBuilder, type SqlBool, sql } from 'kysely';

import type { SearchStore } from '../contract/store-contract.js';
import { InvalidArgumentError } from '../errors.js';
import type { StateDatabase } from '../store/schema.js';
import {
  type CoverageTable,
  derivedCoverage,
  uncoveredThreads,
} from '../indexing/derived-coverage.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';
import { sourceKindsFilter } from '../threads/threads-repository.js';
import {
  type ScoredMatch,
  type SearchFilters,
  assembleHits,
  checkedSearchOptions,
  rankThreads,
  rankWidening,
  shownDocuments,
} from './search-assembly.js';
import { type SearchDocument, type SearchDocumentKind } from './search-document.js';
import { parseSearchQuery } from './search-query.js';
import type { SearchCoverage, SearchOptions, SearchPage } from './search-results.js';
import { CLOSE_MARK, OPEN_MARK, SNIPPET_WORDS, highlighted } from './search-snippet.js';
import { toFts5 } from './sqlite-fts-query.js';

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
    const { limit, documentsPerThread: perThread, filters } = checkedSearchOptions(options);

    // The newest matches are ranked first, a window that widens until it holds `limit` threads
    // that pass the filters or holds every match (see `rankWidening`).
    const { matches, rankedAll } = await rankWidening(limit, async (window) => {
      const ranked = await this.#newestMatches(fts, window);
      return {
        matches: await this.#filtered(ranked.slice(0, window), filters),
        rankedAll: ranked.length <= window,
      };
    });

    const { threads: ranked, totalThreads } = rankThreads(matches, limit);
    if (ranked.length === 0) return { hits: [], totalThreads: 0, rankedAll };
    const ids = shownDocuments(ranked, perThread).map((match) => match.id);
    const threadIds = ranked.map((rows) => rows[0]!.thread);

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
            sql<string>`snippet(search_fts, 0, ${OPEN_MARK}, ${CLOSE_MARK}, '…', ${SNIPPET_WORDS})`.as(
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
    const hits = assembleHits(ranked, perThread, {
      thread: (id) => threadOf.get(id),
      document: (id) => detailOf.get(id),
      snippet: (id) => highlighted(snippetOf.get(id) ?? ''),
    });
    return { hits, totalThreads, rankedAll };
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
    filters: SearchFilters,
  ): Promise<ScoredMatch[]> {
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
    // BM25 is smaller for better matches: its opposite is the score.
    return documents
      .filter((row) => passing.has(row.threadId))
      .map((row) => ({ id: row.id, thread: row.threadId, score: -rankOf.get(row.id)! }));
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
