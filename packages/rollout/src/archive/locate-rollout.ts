import { lstat, readdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { ErrorCode, type Logger, type AgentStateStore } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { describeErrno, isMissingError } from '../fs/errno.js';
import { isStrictlyInside } from '../fs/is-inside.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  COMPRESSED_ROLLOUT_SUFFIX,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  SESSIONS_SUBDIR,
  isCompressedRolloutPath,
} from '../paths/rollout-paths.js';

/**
 * Options of {@link locateThreadRollout}.
 *
 * @example
 * ```ts
 * const options: LocateThreadRolloutOptions = { home, threadId, archived: false, logger };
 * ```
 */
export interface LocateThreadRolloutOptions {
  home: string;
  /** A normalized (lowercase) thread id. */
  threadId: string;
  /** Look in `archived_sessions` (true) or `sessions` (false). */
  archived: boolean;
  /** Asked first; a stale path it holds is logged and the folder is searched instead. */
  store?: Pick<AgentStateStore, 'threads'> | undefined;
  logger: Logger;
}

/**
 * Where the rollout of a thread is, as Codex's `find_thread_path_by_id_str` finds it: the path
 * the store holds for it (active or archived as asked) when that is a regular file inside
 * `<home>/sessions` (or `archived_sessions`), else the first regular file named
 * `rollout-*-<id>.jsonl` (or `….jsonl.zst`, compressed by Codex; the plain file when a folder
 * holds both) under that folder, searched recursively, newest folders first.
 * Symbolic links are never followed: not to folders during the search, nor to files, whether
 * found or stored, so the answer never leads out of the home. A stored path that is gone, or
 * that is a link or lies outside the folder, is logged and the folder is searched instead.
 * `undefined` when there is none. `archiveThread` goes further and refuses, by name, a rollout
 * that leads out of the home. Throws `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming the
 * folder) when a folder of the search cannot be listed.
 *
 * @example
 * ```ts
 * const path = await locateThreadRollout({ home, threadId, archived: false, store, logger });
 * ```
 */
export async function locateThreadRollout(
  options: LocateThreadRolloutOptions,
): Promise<string | undefined> {
  const found = await findRolloutCandidate(options);
  return found?.confined ? found.path : undefined;
}

/**
 * @internal What {@link locateThreadRollout} looks at, refused candidates included: a rollout
 * `confined` to its folder (a regular file whose real path is inside it) if there is one, else
 * the first one that is not (the store's path, or a symbolic link named like the rollout), so that
 * `archiveThread` can refuse it by name instead of answering "not found".
 *
 * @example
 * ```ts
 * const found = await findRolloutCandidate({ home, threadId, archived: false, store, logger });
 * if (found && !found.confined) throw refusal(found.path);
 * ```
 */
export async function findRolloutCandidate(
  options: LocateThreadRolloutOptions,
): Promise<{ path: string; confined: boolean } | undefined> {
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
  const found = await searchRollout(root, [
    `-${threadId}${ROLLOUT_SUFFIX}`,
    `-${threadId}${COMPRESSED_ROLLOUT_SUFFIX}`,
  ]);
  if (found?.link === false) {
    if (store) logger.debug('rollout found by searching the folder', { path: found.path });
    return { path: found.path, confined: true };
  }
  if (found) logger.warn('a symbolic link is named like the rollout; not following it', found);
  refused ??= found?.path;
  return refused === undefined ? undefined : { path: refused, confined: false };
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

/**
 * The first regular file named `rollout-…<suffix>` for one of `suffixes` under `dir` (files before
 * sub-folders, names descending, a plain rollout before its compressed twin, never entering a
 * link to a folder); failing that, the first symbolic link so named (`link: true`), which the
 * caller must not follow.
 */
async function searchRollout(
  dir: string,
  suffixes: readonly string[],
): Promise<{ path: string; link: boolean } | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw new RolloutFileError(
      ErrorCode.RolloutUnreadable,
      dir,
      `cannot list the folder: ${describeErrno(error)}`,
      { cause: error },
    );
  }
  entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  const named = (name: string) => {
    const lower = name.toLowerCase();
    return lower.startsWith(ROLLOUT_PREFIX) && suffixes.some((suffix) => lower.endsWith(suffix));
  };
  let link: { path: string; link: boolean } | undefined;
  let compressed: string | undefined;
  for (const entry of entries) {
    if (!named(entry.name)) continue;
    if (entry.isFile()) {
      if (!isCompressedRolloutPath(entry.name)) return { path: join(dir, entry.name), link: false };
      compressed ??= join(dir, entry.name);
    }
    if (entry.isSymbolicLink()) link ??= { path: join(dir, entry.name), link: true };
  }
  if (compressed) return { path: compressed, link: false };
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const found = await searchRollout(join(dir, entry.name), suffixes);
    if (found?.link === false) return found;
    link ??= found;
  }
  return link;
}
