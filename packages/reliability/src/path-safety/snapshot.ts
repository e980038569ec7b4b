import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything under `dir` (not following symlinks): relative path → kind, size, mtime and content
 * hash (files) or target (symlinks). Two equal snapshots mean nothing was created, changed,
 * moved or deleted there.
 */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    const full = relative === '' ? dir : join(dir, relative);
    const info = lstatSync(full);
    if (info.isSymbolicLink()) {
      out[relative] = `link -> ${readlinkSync(full)}`;
    } else if (info.isDirectory()) {
      out[relative] = `dir ${info.mode.toString(8)}`;
      for (const name of readdirSync(full).sort())
        walk(relative === '' ? name : join(relative, name));
    } else {
      const hash = createHash('sha256').update(readFileSync(full)).digest('hex');
      out[relative] = `file ${info.size} ${info.mtimeMs} ${hash}`;
    }
  };
  walk('');
  return out;
}
