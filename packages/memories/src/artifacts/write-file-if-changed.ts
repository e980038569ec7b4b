import { constants } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';

import { temporaryPathFor } from './temporary-files.js';

/**
 * Writes `content` to `path` atomically (a temporary file beside it, renamed onto it) unless the
 * file already holds exactly these bytes; true if it wrote. A symbolic link at `path` is replaced,
 * never read or written through.
 *
 * @example
 * ```ts
 * const written = await writeFileIfChanged(join(root, 'raw_memories.md'), text);
 * ```
 */
export async function writeFileIfChanged(path: string, content: string | Buffer): Promise<boolean> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  try {
    // O_NOFOLLOW: a symlink at `path` is replaced by the rename below, never read through.
    const flag = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
    if ((await readFile(path, { flag })).equals(bytes)) return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ELOOP') throw error;
  }
  const temp = temporaryPathFor(path);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return true;
}
