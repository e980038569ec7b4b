import { randomBytes } from 'node:crypto';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { ROLLOUT_SUMMARIES_DIR, SKILLS_DIR } from '../layout/memory-layout.js';

/**
 * The names every memories writer gives its temporary files: `.<final name>.<12 hex>.tmp`, in the
 * final file's folder. Nothing else in a memories root is named like this, which is what lets
 * {@link sweepTemporaryFiles} remove them without touching anybody else's files.
 */
const TEMPORARY_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * A fresh temporary path beside `finalPath`, for a write that ends with a rename onto it.
 *
 * @example
 * ```ts
 * temporaryPathFor('/home/me/.codex/memories/MEMORY.md');
 * // '/home/me/.codex/memories/.MEMORY.md.3f9c0a51d2e7.tmp'
 * ```
 */
export function temporaryPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Removes the temporary files a killed writer left in a memories root: regular files named by
 * {@link temporaryPathFor} in the root, in `rollout_summaries/` and anywhere under `skills/`.
 * Symbolic links are neither followed nor removed, and no other file is touched. Returns the
 * removed files relative to the root (`/`-separated, sorted).
 *
 * Only safe while no other process writes the root: call it under the phase-2 lock, which every
 * writer of memories artifacts holds.
 *
 * @example
 * ```ts
 * const removed = await sweepTemporaryFiles(memoriesRoot(home));
 * // ['.MEMORY.md.3f9c0a51d2e7.tmp']
 * ```
 */
export async function sweepTemporaryFiles(root: string): Promise<string[]> {
  const removed: string[] = [];
  await sweepFolder(root, '', { recursive: false }, removed);
  await sweepFolder(root, ROLLOUT_SUMMARIES_DIR, { recursive: false }, removed);
  await sweepFolder(root, SKILLS_DIR, { recursive: true }, removed);
  return removed.sort();
}

async function sweepFolder(
  root: string,
  relativeDir: string,
  options: { recursive: boolean },
  removed: string[],
): Promise<void> {
  const dir = relativeDir === '' ? root : join(root, ...relativeDir.split('/'));
  let entries;
  try {
    // Only a real folder: a symlink planted at `skills/` must not lead the sweep elsewhere.
    if (!(await lstat(dir)).isDirectory()) return;
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const name = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (options.recursive) await sweepFolder(root, name, options, removed);
    } else if (entry.isFile() && TEMPORARY_NAME.test(entry.name)) {
      try {
        await unlink(join(dir, entry.name));
        removed.push(name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
}
