import {
  type ThreadAnchor,
  type ThreadIndexStore,
  type ThreadMetadata,
  type ThreadSourceKind,
  type ThreadStore,
  type ThreadsPage,
  type ThreadsPageOptions,
  normalizeThreadId,
  parseSourceKinds,
} from '@agent-state/state';
import type { threadFromRow } from '@agent-state/state/backend';
import {
  THREAD_COLUMNS,
  checkedAnchor,
  checkedPageSize,
  sortColumnOf,
  sourceKindPattern,
  wholeSeconds,
} from '@agent-state/state/backend';
import { type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';

import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { type PostgresContext, inHomes, writableHome } from '../store/postgres-context.js';
import { threadsWithOrigin } from './thread-origin.js';

/** A row of `threads` as the metadata is read from. */
type ThreadRow = Parameters<typeof threadFromRow>[0];

/**
 * The `threads` table of the PostgreSQL store (`store.threads`): the SQLite store's
 * `ThreadsRepository` on a server, every query kept to the homes the store reads (`inHomes`) and
 * every write to the home it was opened for (`writableHome`). Upserts go through the index's one
 * write path (`store.index.write`), as in SQLite. A store opened across homes reads every home
 * selected and tells each thread's home in its `origin`; it writes nothing.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url, home });
 * await store.threads.upsert(meta);
 * const page = await store.threads.list({ pageSize: 25, sortKey: 'updated' });
 * const next = await store.threads.list({ pageSize: 25, sortKey: 'updated', anchor: page.nextAnchor });
 * ```
 */
export class PostgresThreads implements ThreadStore {
  readonly #context: PostgresContext;
  readonly #index: ThreadIndexStore;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext, index: ThreadIndexStore) {
    this.#context = context;
    this.#index = index;
  }

  /**
   * Inserts or fully replaces one thread row of this store's home (every column but the keys is
   * overwritten).
   *
   * @example
   * ```ts
   * await store.threads.upsert({ ...meta, title: 'Fix the flaky test' });
   * ```
   */
  async upsert(thread: ThreadMetadata): Promise<void> {
    await this.upsertMany([thread]);
  }

  /**
   * Upserts many threads in one transaction (a few statements whatever their number): all of
   * them, or none when one is invalid. A later entry for the same id wins.
   *
   * @example
   * ```ts
   * await store.threads.upsertMany(batch);
   * ```
   */
  async upsertMany(threads: readonly ThreadMetadata[]): Promise<void> {
    await this.#index.write(threads.map((metadata) => ({ metadata })));
  }

  /**
   * The thread with this id (any case), or `undefined`. A store opened across homes that holds the
   * id in several homes gives the most recently updated row.
   *
   * @example
   * ```ts
   * const thread = await store.threads.get('01a1fca2-1d67-7971-8727-3cd36fd8d76f');
   * ```
   */
  async get(id: string): Promise<ThreadMetadata | undefined> {
    const rows = await this.#threads()
      .select([...THREAD_COLUMNS, 'home_id'])
      .where('id', '=', normalizeThreadId(id))
      .orderBy('updated_at', 'desc')
      .orderBy('home_id')
      .limit(1)
      .execute();
    return (await this.#metadata(rows))[0];
  }

  /**
   * The threads with these ids that exist, in no particular order, in one query whatever their
   * number (an id held by several homes read across homes: its most recently updated row).
   *
   * @example
   * ```ts
   * const known = new Map((await store.threads.getMany(ids)).map((t) => [t.id, t]));
   * ```
   */
  async getMany(ids: readonly string[]): Promise<ThreadMetadata[]> {
    if (ids.length === 0) return [];
    const wanted = [...new Set(ids.map((id) => normalizeThreadId(id)))];
    const rows = await this.#threads()
      .select([...THREAD_COLUMNS, 'home_id'])
      .where(sql<SqlBool>`id = ANY(${wanted}::text[])`)
      .execute();
    const newest = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const seen = newest.get(row.id);
      if (!seen || row.updated_at > seen.updated_at) newest.set(row.id, row);
    }
    return this.#metadata([...newest.values()]);
  }

  /**
   * The rollout path stored for a thread; with `archived: true` only if it is archived, with
   * `archived: false` only if it is active.
   *
   * @example
   * ```ts
   * const path = await store.threads.findRolloutPath(id, { archived: false });
   * ```
   */
  async findRolloutPath(
    id: string,
    options: { archived?: boolean | undefined } = {},
  ): Promise<string | undefined> {
    let query = this.#threads().select('rollout_path').where('id', '=', normalizeThreadId(id));
    if (options.archived !== undefined) {
      query = query.where('archived', '=', options.archived ? 1 : 0);
    }
    const row = await query
      .orderBy('updated_at', 'desc')
      .orderBy('home_id')
      .limit(1)
      .executeTakeFirst();
    return row?.rollout_path;
  }

  /**
   * One page of threads, newest first by the sort key, ties broken by id (both descending), with
   * the SQLite store's filters, checks and keyset pagination. Threads without a first user message
   * are never listed (as in Codex).
   *
   * @example
   * ```ts
   * let anchor: ThreadAnchor | null = null;
   * do {
   *   const page = await store.threads.list({ pageSize: 100, anchor, sources: ['cli', 'vscode'] });
   *   for (const thread of page.items) console.log(thread.id, thread.title);
   *   anchor = page.nextAnchor;
   * } while (anchor);
   * ```
   */
  async list(options: ThreadsPageOptions): Promise<ThreadsPage> {
    const pageSize = checkedPageSize(options.pageSize);
    const sortColumn = sortColumnOf(options.sortKey);
    const rows = await this.#filtered(options, sortColumn)
      .select([...THREAD_COLUMNS, 'home_id'])
      .orderBy(sortColumn, 'desc')
      .orderBy('id', 'desc')
      .orderBy('home_id', 'desc')
      .limit(pageSize + 1)
      .execute();
    const numScannedRows = rows.length;
    const items = await this.#metadata(rows.slice(0, pageSize));
    const last = items[items.length - 1];
    let nextAnchor: ThreadAnchor | null = null;
    if (numScannedRows > pageSize && last) {
      nextAnchor = {
        ts: sortColumn === 'created_at' ? last.createdAt : last.updatedAt,
        id: last.id,
      };
      // Across homes one id may be in two homes at once: the page ends between them by home.
      if (this.#context.homeId === undefined) nextAnchor.homeId = rows[pageSize - 1]!.home_id;
    }
    return { items, nextAnchor, numScannedRows };
  }

  /**
   * Ids only, with the same filters and order as {@link list}, at most `limit` of them.
   *
   * @example
   * ```ts
   * const ids = await store.threads.listIds({ limit: 1000, sortKey: 'updated' });
   * ```
   */
  async listIds(
    options: Omit<ThreadsPageOptions, 'pageSize'> & { limit: number },
  ): Promise<string[]> {
    const limit = checkedPageSize(options.limit, 'limit');
    const sortColumn = sortColumnOf(options.sortKey);
    const rows = await this.#filtered(options, sortColumn)
      .select('id')
      .orderBy(sortColumn, 'desc')
      .orderBy('id', 'desc')
      .orderBy('home_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Every thread row in id order, listable or not, a page at a time (keyset on the id): for
   * reconciling the store with the rollouts. Pass the last id of a page as `afterId`. Read across
   * homes, the same id can be in several homes (rows by id, then home id): a page never ends
   * between them, so that the next one, after that id, misses none (such a page holds a few rows
   * more than `limit`).
   *
   * @example
   * ```ts
   * for (let page = await store.threads.scan({ limit: 500 }); page.length > 0;
   *      page = await store.threads.scan({ limit: 500, afterId: page.at(-1)!.id })) {
   *   for (const thread of page) check(thread);
   * }
   * ```
   */
  async scan(options: { limit: number; afterId?: string | undefined }): Promise<ThreadMetadata[]> {
    const limit = checkedPageSize(options.limit, 'limit');
    let query = this.#threads().select([...THREAD_COLUMNS, 'home_id']);
    if (options.afterId !== undefined) {
      query = query.where('id', '>', normalizeThreadId(options.afterId, 'afterId'));
    }
    const rows = await query.orderBy('id', 'asc').orderBy('home_id').limit(limit).execute();
    const last = rows.at(-1);
    if (this.#context.homeId === undefined && last !== undefined && rows.length === limit) {
      // The other homes' rows of the page's last id.
      rows.push(
        ...(await this.#threads()
          .select([...THREAD_COLUMNS, 'home_id'])
          .where('id', '=', last.id)
          .where('home_id', '>', last.home_id)
          .orderBy('home_id')
          .execute()),
      );
    }
    return this.#metadata(rows);
  }

  /**
   * The sub-agent threads a thread spawned (whose `parentThreadId` is `parentId`), archived or not,
   * listable or not, oldest first, at most `limit` (default 100).
   *
   * @example
   * ```ts
   * for (const child of await store.threads.listSubAgents(thread.id)) {
   *   console.log(child.id, child.agentNickname, child.agentRole);
   * }
   * ```
   */
  async listSubAgents(
    parentId: string,
    options: { limit?: number | undefined } = {},
  ): Promise<ThreadMetadata[]> {
    const limit = checkedPageSize(options.limit ?? 100, 'limit');
    const rows = await this.#threads()
      .select([...THREAD_COLUMNS, 'home_id'])
      .where('parent_thread_id', '=', normalizeThreadId(parentId, 'parentId'))
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return this.#metadata(rows);
  }

  /**
   * Number of threads, all of them or only active / archived ones (listable or not).
   *
   * @example
   * ```ts
   * const archived = await store.threads.count({ archived: true });
   * ```
   */
  async count(options: { archived?: boolean | undefined } = {}): Promise<number> {
    let query = this.#threads().select((eb) => eb.fn.countAll<number>().as('n'));
    if (options.archived !== undefined) {
      query = query.where('archived', '=', options.archived ? 1 : 0);
    }
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The rollout path of every thread the store reads, as stored. For checking which rollouts of a
   * home are not indexed.
   *
   * @example
   * ```ts
   * const indexed = await store.threads.rolloutPaths();
   * const missing = files.filter((file) => !indexed.has(file.path));
   * ```
   */
  async rolloutPaths(): Promise<Set<string>> {
    const rows = await this.#threads().select('rollout_path').execute();
    return new Set(rows.map((row) => row.rollout_path));
  }

  /**
   * Points a thread's row at its rollout's new name (same content: `gc` compressed it), only if
   * the row still names `from`. Returns whether it did.
   *
   * @example
   * ```ts
   * await store.threads.renameRollout(id, { from: plainPath, to: `${plainPath}.zst` });
   * ```
   */
  async renameRollout(id: string, change: { from: string; to: string }): Promise<boolean> {
    const threadId = normalizeThreadId(id);
    const result = await this.#context.db
      .updateTable('threads')
      .set({ rollout_path: change.to })
      .where('home_id', '=', writableHome(this.#context))
      .where('id', '=', threadId)
      .where('rollout_path', '=', change.from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Deletes a thread of this store's home. Its dynamic tools, coverage rows and stage-1 output go
   * with it by foreign-key cascades; its search documents and usage records by the statement
   * triggers on `threads`, which also make the usage records of its legacy forks that it marked
   * `inherited` count again (what the SQLite store's trigger does). Returns whether a row was
   * deleted.
   *
   * @example
   * ```ts
   * if (!existsSync(thread.rolloutPath)) await store.threads.delete(thread.id);
   * ```
   */
  async delete(id: string): Promise<boolean> {
    const result = await this.#context.db
      .deleteFrom('threads')
      .where('home_id', '=', writableHome(this.#context))
      .where('id', '=', normalizeThreadId(id))
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Marks a thread archived at `archivedAt` with its new rollout path (and, when given, its new
   * `updatedAt`). Returns false when there is no such row (nothing to do).
   *
   * @example
   * ```ts
   * await store.threads.markArchived(id, { rolloutPath: newPath, archivedAt: unixSeconds(clock) });
   * ```
   */
  async markArchived(
    id: string,
    change: { rolloutPath: string; archivedAt: number; updatedAt?: number | undefined },
  ): Promise<boolean> {
    return this.#setArchive(
      id,
      change.rolloutPath,
      wholeSeconds(change.archivedAt),
      change.updatedAt,
    );
  }

  /**
   * Marks a thread active again with its new rollout path (and, when given, its new `updatedAt`).
   * Returns false when there is no such row.
   *
   * @example
   * ```ts
   * await store.threads.markUnarchived(id, { rolloutPath: restoredPath });
   * ```
   */
  async markUnarchived(
    id: string,
    change: { rolloutPath: string; updatedAt?: number | undefined },
  ): Promise<boolean> {
    return this.#setArchive(id, change.rolloutPath, null, change.updatedAt);
  }

  async #setArchive(
    id: string,
    rolloutPath: string,
    archivedAt: number | null,
    updatedAt: number | undefined,
  ): Promise<boolean> {
    const threadId = normalizeThreadId(id);
    const updated = updatedAt === undefined ? {} : { updated_at: wholeSeconds(updatedAt) };
    const result = await this.#context.db
      .updateTable('threads')
      .set({
        rollout_path: rolloutPath,
        archived: archivedAt === null ? 0 : 1,
        archived_at: archivedAt,
        ...updated,
      })
      .where('home_id', '=', writableHome(this.#context))
      .where('id', '=', threadId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Rows as metadata, with their origin when the store reads many homes. */
  async #metadata(rows: ReadonlyArray<ThreadRow & { home_id: string }>): Promise<ThreadMetadata[]> {
    return threadsWithOrigin(this.#context, rows);
  }

  /** `threads` of the homes this store reads. */
  #threads(): SelectQueryBuilder<PostgresDatabase, 'threads', object> {
    return this.#context.db.selectFrom('threads').where(inHomes(this.#context, 'threads.home_id'));
  }

  /** The listing's rows before ordering: checks and filters in the SQLite store's order. */
  #filtered(
    options: Omit<ThreadsPageOptions, 'pageSize'>,
    sortColumn: 'created_at' | 'updated_at',
  ): SelectQueryBuilder<PostgresDatabase, 'threads', object> {
    let query = this.#threads()
      .where('archived', '=', options.archived ? 1 : 0)
      .where('first_user_message', '<>', '');
    if (options.cwds && options.cwds.length > 0) {
      query = query.where(sql<SqlBool>`cwd = ANY(${[...options.cwds]}::text[])`);
    }
    const kinds = parseSourceKinds(options.sources);
    if (kinds.length > 0) query = query.where(sourceKindsCondition(kinds));
    if (options.modelProviders && options.modelProviders.length > 0) {
      query = query.where(
        sql<SqlBool>`model_provider = ANY(${[...options.modelProviders]}::text[])`,
      );
    }
    if (options.anchor) {
      const { ts, id, homeId } = checkedAnchor(options.anchor);
      query =
        homeId === undefined
          ? query.where((eb) => eb(eb.refTuple(sortColumn, 'id'), '<', eb.tuple(ts, id)))
          : query.where((eb) =>
              eb(eb.refTuple(sortColumn, 'id', 'home_id'), '<', eb.tuple(ts, id, homeId)),
            );
    }
    return query;
  }
}

/**
 * SQL for "the source is of one of these kinds" on PostgreSQL (the SQLite store's
 * `sourceKindsFilter`, from the same patterns): equality with the exact values, `starts_with` for
 * the prefixes. Not ranges as in SQLite: under a linguistic collation (`en_US.UTF-8`) PostgreSQL
 * orders the JSON's punctuation apart from its letters, so a range would not be a prefix. `column`
 * is the `source` column, qualified when the query joins tables.
 *
 * @example
 * ```ts
 * db.selectFrom('threads').where(sourceKindsCondition(parseSourceKinds(['subagent'])))
 * ```
 */
export function sourceKindsCondition(
  kinds: readonly ThreadSourceKind[],
  column = 'threads.source',
): RawBuilder<SqlBool> {
  const ref = sql.ref(column);
  const one = (kind: ThreadSourceKind): RawBuilder<SqlBool> => {
    const pattern = sourceKindPattern(kind);
    const hits: RawBuilder<SqlBool>[] = [];
    if (pattern.exact.length > 0) {
      hits.push(sql<SqlBool>`${ref} = ANY(${[...pattern.exact]}::text[])`);
    }
    for (const prefix of pattern.prefixes) {
      hits.push(sql<SqlBool>`starts_with(${ref}, ${prefix}::text)`);
    }
    const hit =
      hits.length > 0 ? sql<SqlBool>`(${sql.join(hits, sql` OR `)})` : sql<SqlBool>`false`;
    return pattern.negated ? sql<SqlBool>`NOT ${hit}` : hit;
  };
  return sql<SqlBool>`(${sql.join(kinds.map(one), sql` OR `)})`;
}
