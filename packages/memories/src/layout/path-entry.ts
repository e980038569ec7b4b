import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';

/**
 * What is at `path`, without following a link: its `lstat`, or `undefined` when nothing is
 * there (or a parent is not a folder). Other errors (permissions) are thrown.
 *
 * @example
 * ```ts
 * if ((await pathEntry(root))?.isDirectory()) await rebuildPhase1Artifacts({ root, outputs });
 * ```
 */
export async function pathEntry(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
