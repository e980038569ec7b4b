import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileIfChanged } from '../artifacts/write-file-if-changed.js';

/**
 * The file in a memories root that says the next consolidation must rebuild the memory from the
 * evidence alone: threads were forgotten, and what `MEMORY.md`, `memory_summary.md` and the
 * skills took from them cannot be picked out. It holds a fresh token per request, so that a
 * consolidation that started before a later forget does not take that forget's request as done.
 * Ours (Codex has no such file); the consolidation agent may read it but not change it.
 *
 * @example
 * ```ts
 * existsSync(join(root, REBUILD_MARKER_FILE)); // true after `memories forget`, until phase 2 succeeds
 * ```
 */
export const REBUILD_MARKER_FILE = '.rebuild-after-forget';

/**
 * Asks the next consolidation of `root` to rebuild from scratch, with a new token (also when a
 * request is already there) or the one given (to put an earlier request back); returns it.
 *
 * @example
 * ```ts
 * const token = await requestRebuild(root);
 * ```
 */
export async function requestRebuild(root: string, token: string = randomUUID()): Promise<string> {
  await writeFileIfChanged(join(root, REBUILD_MARKER_FILE), `${token}\n`);
  return token;
}

/**
 * The token of the rebuild asked for in `root` and not done yet; `undefined` when none is.
 *
 * @example
 * ```ts
 * const pending = await rebuildRequest(root);
 * if (pending !== undefined) await before.setAside();
 * ```
 */
export async function rebuildRequest(root: string): Promise<string | undefined> {
  try {
    const flag = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
    return (await readFile(join(root, REBUILD_MARKER_FILE), { encoding: 'utf8', flag })).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw error;
  }
}

/**
 * Says the rebuild asked for with `token` is done: the request goes, unless a later one (another
 * token) replaced it.
 *
 * @example
 * ```ts
 * await clearRebuildRequest(root, token);
 * ```
 */
export async function clearRebuildRequest(root: string, token: string): Promise<void> {
  if ((await rebuildRequest(root)) !== token) return;
  await unlink(join(root, REBUILD_MARKER_FILE)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
