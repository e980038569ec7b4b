import { lstatSync } from 'node:fs';

import {
  DEFAULT_APPROVAL_MODE,
  DEFAULT_SANDBOX_POLICY,
  ErrorCode,
  type Logger,
  type AgentStateStore,
  type ThreadAnchor,
  type ThreadMetadata,
  type ThreadsPageOptions,
  type ThreadSortKey,
  type ThreadSourceKind,
  errorCategory,
  noopLogger,
  parseSourceKinds,
  sourceKindOf,
  toAgentStateError,
} from '@agent-state/state';

import { readThreadNames } from '../archive/session-index.js';
import { indexRollouts } from '../indexer/index-rollouts.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import { fileExists } from '../fs/file-exists.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { homeRolloutsMatcher, rolloutTwinPath } from '../paths/rollout-paths.js';
import { walkRolloutFolders } from '../paths/rollout-walker.js';
import { keepArchiveTime } from '../indexer/keep-archive-time.js';
import { type ThreadFileItem, listThreadFiles } from './file-listing.js';
import { formatThreadCursor, parseThreadCursor } from './thread-cursor.js';

/**
 * A thread as listed: its metadata, its user-set name (from `session_index.jsonl`) and the preview
 * to show. From a file listing (`page.source === 'files'`) only what a rollout's head tells is
 * known: `title` is the preview, the sandbox policy and approval mode are defaults and
 * `tokensUsed` is 0.
 *
 * @example
 * ```ts
 * for (const t of page.items) console.log(t.name ?? t.preview, t.cwd);
 * ```
 */
export interface ListedThread extends ThreadMetadata {
  /** User-set name, or `null`. */
  name: string | null;
  /** First user message as listings show it (`''` when none). */
  preview: string;
  /**
   * The narrowest of Codex's source kinds the thread's `source` has (`exec`, `vscode`,
   * `subAgentThreadSpawn`, …; see `sourceKindOf`), what `--source` filters on; `null` for a source
   * no kind takes. Codex's `thread/list` reports a sub-agent's source as `{"subAgent": …}` (see
   * `appServerSource`): every `subAgent…` kind is also matched by a `subAgent` filter.
   */
  sourceKind: ThreadSourceKind | null;
}

/**
 * A thread's metadata as a listing item: with its user-set name, its preview (the first user
 * message, `''` when none) and its source kind.
 *
 * @example
 * ```ts
 * const found = await findThread({ home, store, id });
 * if (found) console.log(toListedThread(found.metadata, name).sourceKind);
 * ```
 */
export function toListedThread(thread: ThreadMetadata, name: string | null): ListedThread {
  return {
    ...thread,
    name,
    preview: thread.firstUserMessage ?? '',
    sourceKind: sourceKindOf(thread.source),
  };
}

/**
 * Options of {@link listThreads}.
 *
 * @example
 * ```ts
 * const options: ListThreadsOptions = { home, store, pageSize: 25, sortKey: 'updated', cwds: ['/repo'] };
 * const page = await listThreads(options);
 * ```
 */
export interface ListThreadsOptions {
  home: string;
  /** The store; without one (or while it cannot answer) the rollouts are listed directly. */
  store?: AgentStateStore | null | undefined;
  pageSize: number;
  /** From the previous page's `nextCursor` (`<RFC 3339>|<uuid>`, or the older file-name form). */
  cursor?: string | null | undefined;
  /** Default `created`. */
  sortKey?: ThreadSortKey | undefined;
  archived?: boolean | undefined;
  /**
   * Only threads of these source kinds, Codex's `sourceKinds` (`cli`, `vscode`, `exec`,
   * `appServer`, `subAgent` for every sub-agent, `subAgentReview`, `subAgentCompact`,
   * `subAgentThreadSpawn`, `subAgentOther`, `unknown`; lower-case and kebab spellings too); empty
   * or absent: all. The same kinds from the store and from the rollouts. An unknown kind throws
   * `InvalidArgumentError`.
   */
  sources?: readonly string[] | undefined;
  modelProviders?: readonly string[] | undefined;
  cwds?: readonly string[] | undefined;
  /** Provider of rollouts that name none (default `openai`). */
  defaultProvider?: string | undefined;
  /** Attach user-set names from `session_index.jsonl` (default true). */
  names?: boolean | undefined;
  /**
   * On a first page, check the newest rollouts against the store (one `stat` each) and index any
   * the store does not know yet or has stale (default true). This is how threads written by
   * another program since the backfill show up without a full scan.
   */
  freshness?: boolean | undefined;
  /**
   * Repair the store while listing (default true): index the newest rollouts it lacks (see
   * `freshness`), re-read rows whose rollout path is outside this home, delete rows whose rollout
   * is gone and count each as a discrepancy. `false` writes nothing (a read-only store, the web
   * UI): such rows are only left out of the page.
   */
  repair?: boolean | undefined;
  /**
   * The store is shared by many homes (a PostgreSQL store opened across homes): the page is its
   * rows as they are, whatever the backfill of this home; no rollout is read (they are on other
   * machines) and nothing is repaired (default false). A store error is thrown, not answered
   * from this home's files.
   */
  shared?: boolean | undefined;
  logger?: Logger | undefined;
}

/**
 * One page of {@link listThreads}.
 *
 * @example
 * ```ts
 * const page: ThreadListPage = await listThreads({ home, store, pageSize: 25 });
 * if (page.source === 'files') console.warn(`listed from files: ${page.fallbackReason}`);
 * ```
 */
export interface ThreadListPage {
  items: ListedThread[];
  /** Cursor of the next page, `null` on the last one. */
  nextCursor: string | null;
  /** Where the page came from. */
  source: 'store' | 'files';
  /** Why the rollouts were listed directly (`no-store`, `backfill-incomplete`, `store-error`). */
  fallbackReason?: string | undefined;
  /** Stale rows dropped from this page (their rollout is gone; deleted unless `repair` is false). */
  droppedStale: number;
  /** Rollouts indexed or repaired by the freshness check. */
  repaired: number;
}

const STAGE = 'list_threads_db';

/**
 * Lists threads newest first, from the store when it can answer (its backfill is complete),
 * otherwise from the rollouts themselves, with the same cursors either way. A store row whose
 * rollout is gone is dropped from the page, deleted and counted as a discrepancy; on a first page
 * the newest rollouts are checked against the store and indexed when it does not know them yet.
 * Threads without a first user message are not listed (as in Codex).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * let cursor: string | null = null;
 * do {
 *   const page = await listThreads({ home, store, pageSize: 25, cursor });
 *   for (const t of page.items) console.log(t.id, t.name ?? t.preview);
 *   cursor = page.nextCursor;
 * } while (cursor);
 * ```
 */
export async function listThreads(options: ListThreadsOptions): Promise<ThreadListPage> {
  const logger = (options.logger ?? options.store?.logger ?? noopLogger).child({
    target: 'agent_state::list_threads',
  });
  const defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
  parseSourceKinds(options.sources); // a bad kind fails the same way on either path
  const anchor = options.cursor ? parseThreadCursor(options.cursor) : null;
  const names = options.names === false ? undefined : await readThreadNames({ home: options.home });
  const nameOf = (id: string) => names?.get(id) ?? null;

  const listFiles = async (fallbackReason: string): Promise<ThreadListPage> => {
    const page = await listThreadFiles({
      home: options.home,
      pageSize: options.pageSize,
      cursor: options.cursor,
      sortKey: options.sortKey ?? 'created',
      archived: options.archived,
      sources: options.sources,
      modelProviders: options.modelProviders,
      cwds: options.cwds,
      defaultProvider,
    });
    return {
      items: page.items.map((item) =>
        fromFileItem(item, options.archived ?? false, nameOf(item.id)),
      ),
      nextCursor: page.nextCursor,
      source: 'files',
      fallbackReason,
      droppedStale: 0,
      repaired: 0,
    };
  };

  if (options.shared && options.store) {
    const page = await options.store.threads.list(storePageOptions(options, anchor));
    return {
      items: page.items.map((thread) => toListedThread(thread, nameOf(thread.id))),
      nextCursor: page.nextAnchor ? formatThreadCursor(page.nextAnchor) : null,
      source: 'store',
      droppedStale: 0,
      repaired: 0,
    };
  }
  const fallbackReason = await storeUnavailable(options.store);
  if (fallbackReason !== undefined || !options.store) {
    return listFiles(fallbackReason ?? 'no-store');
  }
  try {
    return await listFromStore(options.store, options, { anchor, defaultProvider, nameOf, logger });
  } catch (error) {
    // A store that breaks while answering (damaged pages, a disk error) still leaves the rollouts.
    if (errorCategory(error) !== 'store') throw error;
    logger.warn('the store failed while listing; listing the rollouts directly', {
      error: toAgentStateError(error).message,
    });
    return listFiles('store-error');
  }
}

/** What a listing asks of `store.threads.list`. */
function storePageOptions(
  options: ListThreadsOptions,
  anchor: ThreadAnchor | null,
): ThreadsPageOptions {
  return {
    pageSize: options.pageSize,
    anchor,
    sortKey: options.sortKey,
    archived: options.archived,
    sources: options.sources,
    modelProviders: options.modelProviders,
    cwds: options.cwds,
  };
}

/** The store's answer, with the freshness check and the read repair of stale or moved rows. */
async function listFromStore(
  store: AgentStateStore,
  options: ListThreadsOptions,
  context: {
    anchor: ThreadAnchor | null;
    defaultProvider: string;
    nameOf: (id: string) => string | null;
    logger: Logger;
  },
): Promise<ThreadListPage> {
  const { anchor, defaultProvider, nameOf, logger } = context;
  const query = () => store.threads.list(storePageOptions(options, anchor));
  let page = await query();
  let repaired = 0;
  let seenMtimes = new Map<string, number>();
  const repair = options.repair ?? true;
  if (!anchor && repair && options.freshness !== false) {
    const fresh = await refreshNewest(store, options, page.items, defaultProvider, logger);
    repaired = fresh.repaired;
    seenMtimes = fresh.mtimes;
    if (repaired > 0) page = await query();
  }
  const items: ListedThread[] = [];
  let droppedStale = 0;
  const inHome = homeRolloutsMatcher(options.home);
  for (const listed of page.items) {
    let thread = listed;
    if (repair && !inHome(thread.rolloutPath)) {
      // A row of another home (this one was copied with its database): its rollout, if this
      // home has one, is re-read from here.
      const moved = await reindexFromHome(store, options, thread, defaultProvider);
      if (moved) {
        repaired += 1;
        thread = moved;
      }
    }
    let present =
      seenMtimes.has(thread.rolloutPath) ||
      (inHome(thread.rolloutPath) && fileExists(thread.rolloutPath));
    if (!present && inHome(thread.rolloutPath)) {
      // Compressed since it was indexed (by Codex or `gc`), or materialized back: the same
      // rollout under its other name.
      const twin = rolloutTwinPath(thread.rolloutPath);
      if (fileExists(twin)) {
        if (repair)
          await store.threads.renameRollout(thread.id, { from: thread.rolloutPath, to: twin });
        thread = { ...thread, rolloutPath: twin };
        present = true;
      }
    }
    if (!present) {
      droppedStale += 1;
      if (!repair) continue;
      logger.warn('store listed a thread whose rollout is gone; row deleted', {
        threadId: thread.id,
        path: thread.rolloutPath,
      });
      await store.threads.delete(thread.id);
      await store.discrepancies.record({
        stage: STAGE,
        reason: 'stale_db_path_dropped',
        threadId: thread.id,
        path: thread.rolloutPath,
      });
      continue;
    }
    items.push(toListedThread(thread, nameOf(thread.id)));
  }
  return {
    items,
    nextCursor: page.nextAnchor ? formatThreadCursor(page.nextAnchor) : null,
    source: 'store',
    droppedStale,
    repaired,
  };
}

/**
 * The row of a thread whose stored path is outside this home, re-read from this home's rollout
 * of the same id (in the folder the listing asks for) and stored; `undefined` when this home has
 * none.
 */
async function reindexFromHome(
  store: AgentStateStore,
  options: ListThreadsOptions,
  thread: ThreadMetadata,
  defaultProvider: string,
): Promise<ThreadMetadata | undefined> {
  let path: string | undefined;
  try {
    path = await findRolloutFileById({
      home: options.home,
      id: thread.id,
      archived: options.archived ?? false,
    });
  } catch (error) {
    // A folder that cannot be listed: the row is left as it is, the listing goes on.
    if (toAgentStateError(error).code === ErrorCode.RolloutUnreadable) return undefined;
    throw error;
  }
  if (path === undefined) return undefined;
  try {
    const { indexed } = await indexRollouts({ store, rollouts: [path], defaultProvider });
    const metadata = indexed[0]?.metadata;
    if (!metadata) return undefined;
    await store.discrepancies.record({
      stage: STAGE,
      reason: 'db_path_outside_home_repaired',
      threadId: thread.id,
      path,
    });
    return metadata;
  } catch (error) {
    if (errorCategory(error) === 'store') throw error;
    return undefined;
  }
}

/** Why the store cannot answer a listing, or `undefined` when it can. */
async function storeUnavailable(
  store: AgentStateStore | null | undefined,
): Promise<string | undefined> {
  if (!store) return 'no-store';
  try {
    const state = await store.backfill.get();
    return state.status === 'complete' ? undefined : 'backfill-incomplete';
  } catch {
    return 'store-error';
  }
}

/**
 * Indexes the newest rollouts (by file name) that the store does not know, or knows with another
 * path or mtime. The page just read answers for most of them; only the others cost a query.
 * Returns how many were indexed and the mtimes it saw (by path), so callers need not stat again.
 */
async function refreshNewest(
  store: AgentStateStore,
  options: ListThreadsOptions,
  page: readonly ThreadMetadata[],
  defaultProvider: string,
  logger: Logger,
): Promise<{ repaired: number; mtimes: Map<string, number> }> {
  const archived = options.archived ?? false;
  const mtimes = new Map<string, number>();
  const candidates = await newestRollouts(options.home, archived, Math.max(options.pageSize, 25));
  for (const file of candidates) mtimes.set(file.path, file.mtime);
  const verified = verifiedFor(store);
  const known = new Map(page.map((t) => [t.id, t]));
  const unknown = candidates.filter((f) => !known.has(f.id) && verified.get(f.path) !== f.mtime);
  if (unknown.length > 0) {
    for (const row of await store.threads.getMany(unknown.map((f) => f.id))) known.set(row.id, row);
  }
  let repaired = 0;
  for (const file of candidates) {
    if (verified.get(file.path) === file.mtime) continue;
    const row = known.get(file.id);
    if (row && row.rolloutPath === file.path && row.updatedAt === file.mtime) {
      remember(verified, file.path, file.mtime);
      continue;
    }
    try {
      const { indexed, failed } = await indexRollouts({
        store,
        rollouts: [{ path: file.path, archived }],
        defaultProvider,
        adjust: (_, entry) => ({ ...entry, metadata: keepArchiveTime(row, entry.metadata) }),
      });
      if (failed[0]) throw failed[0].error;
      if (indexed.length === 0) continue;
      remember(verified, file.path, file.mtime);
      await store.discrepancies.record({
        stage: 'read_repair_rollout_path',
        reason: row ? 'upsert_needed' : 'missing_row',
        threadId: file.id,
        path: file.path,
      });
      repaired += 1;
    } catch (error) {
      logger.debug('cannot index a new rollout during listing', {
        path: file.path,
        error: String(error),
      });
    }
  }
  return { repaired, mtimes };
}

/**
 * Rollouts already found equal to the store, by path, with the mtime they had: a listing need not
 * query the store for them again until they change. Per store, bounded.
 */
const verifiedByStore = new WeakMap<AgentStateStore, Map<string, number>>();
const MAX_VERIFIED = 4096;

function verifiedFor(store: AgentStateStore): Map<string, number> {
  let verified = verifiedByStore.get(store);
  if (!verified) {
    verified = new Map();
    verifiedByStore.set(store, verified);
  }
  return verified;
}

function remember(verified: Map<string, number>, path: string, mtime: number): void {
  if (verified.size >= MAX_VERIFIED) verified.clear();
  verified.set(path, mtime);
}

/**
 * The `limit` newest rollouts by file-name order, walking only the newest date folders (the
 * rollout walker's layout, as the file listing). Regular files only: a symbolic link may lead out
 * of the home, and Codex does not collect links either. Folders that cannot be read hold nothing.
 */
async function newestRollouts(
  home: string,
  archived: boolean,
  limit: number,
): Promise<Array<{ path: string; id: string; mtime: number }>> {
  // The newest `limit` names first (the walk yields them newest first), then one lstat each: it
  // gives the mtime and makes sure each is still a regular file, not a link. Synchronous: a few
  // dozen lstat calls of cached inodes cost less than as many round trips to libuv's threads.
  const newest: Array<{ path: string; id: string }> = [];
  for await (const folder of walkRolloutFolders({
    home,
    archived,
    keepGoing: () => newest.length < limit,
    onUnreadable: () => undefined,
  })) {
    for (const file of folder) {
      if (newest.length >= limit) break;
      if (file.parsed) newest.push({ path: file.path, id: file.parsed.id });
    }
  }
  return newest.flatMap(({ path, id }) => {
    try {
      const stats = lstatSync(path);
      return stats.isFile() ? [{ path, id, mtime: Math.floor(stats.mtimeMs / 1000) }] : [];
    } catch {
      return []; // Gone since the folder was read.
    }
  });
}

function fromFileItem(item: ThreadFileItem, archived: boolean, name: string | null): ListedThread {
  return {
    id: item.id,
    rolloutPath: item.path,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    source: item.source,
    modelProvider: item.modelProvider,
    cwd: item.cwd,
    cliVersion: item.cliVersion,
    title: item.firstUserMessage ?? '',
    sandboxPolicy: DEFAULT_SANDBOX_POLICY,
    approvalMode: DEFAULT_APPROVAL_MODE,
    tokensUsed: 0,
    firstUserMessage: item.firstUserMessage,
    archivedAt: archived ? item.updatedAt : null,
    gitSha: item.gitSha,
    gitBranch: item.gitBranch,
    gitOriginUrl: item.gitOriginUrl,
    threadSource: item.threadSource,
    agentNickname: item.agentNickname,
    agentRole: item.agentRole,
    parentThreadId: item.parentThreadId,
    forkedFromId: item.forkedFromId,
    name,
    preview: item.preview,
    sourceKind: sourceKindOf(item.source),
  };
}
