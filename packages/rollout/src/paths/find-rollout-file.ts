import { lstat, realpath } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

import {
  type AgentStateError,
  ErrorCode,
  type Logger,
  type AgentStateStore,
  isThreadId,
  noopLogger,
  toAgentStateError,
} from '@agent-state/state';

import { isMissingError } from '../fs/errno.js';
import { isStrictlyInside } from '../fs/is-inside.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  COMPRESSED_ROLLOUT_SUFFIX,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  SESSIONS_SUBDIR,
} from './rollout-paths.js';
import { type UnreadableFolder, walkRollouts } from './rollout-walker.js';

/**
 * Options of {@link findRolloutFileById}.
 *
 * @example
 * ```ts
 * const options: FindRolloutFileOptions = { home: '/home/me/.codex', id, archived: true };
 * ```
 */
export interface FindRolloutFileOptions {
  /** The Codex home holding `sessions/` and `archived_sessions/`. */
  home: string;
  /** The thread id (a UUID, any case; anything else finds nothing). */
  id: string;
  /** Look in the flat `archived_sessions/` instead of `sessions/` (default false). */
  archived?: boolean | undefined;
  /**
   * Asked first, as Codex asks its state DB: the path it holds for the thread (active or archived
   * as asked) is taken when it is a regular file inside that folder of this home; a stale one is
   * logged and the folder is searched instead.
   */
  store?: Pick<AgentStateStore, 'threads'> | null | undefined;
  /** Where stale store paths and refused symbolic links are reported (default: nowhere). */
  logger?: Logger | undefined;
}

/**
 * Finds the rollout of a thread by id, as Codex's `find_thread_path_by_id_str` does (with an exact
 * name match instead of Codex's fuzzy file search): the store's path when a `store` is given and
 * that path is usable, else the first regular file named `rollout-*-<id>.jsonl` (or
 * `….jsonl.zst`, compressed by Codex; the plain file when a folder holds both) found by the
 * rollout walker: under `sessions/` at any depth (a folder's files before its sub-folders, newest
 * names first), or, with `archived`, directly in the flat `archived_sessions/`.
 *
 * Symbolic links are never followed: not to folders during the search, nor to files, whether found
 * or stored, so the answer never leads out of the home. Resolves to the absolute path, or
 * `undefined` when there is none, the home has no such folder, or `id` is not a UUID. A folder that
 * cannot be listed does not hide a rollout found elsewhere; when nothing is found and a folder
 * could not be listed, it throws `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming that folder)
 * rather than claim there is none.
 *
 * @example
 * ```ts
 * const path = await findRolloutFileById({ home: '/home/me/.codex', id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f' });
 * // '/home/me/.codex/sessions/2026/11/21/rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl'
 * const archived = await findRolloutFileById({ home, id, archived: true, store, logger });
 * ```
 */
export async function findRolloutFileById(
  options: FindRolloutFileOptions,
): Promise<string | undefined> {
  return findInFolders(options, [options.archived ?? false]);
}

/**
 * @internal {@link findRolloutFileById} in `sessions/`, then in `archived_sessions/`: a folder of
 * the first that cannot be listed is reported only when the second has no rollout either.
 *
 * @example
 * ```ts
 * const path = await findActiveOrArchivedRollout({ home, id, logger }); // findThread without `archived`
 * ```
 */
export async function findActiveOrArchivedRollout(
  options: Omit<FindRolloutFileOptions, 'archived'>,
): Promise<string | undefined> {
  return findInFolders(options, [false, true]);
}

async function findInFolders(
  options: FindRolloutFileOptions,
  folders: readonly boolean[],
): Promise<string | undefined> {
  if (typeof options.id !== 'string' || !isThreadId(options.id)) return undefined;
  const threadId = options.id.toLowerCase();
  const logger = options.logger ?? noopLogger;
  let unreadable: AgentStateError | undefined;
  for (const archived of folders) {
    try {
      const found = await findRolloutCandidate({
        home: options.home,
        threadId,
        archived,
        store: options.store,
        logger,
      });
      if (found?.confined) return found.path;
    } catch (error) {
      // Look in the other folder before saying the search could not be completed.
      const failure = toAgentStateError(error);
      if (failure.code !== ErrorCode.RolloutUnreadable) throw error;
      unreadable ??= failure;
    }
  }
  if (unreadable !== undefined) throw unreadable;
  return undefined;
}

/**
 * @internal What {@link findRolloutFileById} looks at in one folder, refused candidates included:
 * a rollout `confined` to its folder (a regular file whose real path is inside it) if there is
 * one, else the first one that is not (the store's path, or a symbolic link named like the
 * rollout), so that `archiveThread` can refuse it by name instead of answering "not found".
 * Throws `RolloutFileError` (`ROLLOUT_UNREADABLE`) when no regular file was found and a folder of
 * the search could not be listed.
 *
 * @example
 * ```ts
 * const found = await findRolloutCandidate({ home, threadId, archived: false, store, logger });
 * if (found && !found.confined) throw refusal(found.path);
 * ```
 */
export async function findRolloutCandidate(options: {
  home: string;
  /** A normalized (lowercase) thread id. */
  threadId: string;
  archived: boolean;
  store?: Pick<AgentStateStore, 'threads'> | null | undefined;
  logger: Logger;
}): Promise<{ path: string; confined: boolean } | undefined> {
  const { home, threadId, archived, store, logger } = options;
  const root = join(home, archived ? ARCHIVED_SESSIONS_SUBDIR : SESSIONS_SUBDIR);
  let refused: string | undefined;
  if (store) {
    const stored = await store.threads.findRolloutPath(threadId, { archived });
    if (stored !== undefined) {
      const path = resolve(home, stored);
      const problem = await regularFileInside(path, root);
      if (problem === undefined) return { path, confined: true };
      if (problem === 'stale') {
        logger.warn('store holds a stale rollout path; searching the folder', { path, archived });
      } else {
        logger.warn(
          `store holds a rollout path that is not a regular file inside ${root}; searching the folder`,
          { path, archived },
        );
        refused = path;
      }
    }
  }
  const found = await searchFolder(home, threadId, archived);
  if (found.file !== undefined) {
    if (store) logger.debug('rollout found by searching the folder', { path: found.file });
    return { path: found.file, confined: true };
  }
  if (found.unreadable) throw found.unreadable.error;
  if (found.link !== undefined) {
    logger.warn('a symbolic link is named like the rollout; not following it', {
      path: found.link,
      link: true,
    });
  }
  refused ??= found.link;
  return refused === undefined ? undefined : { path: refused, confined: false };
}

/**
 * Walks one folder for the thread's rollout: `sessions/` at any depth, `archived_sessions/` flat.
 * The first regular file so named, else the first symbolic link so named and the first folder
 * that could not be listed.
 */
async function searchFolder(
  home: string,
  threadId: string,
  archived: boolean,
): Promise<{ file?: string; link?: string; unreadable?: UnreadableFolder }> {
  const suffixes = [`-${threadId}${ROLLOUT_SUFFIX}`, `-${threadId}${COMPRESSED_ROLLOUT_SUFFIX}`];
  const named = (name: string) => {
    const lower = name.toLowerCase();
    // A timestamp, however short, between the prefix and `-<id>`.
    return suffixes.some(
      (s) => name.length > ROLLOUT_PREFIX.length + s.length && lower.endsWith(s),
    );
  };
  let link: string | undefined;
  let unreadable: UnreadableFolder | undefined;
  for await (const file of walkRollouts({
    home,
    archived,
    depth: archived ? 'layout' : 'any',
    onUnreadable: (folder) => {
      unreadable ??= folder;
    },
    onLink: (path) => {
      if (link === undefined && named(basename(path))) link = path;
    },
  })) {
    if (named(file.name)) return { file: file.path };
  }
  return { link, unreadable };
}

/**
 * `undefined` when `path` is a regular file (not a link) whose real location is inside the real
 * `root`; otherwise what is wrong with it: `stale` (nothing there) or `unusable`.
 */
async function regularFileInside(
  path: string,
  root: string,
): Promise<'stale' | 'unusable' | undefined> {
  try {
    if (!(await lstat(path)).isFile()) return 'unusable';
    const [realPath, realRoot] = await Promise.all([realpath(path), realpath(root)]);
    return isStrictlyInside(realRoot, realPath) ? undefined : 'unusable';
  } catch (error) {
    return isMissingError(error) ? 'stale' : 'unusable';
  }
}
