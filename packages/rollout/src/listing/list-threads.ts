import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import {
  DEFAULT_APPROVAL_MODE,
  DEFAULT_SANDBOX_POLICY,
  type Logger,
  type StateStore,
  type ThreadMetadata,
  type ThreadSortKey,
  noopLogger,
} from '@agent-state/state';

import { readThreadNames } from '../archive/session-index.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  SESSIONS_SUBDIR,
  parseRolloutFileName,
} from '../paths/rollout-paths.js';
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
  store?: StateStore | null | undefined;
  pageSize: number;
  /** From the previous page's `nextCursor` (`<RFC 3339>|<uuid>`, or the older file-name form). */
  cursor?: string | null | undefined;
  /** Default `created`. */
  sortKey?: ThreadSortKey | undefined;
  archived?: boolean | undefined;
  /** Sources as stored (`cli`, `vscode`, `exec`, …); empty or absent: all. */
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
  /** Stale rows dropped from this page (their rollout is gone; the rows were deleted). */
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
  const anchor = options.cursor ? parseThreadCursor(options.cursor) : null;
  const names = options.names === false ? undefined : await readThreadNames({ home: options.home });
  const nameOf = (id: string) => names?.get(id) ?? null;

  const fallbackReason = await storeUnavailable(options.store);
  if (fallbackReason !== undefined || !options.store) {
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
      fallbackReason: fallbackReason ?? 'no-store',
      droppedStale: 0,
      repaired: 0,
    };
  }

  const store = options.store;
  let repaired = 0;
  if (!anchor && options.freshness !== false) {
    repaired = await refreshNewest(store, options, defaultProvider, logger);
  }
  const page = await store.threads.list({
    pageSize: options.pageSize,
    anchor,
    sortKey: options.sortKey,
    archived: options.archived,
    sources: options.sources,
    modelProviders: options.modelProviders,
    cwds: options.cwds,
  });
  const items: ListedThread[] = [];
  let droppedStale = 0;
  for (const thread of page.items) {
    if (!fileExists(thread.rolloutPath)) {
      droppedStale += 1;
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
    items.push({ ...thread, name: nameOf(thread.id), preview: thread.firstUserMessage ?? '' });
  }
  return {
    items,
    nextCursor: page.nextAnchor ? formatThreadCursor(page.nextAnchor) : null,
    source: 'store',
    droppedStale,
    repaired,
  };
}

/** Why the store cannot answer a listing, or `undefined` when it can. */
async function storeUnavailable(store: StateStore | null | undefined): Promise<string | undefined> {
  if (!store) return 'no-store';
  try {
    const state = await store.backfill.get();
    return state.status === 'complete' ? undefined : 'backfill-incomplete';
  } catch {
    return 'store-error';
  }
}

/**
 * Indexes the newest rollouts (by file name) that the store does not know or knows with another
 * path or mtime. Costs a few directory reads, one `stat` per file and one query.
 */
async function refreshNewest(
  store: StateStore,
  options: ListThreadsOptions,
  defaultProvider: string,
  logger: Logger,
): Promise<number> {
  const archived = options.archived ?? false;
  const newest = newestRollouts(options.home, archived, Math.max(options.pageSize, 25));
  if (newest.length === 0) return 0;
  const known = new Map(
    (await store.threads.getMany(newest.map((f) => f.id))).map((t) => [t.id, t]),
  );
  let repaired = 0;
  for (const file of newest) {
    let mtime: number;
    try {
      mtime = Math.floor(statSync(file.path).mtimeMs / 1000);
    } catch {
      continue;
    }
    const row = known.get(file.id);
    if (row && row.rolloutPath === file.path && row.updatedAt === mtime) continue;
    try {
      const { metadata, dynamicTools } = extractRolloutMetadata(file.path, {
        defaultProvider,
        archived,
      });
      // Keep a live archive time the store already has (the file's mtime is only a fallback).
      if (
        row?.archivedAt !== null &&
        row?.archivedAt !== undefined &&
        metadata.archivedAt !== null
      ) {
        metadata.archivedAt = row.archivedAt;
      }
      await store.threads.upsert(metadata);
      if (dynamicTools) await store.dynamicTools.persist(metadata.id, dynamicTools);
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
  return repaired;
}

/** The `limit` newest rollouts by file-name order, walking only the newest date folders. */
function newestRollouts(
  home: string,
  archived: boolean,
  limit: number,
): Array<{ path: string; id: string }> {
  const found: Array<{ path: string; id: string; key: string }> = [];
  const addFiles = (dir: string) => {
    const files = entries(dir)
      .filter((e) => !e.isDirectory())
      .map((e) => ({ name: e.name, parsed: parseRolloutFileName(e.name) }))
      .filter((f) => f.parsed !== undefined)
      .map((f) => ({
        path: join(dir, f.name),
        id: f.parsed!.id,
        key: `${f.parsed!.timestamp}|${f.parsed!.id}`,
      }))
      .sort((a, b) => (a.key < b.key ? 1 : -1));
    found.push(...files.slice(0, limit - found.length));
  };
  if (archived) {
    addFiles(join(home, ARCHIVED_SESSIONS_SUBDIR));
    return found;
  }
  const numericDirs = (dir: string) =>
    entries(dir)
      .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => Number(b) - Number(a));
  const root = join(home, SESSIONS_SUBDIR);
  for (const year of numericDirs(root)) {
    for (const month of numericDirs(join(root, year))) {
      for (const day of numericDirs(join(root, year, month))) {
        addFiles(join(root, year, month, day));
        if (found.length >= limit) return found;
      }
    }
  }
  return found;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
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
    name,
    preview: item.preview,
  };
}
