import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import {
  InvalidArgumentError,
  type ThreadAnchor,
  type ThreadSortKey,
  parseSourceKinds,
  sourceMatchesKinds,
} from '@agent-state/state';

import { parseRolloutTimestamp } from '../extract/timestamps.js';
import { ARCHIVED_SESSIONS_SUBDIR, SESSIONS_SUBDIR } from '../paths/rollout-paths.js';
import {
  type UnreadableFolder,
  type WalkedRollout,
  walkRollouts,
} from '../paths/rollout-walker.js';
import { type HeadSummary, readHeadSummary } from './head-summary.js';
import { formatThreadCursor, parseThreadCursor } from './thread-cursor.js';

/**
 * Most rollout files one {@link listThreadFiles} call looks at (Codex's `MAX_SCAN_FILES`).
 *
 * @example
 * ```ts
 * const page = await listThreadFiles({ home, pageSize: 25, sortKey: 'created', defaultProvider: 'openai' });
 * if (page.reachedScanCap) console.warn(`stopped after ${DEFAULT_MAX_SCAN_FILES} files`);
 * ```
 */
export const DEFAULT_MAX_SCAN_FILES = 10_000;

/**
 * Options of {@link listThreadFiles}.
 *
 * @example
 * ```ts
 * const options: ListThreadFilesOptions = {
 *   home: '/home/me/.codex',
 *   pageSize: 25,
 *   sortKey: 'updated',
 *   sources: ['cli', 'vscode'],
 *   defaultProvider: 'openai',
 * };
 * ```
 */
export interface ListThreadFilesOptions {
  /** The Codex home (`CODEX_HOME`) holding `sessions/` and `archived_sessions/`. */
  home: string;
  /** Items per page, a positive integer. */
  pageSize: number;
  /**
   * Continue after this cursor (the previous page's `nextCursor`, or a cursor of a state-store
   * page: both are `<RFC3339>|<uuid>`). Throws {@link InvalidArgumentError} when malformed.
   */
  cursor?: string | null | undefined;
  /** `created`: by the time in the file name; `updated`: by the file's mtime (seconds). */
  sortKey: ThreadSortKey;
  /** List `archived_sessions/` (flat) instead of `sessions/` (nested by date). Default false. */
  archived?: boolean | undefined;
  /**
   * Only threads of these source kinds (Codex's `sourceKinds`: `exec`, `subAgent` for every
   * sub-agent, `subAgentThreadSpawn`, …; any spelling `parseSourceKind` reads); empty or absent:
   * all. An unknown kind throws {@link InvalidArgumentError}.
   */
  sources?: readonly string[] | undefined;
  /**
   * Only threads of these model providers (empty or absent: all); a thread whose rollout names no
   * provider counts as `defaultProvider`.
   */
  modelProviders?: readonly string[] | undefined;
  /** The provider of threads whose rollout names none (Codex: the configured provider). */
  defaultProvider: string;
  /** Most files looked at, default {@link DEFAULT_MAX_SCAN_FILES}. */
  maxScanFiles?: number | undefined;
  /** Only threads whose cwd is exactly one of these (empty or absent: all). */
  cwds?: readonly string[] | undefined;
}

/**
 * One thread found by {@link listThreadFiles}: what the head of its rollout says, as Codex's file
 * listing reports it.
 *
 * @example
 * ```ts
 * for (const item of page.items) console.log(item.id, item.updatedAt, item.preview || '(no text)');
 * ```
 */
export interface ThreadFileItem {
  /** Absolute path of the rollout. */
  path: string;
  /** Thread id from the rollout's first `session_meta` (lowercase). */
  id: string;
  /**
   * First user message with text (after the `## My request for Codex:` marker, trimmed); `null`
   * when the user messages in the head are blank or images only.
   */
  firstUserMessage: string | null;
  /**
   * What Codex's file listing shows as the preview: `firstUserMessage`, or `""` when it is `null`
   * (so an image-only or blank first message shows `""` here, while the state store keeps
   * `[Image]` and `""`).
   */
  preview: string;
  cwd: string;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  /** Source as the DB column stores it (`exec`, `vscode`, `{"subagent":"review"}`, …). */
  source: string;
  /** `thread_source` of the `session_meta` (Codex 0.169), or `null`. */
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  /** The thread that spawned this sub-agent thread, or `null`. */
  parentThreadId: string | null;
  /** The thread this one was forked from, or `null`. */
  forkedFromId: string | null;
  /** Provider named by the rollout, else the `defaultProvider` option. */
  modelProvider: string;
  /** CLI version from the `session_meta` (`""` when absent). */
  cliVersion: string;
  /** The `session_meta` timestamp as written (RFC 3339 with milliseconds). */
  createdAtRaw: string;
  /** `createdAtRaw` in unix seconds (the file-name time if it cannot be parsed). */
  createdAt: number;
  /** The file's mtime in unix seconds (`createdAt` when it cannot be read). */
  updatedAt: number;
}

/**
 * One page of {@link listThreadFiles}.
 *
 * @example
 * ```ts
 * let cursor: string | null = null;
 * do {
 *   const page: ThreadFilesPage = await listThreadFiles({ home, pageSize: 50, cursor, sortKey: 'created', defaultProvider: 'openai' });
 *   render(page.items);
 *   cursor = page.nextCursor;
 * } while (cursor);
 * ```
 */
export interface ThreadFilesPage {
  items: ThreadFileItem[];
  /** Cursor of the next page; `null` when nothing more was found. */
  nextCursor: string | null;
  /** `nextCursor` as an anchor (`store.threads.list({ anchor })` takes it too). */
  nextAnchor: ThreadAnchor | null;
  /** Rollout files looked at (by name), including the one that showed the page was full. */
  numScannedFiles: number;
  /** The scan stopped at `maxScanFiles`: older threads may exist beyond it. */
  reachedScanCap: boolean;
}

/** A rollout file by its name, before its head is read. */
interface Candidate {
  path: string;
  /** File-name time, unix seconds. */
  createdAt: number;
  /** File-name id, lowercase. */
  id: string;
  /** mtime, whole unix seconds (only where the traversal needs it up front). */
  mtime?: number | undefined;
}

interface Scan {
  readonly max: number;
  scanned: number;
}

/** The folder listed and the count of files looked at. */
interface Tree {
  readonly home: string;
  /** `<home>/sessions` or `<home>/archived_sessions`. */
  readonly root: string;
  readonly scan: Scan;
}

/**
 * Lists threads by walking rollout files, as Codex does while its state DB is missing or not yet
 * backfilled (`get_threads` / `get_threads_in_root`), newest first in `(time, id)` order:
 * - `sessions/YYYY/MM/DD/` (numeric folders, newest first) or, with `archived`, the flat
 *   `archived_sessions/`; only `rollout-<time>-<uuid>.jsonl` files (and `.jsonl.zst`, read
 *   through their decompression; a thread under both names is its plain file) with a parsable
 *   name count;
 * - `sortKey: 'created'` orders by the time in the file name; `'updated'` reads every candidate's
 *   mtime first and orders by it (seconds);
 * - a thread is listed when its head (see {@link readHeadSummary}) has a `session_meta` and a user
 *   message, and it passes the `sources` (source kinds), `modelProviders` and `cwds` filters;
 * - a cursor skips everything up to and including its anchor; `nextCursor` is set only when more
 *   threads may follow (the page is full and another file was seen, or the scan hit
 *   `maxScanFiles`).
 *
 * The files are found by the package's one rollout walker (`walkRollouts`: regular files only, no
 * symbolic link followed; with `archived` and a cap smaller than the folder, the newest names are
 * the ones looked at). A missing folder gives an empty page. A file or folder that cannot be read
 * is skipped; the page never fails for it. Throws {@link InvalidArgumentError} for a bad cursor,
 * page size or scan limit, and `RolloutFileError` (`ROLLOUT_UNREADABLE`) when the folder itself
 * cannot be listed.
 *
 * @example
 * ```ts
 * const page = await listThreadFiles({
 *   home: '/home/me/.codex',
 *   pageSize: 25,
 *   sortKey: 'created',
 *   defaultProvider: 'openai',
 * });
 * for (const item of page.items) console.log(item.createdAt, item.preview);
 * if (page.nextCursor) {
 *   const next = await listThreadFiles({ home: '/home/me/.codex', pageSize: 25, sortKey: 'created', defaultProvider: 'openai', cursor: page.nextCursor });
 * }
 * ```
 */
export async function listThreadFiles(options: ListThreadFilesOptions): Promise<ThreadFilesPage> {
  const pageSize = positiveInteger(options.pageSize, 'pageSize');
  const scan: Scan = {
    max: positiveInteger(options.maxScanFiles ?? DEFAULT_MAX_SCAN_FILES, 'maxScanFiles'),
    scanned: 0,
  };
  if (options.sortKey !== 'created' && options.sortKey !== 'updated') {
    throw new InvalidArgumentError(
      'sortKey',
      `expected "created" or "updated", got ${JSON.stringify(options.sortKey)}`,
    );
  }
  parseSourceKinds(options.sources); // a bad kind is an error even where no file is found
  const anchor =
    options.cursor === undefined || options.cursor === null
      ? null
      : parseThreadCursor(options.cursor);
  const archived = options.archived ?? false;
  const tree: Tree = {
    home: options.home,
    root: join(options.home, archived ? ARCHIVED_SESSIONS_SUBDIR : SESSIONS_SUBDIR),
    scan,
  };

  const page: PageBuilder = {
    items: [],
    more: false,
    last: null,
    pageSize,
    skip: anchorSkipper(anchor),
    build: itemBuilder(options),
  };

  if (!archived && options.sortKey === 'created') {
    await walkNestedByCreated(tree, page);
  } else {
    const candidates = archived ? await collectFlat(tree) : await collectNested(tree);
    const byUpdated = options.sortKey === 'updated';
    if (byUpdated) await fillMtimes(candidates);
    const key = (c: Candidate) => (byUpdated ? (c.mtime ?? 0) : c.createdAt);
    candidates.sort((a, b) => key(b) - key(a) || compareIdsDesc(a.id, b.id));
    for (const candidate of candidates) {
      if (page.skip(key(candidate), candidate.id)) continue;
      if (page.items.length === pageSize) {
        page.more = true;
        break;
      }
      const mtime = byUpdated ? candidate.mtime : await mtimeSeconds(candidate.path);
      await tryPush(page, candidate, key(candidate), mtime);
    }
  }

  const reachedScanCap = scan.scanned >= scan.max;
  if (reachedScanCap && page.items.length > 0) page.more = true;
  const nextAnchor = page.more ? page.last : null;
  return {
    items: page.items,
    nextCursor: nextAnchor ? formatThreadCursor(nextAnchor) : null,
    nextAnchor,
    numScannedFiles: scan.scanned,
    reachedScanCap,
  };
}

interface PageBuilder {
  items: ThreadFileItem[];
  more: boolean;
  /** Anchor of the last item pushed (its sort value and file-name id). */
  last: ThreadAnchor | null;
  readonly pageSize: number;
  readonly skip: (ts: number, id: string) => boolean;
  readonly build: (
    candidate: Candidate,
    mtime: number | undefined,
  ) => Promise<ThreadFileItem | undefined>;
}

async function tryPush(
  page: PageBuilder,
  candidate: Candidate,
  sortValue: number,
  mtime: number | undefined,
): Promise<void> {
  const item = await page.build(candidate, mtime);
  if (!item) return;
  page.items.push(item);
  page.last = { ts: sortValue, id: candidate.id };
}

/**
 * `sessions/` by creation time: visits files newest first and stops as soon as the page is full
 * and one more file was seen (that file counts as scanned), or at the scan cap.
 */
async function walkNestedByCreated(tree: Tree, page: PageBuilder): Promise<void> {
  const { scan } = tree;
  for await (const candidate of nestedRolloutFiles(tree)) {
    if (scan.scanned >= scan.max && page.items.length >= page.pageSize) {
      page.more = true;
      return;
    }
    if (page.skip(candidate.createdAt, candidate.id)) continue;
    if (page.items.length === page.pageSize) {
      page.more = true;
      return;
    }
    await tryPush(page, candidate, candidate.createdAt, await mtimeSeconds(candidate.path));
  }
}

async function collectNested(tree: Tree): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  for await (const candidate of nestedRolloutFiles(tree)) candidates.push(candidate);
  return candidates;
}

/**
 * The rollout files of `sessions/YYYY/MM/DD/` in the walker's order (newest folder first and,
 * within a day, by `(file-name time, id)` descending). Counts each file in `scan.scanned` before
 * yielding it and ends once the count passes the cap; no folder is listed once it is reached.
 */
async function* nestedRolloutFiles(tree: Tree): AsyncGenerator<Candidate> {
  const { scan } = tree;
  for await (const file of walk(tree, false, () => scan.scanned < scan.max)) {
    const candidate = toCandidate(file);
    if (!candidate) continue;
    scan.scanned += 1;
    if (scan.scanned > scan.max) return;
    yield candidate;
  }
}

/** The rollout files of the flat `archived_sessions/`, newest first, up to the cap. */
async function collectFlat(tree: Tree): Promise<Candidate[]> {
  const { scan } = tree;
  const candidates: Candidate[] = [];
  for await (const file of walk(tree, true)) {
    if (scan.scanned >= scan.max) break;
    const candidate = toCandidate(file);
    if (!candidate) continue;
    scan.scanned += 1;
    candidates.push(candidate);
  }
  return candidates;
}

/**
 * The walk of one tree in Codex's layout. A sub-folder that cannot be listed is skipped; the root
 * itself is reported (`RolloutFileError`, `ROLLOUT_UNREADABLE`).
 */
function walk(
  tree: Tree,
  archived: boolean,
  keepGoing?: () => boolean,
): AsyncGenerator<WalkedRollout, void, undefined> {
  return walkRollouts({
    home: tree.home,
    archived,
    keepGoing,
    onUnreadable: (folder: UnreadableFolder) => {
      if (folder.path === tree.root) throw folder.error;
    },
  });
}

/** A rollout whose name parses, as a candidate; `undefined` for any other name. */
function toCandidate(file: WalkedRollout): Candidate | undefined {
  return file.parsed
    ? { path: file.path, createdAt: file.parsed.createdAt, id: file.parsed.id }
    : undefined;
}

/** Unix seconds of 0000-01-01 and 9999-12-31T23:59:59Z: the times a cursor can carry. */
const MIN_CURSOR_SECONDS = -62_167_219_200;
const MAX_CURSOR_SECONDS = 253_402_300_799;

/** A file's mtime in whole seconds; `undefined` when unavailable or outside a cursor's range. */
async function mtimeSeconds(path: string): Promise<number | undefined> {
  let seconds: number;
  try {
    seconds = Math.floor((await stat(path)).mtimeMs / 1000);
  } catch {
    return undefined;
  }
  return seconds >= MIN_CURSOR_SECONDS && seconds <= MAX_CURSOR_SECONDS ? seconds : undefined;
}

const STAT_CONCURRENCY = 32;

async function fillMtimes(candidates: Candidate[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const candidate = candidates[next++]!;
      candidate.mtime = await mtimeSeconds(candidate.path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, candidates.length) }, worker));
}

/** Codex's `AnchorState`: skips items until the first one strictly after the anchor. */
function anchorSkipper(anchor: ThreadAnchor | null): (ts: number, id: string) => boolean {
  let passed = anchor === null;
  return (ts, id) => {
    if (passed || anchor === null) return false;
    if (ts < anchor.ts || (ts === anchor.ts && id < anchor.id)) {
      passed = true;
      return false;
    }
    return true;
  };
}

/** Reads a candidate's head and applies the filters; `undefined` when it is not listed. */
function itemBuilder(
  options: ListThreadFilesOptions,
): (candidate: Candidate, mtime: number | undefined) => Promise<ThreadFileItem | undefined> {
  const kinds = parseSourceKinds(options.sources);
  const providers = nonEmptySet(options.modelProviders);
  const cwds = nonEmptySet(options.cwds);
  const defaultProviderMatches = providers?.has(options.defaultProvider) ?? true;

  const passes = (summary: HeadSummary): boolean => {
    if (kinds.length > 0 && (summary.source === null || !sourceMatchesKinds(summary.source, kinds)))
      return false;
    if (providers) {
      const matches =
        summary.modelProvider === null
          ? defaultProviderMatches
          : providers.has(summary.modelProvider);
      if (!matches) return false;
    }
    if (!summary.sawSessionMeta || !summary.sawUserEvent) return false;
    return !cwds || (summary.cwd !== null && cwds.has(summary.cwd));
  };

  return async (candidate, mtime) => {
    let summary: HeadSummary;
    try {
      summary = await readHeadSummary(candidate.path);
    } catch {
      return undefined; // unreadable (vanished, no permission, a directory): not listed
    }
    if (!passes(summary) || summary.threadId === null || summary.cwd === null) return undefined;
    const createdAtRaw = summary.createdAt ?? '';
    const createdAt = parseRolloutTimestamp(createdAtRaw) ?? candidate.createdAt;
    return {
      path: candidate.path,
      id: summary.threadId,
      firstUserMessage: summary.firstUserMessage,
      preview: summary.firstUserMessage ?? '',
      cwd: summary.cwd,
      gitSha: summary.gitSha,
      gitBranch: summary.gitBranch,
      gitOriginUrl: summary.gitOriginUrl,
      source: summary.source ?? 'vscode',
      threadSource: summary.threadSource,
      agentNickname: summary.agentNickname,
      agentRole: summary.agentRole,
      parentThreadId: summary.parentThreadId,
      forkedFromId: summary.forkedFromId,
      modelProvider: summary.modelProvider || options.defaultProvider,
      cliVersion: summary.cliVersion ?? '',
      createdAtRaw,
      createdAt,
      updatedAt: mtime ?? createdAt,
    };
  };
}

function nonEmptySet(values: readonly string[] | undefined): Set<string> | undefined {
  return values && values.length > 0 ? new Set(values) : undefined;
}

/** `(id DESC)` comparator: lowercase hex UUIDs compare like their bytes. */
function compareIdsDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function positiveInteger(value: number, argument: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}
