import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { Logger, StateStore } from '@agent-state/state';

import {
  ARCHIVED_SESSIONS_SUBDIR,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  SESSIONS_SUBDIR,
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
  store?: Pick<StateStore, 'threads'> | undefined;
  logger: Logger;
}

/**
 * Where the rollout of a thread is, as Codex's `find_thread_path_by_id_str` finds it: the path
 * the store holds for it (active or archived as asked) when that file exists, else the first
 * `rollout-*-<id>.jsonl` under `<home>/sessions` (or `archived_sessions`), searched recursively,
 * newest folders first, without following symlinked folders. `undefined` when there is none.
 * The path is not checked further (see `archiveThread` for the confinement checks).
 *
 * @example
 * ```ts
 * const path = await locateThreadRollout({ home, threadId, archived: false, store, logger });
 * ```
 */
export async function locateThreadRollout(
  options: LocateThreadRolloutOptions,
): Promise<string | undefined> {
  const { home, threadId, archived, store, logger } = options;
  if (store) {
    const stored = await store.threads.findRolloutPath(threadId, { archived });
    if (stored !== undefined) {
      const path = resolve(home, stored);
      if (await pathExists(path)) return path;
      logger.warn('store holds a stale rollout path; searching the folder', { path, archived });
    }
  }
  const root = join(home, archived ? ARCHIVED_SESSIONS_SUBDIR : SESSIONS_SUBDIR);
  const found = await searchRollout(root, `-${threadId}${ROLLOUT_SUFFIX}`);
  if (found && store) logger.debug('rollout found by searching the folder', { path: found });
  return found;
}

/** True when something (a file, a folder, a symlink, even dangling) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissingError(error)) return false;
    throw error;
  }
}

/** True for the errors that mean "nothing there". */
export function isMissingError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function searchRollout(dir: string, suffix: string): Promise<string | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  // Files (and symlinks, so that one pointing out of the home is refused, not silently missed)
  // before folders.
  for (const entry of entries) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const name = entry.name.toLowerCase();
    if (name.startsWith(ROLLOUT_PREFIX) && name.endsWith(suffix)) return join(dir, entry.name);
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const found = await searchRollout(join(dir, entry.name), suffix);
    if (found) return found;
  }
  return undefined;
}
