import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { isThreadId } from '@agent-state/state';

import {
  ARCHIVED_SESSIONS_SUBDIR,
  COMPRESSED_ROLLOUT_SUFFIX,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  SESSIONS_SUBDIR,
  isCompressedRolloutPath,
} from '../paths/rollout-paths.js';

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
  /** The thread id (a UUID, any case). */
  id: string;
  /** Look in the flat `archived_sessions/` instead of `sessions/` (searched recursively). */
  archived?: boolean | undefined;
}

/**
 * Finds the rollout of a thread by walking the files (Codex's file-system fallback of
 * `find_thread_path_by_id_str`, with an exact name match instead of Codex's fuzzy search): the
 * first regular file named `rollout-*-<id>.jsonl` (or `….jsonl.zst`, compressed by Codex; the
 * plain file when a folder holds both) under `sessions/` (any depth, newest-named folders first)
 * or, with `archived`, directly in `archived_sessions/`. Resolves to its absolute
 * path, or `undefined` when there is none, the folder is missing, or `id` is not a UUID. Folders
 * that cannot be read are skipped.
 *
 * @example
 * ```ts
 * const path = await findRolloutFileById({ home: '/home/me/.codex', id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f' });
 * // '/home/me/.codex/sessions/2026/11/21/rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl'
 * const archived = await findRolloutFileById({ home, id, archived: true });
 * ```
 */
export async function findRolloutFileById(
  options: FindRolloutFileOptions,
): Promise<string | undefined> {
  if (typeof options.id !== 'string' || !isThreadId(options.id)) return undefined;
  const id = options.id.toLowerCase();
  const suffixes = [`-${id}${ROLLOUT_SUFFIX}`, `-${id}${COMPRESSED_ROLLOUT_SUFFIX}`];
  const matches = (name: string) => {
    const lower = name.toLowerCase();
    return (
      name.startsWith(ROLLOUT_PREFIX) &&
      suffixes.some((s) => name.length > ROLLOUT_PREFIX.length + s.length && lower.endsWith(s))
    );
  };
  if (options.archived ?? false) {
    const root = join(options.home, ARCHIVED_SESSIONS_SUBDIR);
    const hit = pick(await readDirOrEmpty(root), matches);
    return hit ? join(root, hit.name) : undefined;
  }
  return search(join(options.home, SESSIONS_SUBDIR), matches);
}

/** The matching regular file of a folder, the plain one first when both names are there. */
function pick(entries: Dirent[], matches: (name: string) => boolean): Dirent | undefined {
  const hits = entries.filter((e) => e.isFile() && matches(e.name));
  return hits.find((e) => !isCompressedRolloutPath(e.name)) ?? hits[0];
}

/** Depth-first search: the folder's files first, then its sub-folders, names descending. */
async function search(
  dir: string,
  matches: (name: string) => boolean,
): Promise<string | undefined> {
  const entries = await readDirOrEmpty(dir);
  const hit = pick(entries, matches);
  if (hit) return join(dir, hit.name);
  const subdirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .reverse();
  for (const name of subdirs) {
    const found = await search(join(dir, name), matches);
    if (found) return found;
  }
  return undefined;
}

async function readDirOrEmpty(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
