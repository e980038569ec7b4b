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

  /**
   * @internal For tests: how matches are found. `estimates` (the default) chooses by the
   * planner's estimates; `walk` walks every document newest first, `index` reads the GIN index.
   */
  readBy: 'estimates' | 'walk' | 'index' = 'estimates';

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
   * match's tsvector, so only the window's are ranked; the filters are part of the query, so the
   * window holds only matches that count.
   *
   * Two ways to find them, chosen here rather than by the planner, which errs both ways: it takes
   * a phrase's words' frequencies for the phrase's, and it would walk every home's ids to find one
   * home's (it counts a home's own index as scattered reads). A word in many documents is found
   * fastest by walking the newest documents, newest first, until the window is full: the fewer
   * documents hold it, the longer the walk. A rarer one by the GIN index: every document holding
   * all its words is read, then the newest kept. A sample of the newest documents tells which costs
   * less (`#plan`); a walk that finds the window short (the sample was richer than the rest) stops
   * where the index would have cost as much, and the index answers.
   */
  async #newestMatches(
    tsquery: string,
    filters: SearchFilters,
    window: number,
  ): Promise<{ matches: ScoredMatch[]; rankedAll: boolean }> {
    const query = sql`${tsquery}::tsquery`;
    const ofDocument: RawBuilder<SqlBool>[] = [
      inHomes(this.#context, 'd.home_id'),
      sql`d.words @@ ${query}`,
    ];
    if (filters.roles.length > 0) ofDocument.push(sql`d.role = ANY(${filters.roles}::text[])`);
    // Times are whole ms: `>= 1.5` is `>= 2`, `< 1.5` is `< 2` (a fraction is no bigint).
    if (filters.sinceMs !== undefined) {
      ofDocument.push(sql`d.time_ms >= ${Math.ceil(filters.sinceMs)}::bigint`);
    }
    if (filters.untilMs !== undefined) {
      ofDocument.push(sql`d.time_ms < ${Math.ceil(filters.untilMs)}::bigint`);
    }
    const ofThread: RawBuilder<SqlBool>[] = [];
    if (filters.archived !== 'all') {
      ofThread.push(sql`t.archived = ${filters.archived ? 1 : 0}::smallint`);
    }
    if (filters.cwds.length > 0) ofThread.push(sql`t.cwd = ANY(${[...filters.cwds]}::text[])`);
    if (filters.kinds.length > 0) ofThread.push(sourceKindsCondition(filters.kinds, 't.source'));
    const documents = sql.join(ofDocument, sql` AND `);

    // One home's documents are walked in the order of its own index, `(home_id, -id)`; several
    // homes' in the order of all ids (other homes' rows are passed over).
    const oneHome = this.#context.homeId !== undefined;
    const walked = oneHome ? inHomes(this.#context, 'd.home_id') : sql<SqlBool>`true`;
    let walk = this.readBy === 'walk';
    let walkLimit: number | undefined;
    if (this.readBy === 'estimates') {
      ({ walk, walkLimit } = await this.#plan({ tsquery, documents, walked, oneHome, window }));
    }
    if (walk) {
      const newest = oneHome ? sql`-d.id` : sql`d.id`;
      // The walk's order as a column of its rows, which the rows kept keep: the walk stops once
      // the window is full.
      const order = oneHome ? sql`d.newest` : sql`d.newest DESC`;
      const walkQuery = sql<MatchRow>`
        SELECT m.id, m.home_id, m.thread_id, ts_rank_cd(m.words, ${query}) AS rank
        FROM (
          SELECT d.id, d.home_id, d.thread_id, d.words
          FROM (
            SELECT id, home_id, thread_id, role, time_ms, words, ${newest} AS newest
            FROM search_documents AS d
            WHERE ${walked}
            ORDER BY ${walkOrder(oneHome)}
            ${walkLimit === undefined ? sql`` : sql`LIMIT ${walkLimit}`}
          ) AS d
          ${
            // Thread by thread, in the walk's order: a join of every row walked would read them
            // all before keeping the first.
            ofThread.length > 0
              ? sql`JOIN LATERAL (
                  SELECT 1 FROM threads AS t
                  WHERE t.home_id = d.home_id AND t.id = d.thread_id
                    AND ${sql.join(ofThread, sql` AND `)}
                  LIMIT 1
                ) AS t ON true`
              : sql``
          }
          WHERE ${documents}
          ORDER BY ${order}
          LIMIT ${window + 1}
        ) AS m`;
      // The walk reads the index in order, whatever the planner makes of the walk's length (a
      // long one it would rather sort, reading every document first).
      const rows = await this.#context.db.transaction().execute(async (trx) => {
        await sql`SELECT set_config('enable_sort', 'off', true),
          set_config('enable_bitmapscan', 'off', true),
          set_config('enable_seqscan', 'off', true)`.execute(trx);
        return (await walkQuery.execute(trx)).rows;
      });
      if (rows.length > window || walkLimit === undefined) return windowOf(rows, window);
    }
    // `d.id + 0`: an order no index gives, so that the planner reads the GIN index. The matches
    // are sorted without their tsvectors (carried through the sort, a window of them spills to
    // disk), and only the window's are read again, by id, to rank them.
    const { rows } = await sql<MatchRow>`
      SELECT m.id, m.home_id, m.thread_id, ts_rank_cd(w.words, ${query}) AS rank
      FROM (
        SELECT d.id, d.home_id, d.thread_id
        FROM search_documents AS d
        ${ofThread.length > 0 ? sql`JOIN threads AS t ON t.home_id = d.home_id AND t.id = d.thread_id` : sql``}
        WHERE ${sql.join([...ofDocument, ...ofThread], sql` AND `)}
        ORDER BY d.id + 0 DESC
        LIMIT ${window + 1}
      ) AS m
      JOIN search_documents AS w ON w.id = m.id
      ORDER BY m.id DESC`.execute(this.#context.db);
    return windowOf(rows, window);
  }

  /**
   * Whether to walk, and how far: the matches of the query and the documents holding all its
   * words (the rows the index reads) among the newest {@link SAMPLE} documents a walk would read
   * first, scaled to the documents walked (the home's, by the planner's estimate, or all) and to
   * all documents (the index reads every home's). The planner's own estimates are no guide to a
   * phrase: it takes its words to be independent, which the words of "no such file or directory"
   * are not. A walk that would read every document walked goes to the end (it then found every
   * match); another stops where the index would have read as many rows. A walk is chosen only
   * when expected to read at most half the index's rows ({@link WALK_MARGIN}).
   */
  async #plan(options: {
    tsquery: string;
    /** The conditions of a matching document. */
    documents: RawBuilder<unknown>;
    /** The condition of a document walked. */
    walked: RawBuilder<SqlBool>;
    oneHome: boolean;
    window: number;
  }): Promise<{ walk: boolean; walkLimit: number | undefined }> {
    const { tsquery, documents, walked, oneHome, window } = options;
    // Lexemes are quoted letters and digits: `<->` is only ever the phrase operator.
    const allWords = tsquery.replaceAll(' <-> ', ' & ');
    const [{ rows }, homeRows] = await Promise.all([
      sql<{ sampled: number; matching: number; holding: number; total: number }>`
        SELECT count(*)::int AS sampled,
          count(*) FILTER (WHERE ${documents})::int AS matching,
          count(*) FILTER (WHERE d.words @@ ${allWords}::tsquery)::int AS holding,
          (SELECT reltuples FROM pg_class WHERE oid = 'search_documents'::regclass)::float8 AS total
        FROM (
          SELECT home_id, role, time_ms, words FROM search_documents AS d
          WHERE ${walked}
          ORDER BY ${walkOrder(oneHome)}
          LIMIT ${SAMPLE}
        ) AS d`.execute(this.#context.db),
      oneHome ? this.#estimate(sql`search_documents AS d WHERE ${walked}`) : undefined,
    ]);
    const { sampled, matching, holding } = rows[0]!;
    // Every document walked was sampled: walking them all costs next to nothing.
    if (sampled < SAMPLE) return { walk: true, walkLimit: undefined };
    const total = Math.max(rows[0]!.total, sampled); // -1 before the table's first analysis
    const walkable = Math.max(homeRows ?? total, sampled);
    // In rows walked: a row the index finds costs a random read of its page, and its recheck.
    const indexRows = (INDEX_ROW_COST * holding * total) / sampled;
    const walkRows = matching > 0 ? ((window + 1) * sampled) / matching : Infinity;
    if (walkRows >= walkable) return { walk: walkable < indexRows, walkLimit: undefined };
    // A walk cut short costs the index's rows on top of its own: chosen only when clearly cheaper.
    return { walk: walkRows * WALK_MARGIN < indexRows, walkLimit: Math.ceil(indexRows) };
  }

  /**
   * The planner's estimate of the rows of `SELECT 1 FROM <from>`, from its statistics, without
   * running it.
   */
  async #estimate(from: RawBuilder<unknown>): Promise<number> {
    const { rows } = await sql<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>`
      EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from}`.execute(this.#context.db);
    return rows[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'];
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

/** Documents a search samples to choose between walking and the index. */
const SAMPLE = 1_000;
/**
 * What reading a document the GIN index found costs, in documents walked (measured on 450,000
 * documents: 5 to 10 µs against 2 to 3.5 µs).
 */
const INDEX_ROW_COST = 3;

/**
 * How many times fewer rows a walk must be expected to read than the index, to be chosen. The
 * newest documents sampled can hold a query's matches more densely than those after them (a
 * phrase the last weeks' sessions kept meeting): a walk the sample misjudged stops where the
 * index would have cost as much, and the index then answers, at twice the cost; the index costs
 * what the estimate says.
 */
const WALK_MARGIN = 2;

/**
 * The order a walk reads documents in, newest first: one home's by its own `(home_id, -id)`
 * index, several homes' by the primary key.
 */
function walkOrder(oneHome: boolean): RawBuilder<unknown> {
  return oneHome ? sql`-d.id` : sql`d.id DESC`;
}

/** A match as `#newestMatches` reads it. */
interface MatchRow {
  id: number;
  home_id: string;
  thread_id: string;
  rank: number;
}

/** The first `window` matches, and whether they were all of them. */
function windowOf(
  rows: readonly MatchRow[],
  window: number,
): { matches: ScoredMatch[]; rankedAll: boolean } {
  return {
    matches: rows.slice(0, window).map((row) => ({
      id: Number(row.id),
      thread: threadKey(row.home_id, row.thread_id),
      score: row.rank,
    })),
    rankedAll: rows.length <= window,
  };
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
