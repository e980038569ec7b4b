import {
  type SearchCoverage,
  type SearchDocument,
  type SearchDocumentKind,
  type SearchOptions,
  type SearchPage,
  type SearchStore,
  type ThreadMetadata,
  normalizeThreadId,
  parseSearchQuery,
} from '@agent-state/state';
import {
  type MatchedDocumentRow,
  type ScoredMatch,
  type SearchFilters,
  type Snippet,
  THREAD_COLUMNS,
  assembleHits,
  buildSnippet,
  checkedSearchOptions,
  rankThreads,
  rankWidening,
  searchWords,
  shownDocuments,
} from '@agent-state/state/backend';
import { type RawBuilder, type SqlBool, sql } from 'kysely';

import { type PostgresContext, inHomes } from '../store/postgres-context.js';
import { sourceKindsCondition } from '../threads/postgres-threads.js';
import { threadsWithOrigin } from '../threads/thread-origin.js';
import { coveredCounts, uncoveredThreads } from '../indexing/postgres-derived-coverage.js';
import {
  INDEXED_CHARS,
  type PostgresTextQuery,
  matchesQuery,
  toTsquery,
} from './postgres-full-text.js';

/** A shown document as read for its hit, with its text for the snippet. */
interface ShownRow extends MatchedDocumentRow {
  id: number;
  text: string;
}

/**
 * Full-text search over the PostgreSQL store's search documents (`store.search`): a tsquery built
 * from the parsed query (`postgres-full-text.ts`: the lexemes SQLite's FTS5 would look for),
 * matched through the GIN index on `words`, ranked by cover density (`ts_rank_cd`: how many of
 * the query's words a document holds and how close together, which stands in for SQLite's BM25).
 * Threads rank by their best document; each comes with its best documents' snippets, cut from
 * the text around the words whose lexemes the query looks for.
 *
 * @example
 * ```ts
 * const { hits } = await store.search.search({ query: '"state db" migr*', limit: 5 });
 * ```
 */
export class PostgresSearch implements SearchStore {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * Threads whose documents match the query, best first, with the same filters, limits, windows
   * of ranked matches and errors as the SQLite store (see `SearchStore.search`).
   *
   * @example
   * ```ts
   * const page = await store.search.search({ query: 'ENOENT', roles: ['tool'], archived: 'all' });
   * ```
   */
  async search(options: SearchOptions): Promise<SearchPage> {
    const query = toTsquery(parseSearchQuery(options.query));
    const { limit, documentsPerThread, filters } = checkedSearchOptions(options);
    const { matches, rankedAll } = await rankWidening(limit, (window) =>
      this.#newestMatches(query.tsquery, filters, window),
    );
    const { threads: ranked, totalThreads } = rankThreads(matches, limit);
    if (ranked.length === 0) return { hits: [], totalThreads: 0, rankedAll };

    const shown = shownDocuments(ranked, documentsPerThread).map((m) => m.id);
    const keys = ranked.map((rows) => splitKey(rows[0]!.thread));
    const [documents, threads] = await Promise.all([
      this.#shown(shown),
      this.#context.db
        .selectFrom('threads')
        .select(['home_id', ...THREAD_COLUMNS])
        .where(
          sql<SqlBool>`(home_id, id) IN (SELECT * FROM unnest(${keys.map((k) => k.homeId)}::text[], ${keys.map((k) => k.threadId)}::text[]))`,
        )
        .execute(),
    ]);
    const documentOf = new Map(documents.map((row) => [row.id, row]));
    const metadata = await threadsWithOrigin(this.#context, threads);
    const threadOf = new Map<string, ThreadMetadata>(
      threads.map((row, index) => [threadKey(row.home_id, row.id), metadata[index]!]),
    );
    const hits = assembleHits(ranked, documentsPerThread, {
      thread: (key) => threadOf.get(key),
      document: (id) => documentOf.get(id),
      snippet: (id) => {
        const row = documentOf.get(id);
        return row ? snippetOf(row.text, query) : undefined;
      },
    });
    return { hits, totalThreads, rankedAll };
  }

  /**
   * The newest `window` matches (by id, which grows as documents are written) whose document and
   * thread pass the filters, ranked; `rankedAll` when there were no more. Ranking reads each
   * match's tsvector, so only the window's are ranked; the filters are part of the one query, so
   * the window holds only matches that count.
   */
  async #newestMatches(
    tsquery: string,
    filters: SearchFilters,
    window: number,
  ): Promise<{ matches: ScoredMatch[]; rankedAll: boolean }> {
    // A constant for the planner: the GIN index, and its estimate of how many documents match,
    // which decides between it and walking the newest ids, the faster for a common word.
    const query = sql`${tsquery}::tsquery`;
    // Except for a phrase: the planner takes its words' frequencies for the phrase's, walks the
    // newest ids reading every document's words for one it may never meet (0.4 s, not 0.2 s, for
    // "useState" in 90,000 documents). Ordering by an expression no index gives takes it to GIN.
    const newest = tsquery.includes('<->') ? sql`d.id + 0 DESC` : sql`d.id DESC`;
    const where: RawBuilder<SqlBool>[] = [
      inHomes(this.#context, 'd.home_id'),
      sql`d.words @@ ${query}`,
    ];
    if (filters.roles.length > 0) where.push(sql`d.role = ANY(${filters.roles}::text[])`);
    // Times are whole ms: `>= 1.5` is `>= 2`, `< 1.5` is `< 2` (a fraction is no bigint).
    if (filters.sinceMs !== undefined) {
      where.push(sql`d.time_ms >= ${Math.ceil(filters.sinceMs)}::bigint`);
    }
    if (filters.untilMs !== undefined) {
      where.push(sql`d.time_ms < ${Math.ceil(filters.untilMs)}::bigint`);
    }
    const byThread: RawBuilder<SqlBool>[] = [];
    if (filters.archived !== 'all') {
      byThread.push(sql`t.archived = ${filters.archived ? 1 : 0}::smallint`);
    }
    if (filters.cwds.length > 0) byThread.push(sql`t.cwd = ANY(${[...filters.cwds]}::text[])`);
    if (filters.kinds.length > 0) byThread.push(sourceKindsCondition(filters.kinds, 't.source'));
    const { rows } = await sql<{ id: number; home_id: string; thread_id: string; rank: number }>`
      SELECT m.id, m.home_id, m.thread_id, ts_rank_cd(m.words, ${query}) AS rank
      FROM (
        SELECT d.id, d.home_id, d.thread_id, d.words
        FROM search_documents AS d
        ${byThread.length > 0 ? sql`JOIN threads AS t ON t.home_id = d.home_id AND t.id = d.thread_id` : sql``}
        WHERE ${sql.join([...where, ...byThread], sql` AND `)}
        ORDER BY ${newest}
        LIMIT ${window + 1}
      ) AS m`.execute(this.#context.db);
    return {
      matches: rows.slice(0, window).map((row) => ({
        id: Number(row.id),
        thread: threadKey(row.home_id, row.thread_id),
        score: row.rank,
      })),
      rankedAll: rows.length <= window,
    };
  }

  /** The shown documents, with their text. */
  async #shown(ids: readonly number[]): Promise<ShownRow[]> {
    const { rows } = await sql<ShownRow>`
      SELECT d.id, d.kind, d.role, d.turn_id, d.time_ms, d.line, d.ordinal, d.text
      FROM search_documents AS d
      WHERE d.id = ANY(${ids}::bigint[]) AND ${inHomes(this.#context, 'd.home_id')}`.execute(
      this.#context.db,
    );
    return rows.map((row) => ({ ...row, id: Number(row.id) }));
  }

  /**
   * How many threads the index covers, of all threads (of the homes this store reads).
   *
   * @example
   * ```ts
   * const { threads, indexed } = await store.search.coverage();
   * ```
   */
  async coverage(): Promise<SearchCoverage> {
    const { threads, indexed, records } = await coveredCounts(this.#context, 'search_threads');
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
    return uncoveredThreads(this.#context, 'search_threads', options);
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
      .where(inHomes(this.#context, 'search_documents.home_id'))
      .orderBy('home_id')
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
}

/** The key a thread is grouped and looked up by: its home and its id. */
function threadKey(homeId: string, threadId: string): string {
  return `${homeId}\n${threadId}`;
}

function splitKey(key: string): { homeId: string; threadId: string } {
  const at = key.indexOf('\n');
  return { homeId: key.slice(0, at), threadId: key.slice(at + 1) };
}

/**
 * The snippet of a shown document: around its words whose lexemes the query looks for, among
 * those indexed (SQLite's snippets mark the words its query matched, likewise).
 */
function snippetOf(text: string, query: PostgresTextQuery): Snippet {
  const words = searchWords(text, INDEXED_CHARS);
  const matched = new Set<number>();
  words.forEach((word, index) => {
    if (matchesQuery(text.slice(word.start, word.end), query)) matched.add(index);
  });
  return buildSnippet(text, words, matched);
}
