import type { Expression, ExpressionBuilder, SelectQueryBuilder, SqlBool } from 'kysely';

import { InvalidArgumentError } from '../errors.js';
import { checkedUpTo } from '../store/argument-checks.js';
import type { ThreadIndexStore, ThreadStore } from '../contract/store-contract.js';
import type { StateDatabase } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from './thread-metadata.js';
import { THREAD_COLUMNS, threadFromRow } from './thread-row.js';
import {
  type SourceKindPattern,
  type ThreadSourceKind,
  parseSourceKinds,
  sourceKindPattern,
} from './thread-source-kind.js';

/**
 * Column a thread listing is sorted by (newest first).
 *
 * @example
 * ```ts
 * const sortKey: ThreadSortKey = 'updated';
 * const recent = await store.threads.list({ pageSize: 25, sortKey });
 * ```
 */
export type ThreadSortKey = 'created' | 'updated';

/**
 * Keyset-pagination anchor: the sort value and id of the last item of the previous page. The next
 * page holds the items strictly after it in `(sort value DESC, id DESC)` order.
 *
 * @example
 * ```ts
 * const anchor: ThreadAnchor = { ts: last.createdAt, id: last.id }; // default sort key: created
 * const next = await store.threads.list({ pageSize: 25, anchor });
 * ```
 */
export interface ThreadAnchor {
  /** `createdAt` or `updatedAt` (by the sort key) of the last item, unix seconds. */
  ts: number;
  id: string;
  /**
   * The home of the last item, from a store that reads many homes (the PostgreSQL store across
   * homes), where one thread id may be in two homes at the same time: their order is then the home
   * id's, descending. Absent elsewhere.
   */
  homeId?: string | undefined;
}

/**
 * Options of `store.threads.list` ({@link ThreadStore.list}): one page of the store's thread rows,
 * newest first, with Codex's filters and keyset pagination. (The rollout-level listing,
 * `listThreads` of `@agent-state/rollout`, has its own `ListThreadsOptions`.)
 *
 * @example
 * ```ts
 * const options: ThreadsPageOptions = { pageSize: 25, sortKey: 'updated', cwds: [process.cwd()] };
 * const page = await store.threads.list(options);
 * ```
 */
export interface ThreadsPageOptions {
  /** Items per page, 1 to {@link MAX_PAGE_SIZE}. */
  pageSize: number;
  /** Continue after this anchor (from the previous page's `nextAnchor`). */
  anchor?: ThreadAnchor | null | undefined;
  /** Default `created`. */
  sortKey?: ThreadSortKey | undefined;
  /** List archived threads instead of active ones (default false). */
  archived?: boolean | undefined;
  /**
   * Only threads of these source kinds (Codex's `sourceKinds`, any spelling
   * {@link parseSourceKind} reads: `exec`, `subagent` for every sub-agent, `subAgentReview`, …);
   * empty or absent: all. An unknown kind throws {@link InvalidArgumentError}.
   */
  sources?: readonly string[] | undefined;
  /** Only these model providers (empty or absent: all). */
  modelProviders?: readonly string[] | undefined;
  /** Only threads whose cwd is exactly one of these (empty or absent: all). */
  cwds?: readonly string[] | undefined;
}

/**
 * One page of {@link ThreadStore.list}.
 *
 * @example
 * ```ts
 * const page: ThreadsPage = await store.threads.list({ pageSize: 25 });
 * if (page.nextAnchor) await store.threads.list({ pageSize: 25, anchor: page.nextAnchor });
 * ```
 */
export interface ThreadsPage {
  items: ThreadMetadata[];
  /** Anchor of the next page; `null` on the last page. */
  nextAnchor: ThreadAnchor | null;
  /** Rows read from the database for this page (`pageSize + 1` at most). */
  numScannedRows: number;
}

/**
 * Largest page {@link ThreadStore.list} accepts.
 *
 * @example
 * ```ts
 * const page = await store.threads.list({ pageSize: Math.min(requested, MAX_PAGE_SIZE) });
 * ```
 */
export const MAX_PAGE_SIZE = 10_000;

/**
 * The `threads` table: upsert, read, list with keyset pagination, archive and delete. Reach it as
 * `store.threads`.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * await store.threads.upsert(meta);
 * const page = await store.threads.list({ pageSize: 25, sortKey: 'updated' });
 * const next = await store.threads.list({ pageSize: 25, sortKey: 'updated', anchor: page.nextAnchor });
 * ```
 */
export class ThreadsRepository implements ThreadStore {
  readonly #context: StoreContext;
  readonly #index: ThreadIndexStore;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext, index: ThreadIndexStore) {
    this.#context = context;
    this.#index = index;
  }

  /**
   * Inserts or fully replaces one thread row (every column but the id is overwritten).
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
   * Upserts many threads in one transaction. Much faster than one {@link upsert} per thread (one
   * lock, one commit, no per-row round trip): use it for batches such as a backfill chunk.
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
   * The thread with this id, or `undefined`.
   *
   * @example
   * ```ts
   * const thread = await store.threads.get('01a1fca2-1d67-7971-8727-3cd36fd8d76f');
   * ```
   */
  async get(id: string): Promise<ThreadMetadata | undefined> {
    const row = await this.#context.db
      .selectFrom('threads')
      .select(THREAD_COLUMNS)
      .where('id', '=', normalizeThreadId(id))
      .executeTakeFirst();
    return row ? threadFromRow(row) : undefined;
  }

  /**
   * The threads with these ids that exist, in no particular order (one query).
   *
   * @example
   * ```ts
   * const known = new Map((await store.threads.getMany(ids)).map((t) => [t.id, t]));
   * ```
   */
  async getMany(ids: readonly string[]): Promise<ThreadMetadata[]> {
    if (ids.length === 0) return [];
    const wanted = ids.map((id) => normalizeThreadId(id));
    const found: ThreadMetadata[] = [];
    for (let start = 0; start < wanted.length; start += 500) {
      const rows = await this.#context.db
        .selectFrom('threads')
        .select(THREAD_COLUMNS)
        .where('id', 'in', wanted.slice(start, start + 500))
        .execute();
      found.push(...rows.map(threadFromRow));
    }
    return found;
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
    let query = this.#context.db
      .selectFrom('threads')
      .select('rollout_path')
      .where('id', '=', normalizeThreadId(id));
    if (options.archived !== undefined)
      query = query.where('archived', '=', options.archived ? 1 : 0);
    const row = await query.executeTakeFirst();
    return row?.rollout_path;
  }

  /**
   * One page of threads, newest first by the sort key, ties broken by id (both descending).
   * Threads without a first user message are never listed (as in Codex).
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
      .select(THREAD_COLUMNS)
      .orderBy(sortColumn, 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .execute();
    const numScannedRows = rows.length;
    const items = rows.slice(0, pageSize).map(threadFromRow);
    const last = items[items.length - 1];
    const nextAnchor =
      numScannedRows > pageSize && last
        ? { ts: sortColumn === 'created_at' ? last.createdAt : last.updatedAt, id: last.id }
        : null;
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
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Every thread row in id order, listable or not, a page at a time (keyset on the id): for
   * reconciling the store with the rollouts. Pass the last id of a page as `afterId`.
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
    let query = this.#context.db.selectFrom('threads').select(THREAD_COLUMNS);
    if (options.afterId !== undefined) {
      query = query.where('id', '>', normalizeThreadId(options.afterId, 'afterId'));
    }
    const rows = await query.orderBy('id', 'asc').limit(limit).execute();
    return rows.map(threadFromRow);
  }

  /**
   * The sub-agent threads a thread spawned (whose `parentThreadId` is `parentId`), archived or not,
   * listable or not, oldest first, at most `limit` (default 100). An indexed query.
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
    const rows = await this.#context.db
      .selectFrom('threads')
      .select(THREAD_COLUMNS)
      .where('parent_thread_id', '=', normalizeThreadId(parentId, 'parentId'))
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map(threadFromRow);
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
    let query = this.#context.db
      .selectFrom('threads')
      .select((eb) => eb.fn.countAll<number>().as('n'));
    if (options.archived !== undefined)
      query = query.where('archived', '=', options.archived ? 1 : 0);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The rollout path of every thread, as stored (one string per row; about 100 bytes each, so
   * 100,000 threads take a few MB). For checking which rollouts of a home are not indexed.
   *
   * @example
   * ```ts
   * const indexed = await store.threads.rolloutPaths();
   * const missing = files.filter((file) => !indexed.has(file.path));
   * ```
   */
  async rolloutPaths(): Promise<Set<string>> {
    const rows = await this.#context.db.selectFrom('threads').select('rollout_path').execute();
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
    const result = await this.#context.db
      .updateTable('threads')
      .set({ rollout_path: change.to })
      .where('id', '=', normalizeThreadId(id))
      .where('rollout_path', '=', change.from)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Deletes a thread; its dynamic tools and stage-1 output go with it (foreign-key cascade).
   * Returns whether a row was deleted.
   *
   * @example
   * ```ts
   * if (!existsSync(thread.rolloutPath)) await store.threads.delete(thread.id);
   * ```
   */
  async delete(id: string): Promise<boolean> {
    const result = await this.#context.db
      .deleteFrom('threads')
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
    const result = await this.#context.db
      .updateTable('threads')
      .set({
        rollout_path: rolloutPath,
        archived: archivedAt === null ? 0 : 1,
        archived_at: archivedAt,
        ...(updatedAt === undefined ? {} : { updated_at: wholeSeconds(updatedAt) }),
      })
      .where('id', '=', normalizeThreadId(id))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  #filtered(
    options: Omit<ThreadsPageOptions, 'pageSize'>,
    sortColumn: 'created_at' | 'updated_at',
  ): SelectQueryBuilder<StateDatabase, 'threads', object> {
    let query = this.#context.db
      .selectFrom('threads')
      .where('archived', '=', options.archived ? 1 : 0)
      .where('first_user_message', '<>', '');
    if (options.cwds && options.cwds.length > 0)
      query = query.where('cwd', 'in', [...options.cwds]);
    const kinds = parseSourceKinds(options.sources);
    if (kinds.length > 0) query = query.where((eb) => sourceKindsFilter(eb, kinds));
    if (options.modelProviders && options.modelProviders.length > 0) {
      query = query.where('model_provider', 'in', [...options.modelProviders]);
    }
    if (options.anchor) {
      const { ts, id } = checkedAnchor(options.anchor);
      query = query.where((eb) => eb(eb.refTuple(sortColumn, 'id'), '<', eb.tuple(ts, id)));
    }
    return query;
  }
}

/**
 * SQL for "the source is of one of these kinds": equality and prefix ranges on `source`
 * (`source >= '{"subagent":' AND source < '{"subagent";'`), which an index on the column serves,
 * unlike `LIKE` under SQLite's default case-insensitive collation. Also used by search, over
 * queries that join `threads`.
 */
export function sourceKindsFilter(
  eb: ExpressionBuilder<StateDatabase, 'threads'>,
  kinds: readonly ThreadSourceKind[],
): Expression<SqlBool> {
  const one = (pattern: SourceKindPattern): Expression<SqlBool> => {
    const hit = eb.or([
      ...(pattern.exact.length > 0 ? [eb('source', 'in', [...pattern.exact])] : []),
      ...pattern.prefixes.map((prefix) =>
        eb.and([eb('source', '>=', prefix), eb('source', '<', prefixEnd(prefix))]),
      ),
    ]);
    return pattern.negated ? eb.not(hit) : hit;
  };
  return eb.or(kinds.map((kind) => one(sourceKindPattern(kind))));
}

/** The smallest string greater than every string starting with `prefix` (last code unit + 1). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The column of a sort key; an unknown key throws `InvalidArgumentError` (`sortKey`). */
export function sortColumnOf(sortKey: ThreadSortKey | undefined): 'created_at' | 'updated_at' {
  switch (sortKey ?? 'created') {
    case 'created':
      return 'created_at';
    case 'updated':
      return 'updated_at';
    default:
      throw new InvalidArgumentError(
        'sortKey',
        `expected "created" or "updated", got ${String(sortKey)}`,
      );
  }
}

/** A page size (or limit, named by `argument`) from 1 to {@link MAX_PAGE_SIZE}. */
export function checkedPageSize(value: number, argument = 'pageSize'): number {
  return checkedUpTo(argument, value, MAX_PAGE_SIZE);
}

/** A keyset anchor: whole seconds and a thread id (normalized), else `InvalidArgumentError`. */
export function checkedAnchor(anchor: ThreadAnchor): ThreadAnchor {
  if (!Number.isInteger(anchor.ts)) {
    throw new InvalidArgumentError(
      'anchor',
      `ts must be whole unix seconds, got ${String(anchor.ts)}`,
    );
  }
  const checked: ThreadAnchor = { ts: anchor.ts, id: normalizeThreadId(anchor.id, 'anchor') };
  if (anchor.homeId !== undefined) checked.homeId = normalizeThreadId(anchor.homeId, 'anchor');
  return checked;
}

/** A time of an archive change as whole unix seconds (floored); not finite throws. */
export function wholeSeconds(value: number): number {
  if (!Number.isFinite(value))
    throw new InvalidArgumentError('timestamp', `expected unix seconds, got ${value}`);
  return Math.floor(value);
}
