import { type Dirent, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';

import { ErrorCode } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { describeErrno, isMissingError } from '../fs/errno.js';
import { MAX_MONTH_OR_DAY_FOLDER, MAX_YEAR_FOLDER, dateFolderNames } from './date-folders.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  type RolloutFileName,
  SESSIONS_SUBDIR,
  isRolloutFileName,
  parseRolloutFileName,
  withoutMaterializing,
} from './rollout-paths.js';

/**
 * A rollout file found by {@link walkRollouts}.
 *
 * @example
 * ```ts
 * for await (const file of walkRollouts({ home })) {
 *   if (file.parsed) console.log(file.parsed.id, file.archived, file.path);
 * }
 * ```
 */
export interface WalkedRollout {
  /** Absolute path (the home joined with the folders walked). */
  path: string;
  /** Base name: `rollout-….jsonl` or `rollout-….jsonl.zst`. */
  name: string;
  /** Found under `archived_sessions/`. */
  archived: boolean;
  /** What the name says (time and thread id); `undefined` for a name that does not parse. */
  parsed: RolloutFileName | undefined;
}

/**
 * A folder {@link walkRollouts} could not list.
 *
 * @example
 * ```ts
 * const problems: UnreadableFolder[] = [];
 * for await (const file of walkRollouts({ home, onUnreadable: (f) => problems.push(f) })) use(file);
 * for (const problem of problems) console.warn(problem.error.message);
 * ```
 */
export interface UnreadableFolder {
  /** The folder. */
  path: string;
  /** Why, without the path: `cannot list the folder: permission denied`. */
  message: string;
  /** The same as a `RolloutFileError` (`ROLLOUT_UNREADABLE`) naming the folder. */
  error: RolloutFileError;
}

/**
 * Options of {@link walkRollouts}.
 *
 * @example
 * ```ts
 * const options: WalkRolloutsOptions = { home, archived: false, depth: 'layout' };
 * ```
 */
export interface WalkRolloutsOptions {
  /** The Codex home holding `sessions/` and `archived_sessions/`. */
  home: string;
  /** `false`: `sessions/` only; `true`: `archived_sessions/` only; absent: both, `sessions/` first. */
  archived?: boolean | undefined;
  /**
   * Which folders are walked. `layout` (default): where Codex writes rollouts and where its
   * listing reads them, the date folders `sessions/YYYY/MM/DD/` (see `dateFolderNames`) and
   * `archived_sessions/` itself (flat); files elsewhere are not yielded. `any`: every real folder
   * below the root, at any depth, as Codex's backfill collects rollouts; its sub-folders are
   * listed ahead, in parallel (a layout walk lists a folder only when it reaches it).
   */
  depth?: 'layout' | 'any' | undefined;
  /**
   * Asked before each folder is listed (the roots included); `false` ends the walk there. What a
   * listing that has seen enough uses so as not to read one more folder.
   */
  keepGoing?: (() => boolean) | undefined;
  /**
   * Told about each folder that cannot be listed (no permission, vanished meanwhile, …); the walk
   * goes on without it. Without this callback the walk throws its `error` instead. Throwing from
   * the callback ends the walk with that error.
   */
  onUnreadable?: ((folder: UnreadableFolder) => void) | undefined;
  /** Told about each symbolic link named like a rollout, which is neither followed nor yielded. */
  onLink?: ((path: string) => void) | undefined;
}

/**
 * Walks the rollout trees of a home, lazily, newest first: the one way this package finds rollout
 * files (the file listing, the backfill and reconcile, find-by-id, the listing's freshness check).
 * The rules:
 * - **Files**: regular files named `rollout-*.jsonl` or `rollout-*.jsonl.zst` (compressed by
 *   Codex). A thread present under both names in one folder (Codex materializing it) is yielded
 *   once, as its plain file. A name that does not parse (`rollout-x.jsonl`) is yielded with
 *   `parsed: undefined`; callers that need the time or id skip it.
 * - **Symbolic links** inside the trees are never followed, as Codex does not: neither a link to
 *   a file (it is reported to `onLink` when named like a rollout) nor a link to a folder, so
 *   nothing outside the home is read and a link loop cannot trap the walk. The roots themselves
 *   (`<home>/sessions`, `<home>/archived_sessions`) are read as given, linked or not.
 * - **Folders**: see `depth`. A missing root (or one whose parent is a file) is an empty tree. Any
 *   other folder that cannot be listed goes to `onUnreadable`, or without it is thrown as a
 *   `RolloutFileError` (`ROLLOUT_UNREADABLE`) naming the folder.
 * - **Order**, newest first: in a folder, its files by (file-name time, thread id) descending,
 *   names that do not parse last (by name, descending); then its sub-folders, date folders by
 *   number and other folders by name, descending. `sessions/` before `archived_sessions/`.
 * - **Early stop**: folders are listed only as the walk reaches them (a `depth: 'any'` walk without
 *   `keepGoing` lists a folder's sub-folders together, when it reaches the folder). Stop consuming
 *   (`break`), or answer `false` to `keepGoing`, and no further folder is read.
 *
 * @example
 * ```ts
 * // The newest 10 active threads by file name, reading only as many day folders as needed.
 * const newest: WalkedRollout[] = [];
 * for await (const file of walkRollouts({ home, archived: false })) {
 *   if (file.parsed) newest.push(file);
 *   if (newest.length === 10) break;
 * }
 * ```
 */
export async function* walkRollouts(
  options: WalkRolloutsOptions,
): AsyncGenerator<WalkedRollout, void, undefined> {
  for await (const folder of walkRolloutFolders(options)) yield* folder;
}

/**
 * {@link walkRollouts} a folder at a time: the rollouts of each folder that holds any, newest
 * first, as one array, by the same rules and in the same order. For a caller that reads many
 * rollouts of a folder, such as the listing's freshness check, a step per folder costs less than a
 * step per file.
 *
 * @example
 * ```ts
 * for await (const rollouts of walkRolloutFolders({ home, archived: false })) {
 *   console.log(rollouts.length, 'in', dirname(rollouts[0]!.path));
 * }
 * ```
 */
export async function* walkRolloutFolders(
  options: WalkRolloutsOptions,
): AsyncGenerator<WalkedRollout[], void, undefined> {
  const trees = options.archived === undefined ? [false, true] : [options.archived];
  for (const archived of trees) {
    const root = join(options.home, archived ? ARCHIVED_SESSIONS_SUBDIR : SESSIONS_SUBDIR);
    const walk = new TreeWalk(options, archived, root);
    yield* walk.walk();
    if (walk.stopped) return;
  }
}

/** A folder that cannot be listed: `<folder>: cannot list the folder: <why>`, cause kept. */
function unreadableFolder(path: string, cause: unknown): UnreadableFolder {
  const message = `cannot list the folder: ${describeErrno(cause)}`;
  return {
    path,
    message,
    error: new RolloutFileError(ErrorCode.RolloutUnreadable, path, message, { cause }),
  };
}

/** Levels below `sessions/` of the folders that hold rollouts in Codex's layout (YYYY/MM/DD). */
const DAY_LEVEL = 3;

/** A folder's listing, or why it failed (settled, so that one started ahead never goes unhandled). */
type Listing = { entries: Dirent[] } | { error: unknown };

/** Starts listing `dir` on libuv's threads (for folders listed ahead, together). */
function readListing(dir: string): Promise<Listing> {
  return readdir(dir, { withFileTypes: true }).then(
    (entries) => ({ entries }),
    (error: unknown) => ({ error }),
  );
}

/**
 * Lists `dir` now. A folder the walk has reached and not listed ahead is listed synchronously:
 * one small system call, where a round trip through the thread pool costs more than the call.
 */
function readListingNow(dir: string): Listing {
  try {
    return { entries: readdirSync(dir, { withFileTypes: true }) };
  } catch (error) {
    return { error };
  }
}

/** One tree (`sessions/` or `archived_sessions/`) being walked. */
class TreeWalk {
  stopped = false;

  constructor(
    private readonly options: WalkRolloutsOptions,
    private readonly archived: boolean,
    private readonly root: string,
  ) {}

  /**
   * The rollouts of the tree, a folder at a time, depth first: a folder's own rollouts, then each
   * of its sub-folders whole, in order. One generator with a stack of the folders still to visit
   * (not one generator per folder), so each folder is yielded once rather than through every level
   * above it.
   */
  async *walk(): AsyncGenerator<WalkedRollout[], void, undefined> {
    const any = this.options.depth === 'any';
    // `listing`: the folder's listing, when its parent started it ahead.
    const pending: Array<{ dir: string; level: number; listing?: Promise<Listing> | undefined }> = [
      { dir: this.root, level: 0 },
    ];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const { dir, level, listing } = next;
      if (!(this.options.keepGoing?.() ?? true)) {
        this.stopped = true;
        return;
      }
      const entries = this.entries(dir, listing ? await listing : readListingNow(dir));
      if (entries === undefined) continue;
      if (any || level === (this.archived ? 0 : DAY_LEVEL)) {
        const files = this.files(dir, entries);
        if (files.length > 0) yield files;
      }
      const subfolders = this.subfolders(entries, level).map((name) => join(dir, name));
      // A walk of every folder (`depth: 'any'`, which collects a whole tree) lists the
      // sub-folders at once, in parallel on libuv's threads, and walks them in order: one round
      // trip instead of one per folder. A layout walk lists each folder only when it reaches it.
      const listings = any && !this.options.keepGoing ? subfolders.map(readListing) : undefined;
      // Pushed last to first, so that the first is visited next.
      for (let index = subfolders.length - 1; index >= 0; index -= 1) {
        pending.push({ dir: subfolders[index]!, level: level + 1, listing: listings?.[index] });
      }
    }
  }

  /** A folder's entries; `undefined` when it is a missing root or cannot be listed (reported). */
  private entries(dir: string, listing: Listing): Dirent[] | undefined {
    if (!('error' in listing)) return listing.entries;
    const { error } = listing;
    if (dir === this.root && isMissingError(error)) return undefined;
    const problem = unreadableFolder(dir, error);
    if (!this.options.onUnreadable) throw problem.error;
    this.options.onUnreadable(problem);
    return undefined;
  }

  /** The folder's rollouts, newest first; links named like rollouts go to `onLink`. */
  private files(dir: string, entries: readonly Dirent[]): WalkedRollout[] {
    const files: WalkedRollout[] = [];
    const links: string[] = [];
    for (const entry of entries) {
      if (!isRolloutFileName(entry.name)) continue;
      if (entry.isFile()) {
        files.push({
          // `dir` is normalized (the root was joined) and a name holds no separator: a plain
          // concatenation is what `join` would return, for less (it runs for every file).
          path: `${dir}${sep}${entry.name}`,
          name: entry.name,
          archived: this.archived,
          parsed: parseRolloutFileName(entry.name),
        });
      } else if (entry.isSymbolicLink()) {
        links.push(entry.name);
      }
    }
    if (this.options.onLink) {
      for (const name of links.sort(descending)) this.options.onLink(join(dir, name));
    }
    return withoutMaterializing(files).sort(newestFirst);
  }

  /** The sub-folders to enter, in walking order. */
  private subfolders(entries: readonly Dirent[], level: number): string[] {
    if (this.options.depth === 'any') {
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort(descending);
    }
    if (this.archived || level >= DAY_LEVEL) return [];
    return dateFolderNames(entries, level === 0 ? MAX_YEAR_FOLDER : MAX_MONTH_OR_DAY_FOLDER);
  }
}

/** By (file-name time, id) descending; names that do not parse after, by name descending. */
function newestFirst(a: WalkedRollout, b: WalkedRollout): number {
  if (a.parsed && b.parsed) {
    return (
      b.parsed.createdAt - a.parsed.createdAt ||
      descending(a.parsed.id, b.parsed.id) ||
      descending(a.name, b.name)
    );
  }
  if (a.parsed) return -1;
  if (b.parsed) return 1;
  return descending(a.name, b.name);
}

/** Descending code-unit order (lowercase hex ids compare like their bytes). */
function descending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}
