import { type ExpressionBuilder, type SqlBool, sql } from 'kysely';

import type { SearchStore } from '../contract/store-contract.js';
import { InvalidArgumentError } from '../errors.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from '../threads/thread-row.js';
import { parseSourceKinds } from '../threads/thread-source-kind.js';
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
    const limit = checkedInteger(options.limit ?? 20, 'limit', MAX_SEARCH_LIMIT);
    const perThread = checkedInteger(options.documentsPerThread ?? 3, 'documentsPerThread', 20);
    const roles = checkedRoles(options.roles);
    const kinds = parseSourceKinds(options.sources);
    const db = this.#context.db;

    const matching = () => {
      let query = db
        .selectFrom('search_fts')
        .innerJoin('search_documents as d', 'd.id', 'search_fts.rowid')
        .where(sql<SqlBool>`search_fts MATCH ${fts}`);
      if (roles.length > 0) query = query.where('d.role', 'in', roles);
      if (options.sinceMs !== undefined) {
        query = query.where('d.time_ms', '>=', checkedTime(options.sinceMs, 'sinceMs'));
      }
      if (options.untilMs !== undefined) {
        query = query.where('d.time_ms', '<', checkedTime(options.untilMs, 'untilMs'));
      }
      return query;
    };

    let threadsQuery = matching().innerJoin('threads as t', 't.id', 'd.thread_id');
    if (options.archived !== 'all') {
      threadsQuery = threadsQuery.where('t.archived', '=', options.archived === true ? 1 : 0);
    }
    if (options.cwds && options.cwds.length > 0) {
      threadsQuery = threadsQuery.where('t.cwd', 'in', [...options.cwds]);
    }
    if (kinds.length > 0) {
      threadsQuery = threadsQuery.where((eb) =>
        sourceKindsFilter(eb as unknown as ExpressionBuilder<StateDatabase, 'threads'>, kinds),
      );
    }
    const ranked = await this.#guard(
      threadsQuery
        .select([
          'd.thread_id as threadId',
          sql<number>`min(search_fts.rank)`.as('rank'),
          sql<number>`count(*)`.as('matches'),
          sql<number>`count(*) over ()`.as('total'),
        ])
        .groupBy('d.thread_id')
        .orderBy('rank')
        .orderBy('d.thread_id')
        .limit(limit)
        .execute(),
    );
    if (ranked.length === 0) return { hits: [], totalThreads: 0 };
    const threadIds = ranked.map((row) => row.threadId);

    const best = await this.#guard(
      db
        .selectFrom(
          matching()
            .where('d.thread_id', 'in', threadIds)
            .select([
              'd.id as id',
              'd.thread_id as threadId',
              'd.kind as kind',
              'd.role as role',
              'd.turn_id as turnId',
              'd.time_ms as timeMs',
              'd.line as line',
              'd.ordinal as ordinal',
              sql<number>`search_fts.rank`.as('rank'),
              sql<number>`row_number() over (partition by d.thread_id order by search_fts.rank, d.line)`.as(
                'position',
              ),
            ])
            .as('m'),
        )
        .selectAll()
        .where('position', '<=', perThread)
        .execute(),
    );
    const snippets = new Map(
      (
        await this.#guard(
          db
            .selectFrom('search_fts')
            .select([
              'rowid',
              sql<string>`snippet(search_fts, 0, ${OPEN_MARK}, ${CLOSE_MARK}, '…', ${SNIPPET_TOKENS})`.as(
                'snippet',
              ),
            ])
            .where(sql<SqlBool>`search_fts MATCH ${fts}`)
            .where(
              'rowid',
              'in',
              best.map((row) => row.id),
            )
            .execute(),
        )
      ).map((row) => [row.rowid, row.snippet]),
    );
    const threads = new Map(
      (
        await db.selectFrom('threads').select(THREAD_COLUMNS).where('id', 'in', threadIds).execute()
      ).map((row) => [row.id, threadFromRow(row)]),
    );

    const documents = new Map<string, SearchMatch[]>();
    for (const row of best.sort((a, b) => a.position - b.position)) {
      const list = documents.get(row.threadId) ?? [];
      list.push({
        kind: row.kind as SearchDocumentKind,
        role: row.role as SearchRole,
        turnId: row.turnId,
        timeMs: row.timeMs,
        line: row.line,
        ordinal: row.ordinal,
        ...highlighted(snippets.get(row.id) ?? ''),
        score: -row.rank,
      });
      documents.set(row.threadId, list);
    }
    const hits: SearchHit[] = [];
    for (const row of ranked) {
      const thread = threads.get(row.threadId);
      if (!thread) continue; // deleted between the queries
      hits.push({
        thread,
        score: -row.rank,
        matches: row.matches,
        documents: documents.get(row.threadId) ?? [],
      });
    }
    return { hits, totalThreads: ranked[0]!.total };
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
    const row = await this.#context.db
      .selectNoFrom((eb) => [
        eb.selectFrom('threads').select(eb.fn.countAll<number>().as('n')).as('threads'),
        eb
          .selectFrom('search_threads')
          .innerJoin('threads', 'threads.id', 'search_threads.thread_id')
          .select(eb.fn.countAll<number>().as('n'))
          .as('indexed'),
        eb
          .selectFrom('search_threads')
          .select(sql<number>`coalesce(sum(documents), 0)`.as('n'))
          .as('documents'),
      ])
      .executeTakeFirstOrThrow();
    return {
      threads: Number(row.threads ?? 0),
      indexed: Number(row.indexed ?? 0),
      documents: Number(row.documents ?? 0),
    };
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
    let query = this.#context.db
      .selectFrom('threads')
      .select(THREAD_COLUMNS)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('search_threads')
              .select('search_threads.thread_id')
              .whereRef('search_threads.thread_id', '=', 'threads.id'),
          ),
        ),
      )
      .orderBy('id')
      .limit(checkedInteger(options.limit, 'limit', 10_000));
    if (options.afterId !== undefined) {
      query = query.where('id', '>', normalizeThreadId(options.afterId, 'afterId'));
    }
    return (await query.execute()).map(threadFromRow);
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

function checkedInteger(value: number, argument: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      argument,
      `expected an integer from 1 to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function checkedTime(value: number, argument: string): number {
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(argument, `expected unix milliseconds, got ${String(value)}`);
  }
  return value;
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
