import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under a directory, by its path relative to it: its size and modification time. */
export type FileSnapshot = Map<string, { size: number; mtimeMs: number }>;

/** The files under `home` as they are now (see {@link FileSnapshot}). */
export function snapshotFiles(home: string): FileSnapshot {
  const files: FileSnapshot = new Map();
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stats = statSync(path);
        files.set(relative(home, path), { size: stats.size, mtimeMs: stats.mtimeMs });
      }
    }
  };
  walk(home);
  return files;
}

/**
 * What changed between two snapshots: each file added, removed or changed (size or modification
 * time), except those `allowed` says may change.
 */
export function changedFiles(
  before: FileSnapshot,
  after: FileSnapshot,
  allowed: (path: string) => boolean = () => false,
): string[] {
  const changed: string[] = [];
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    if (allowed(path)) continue;
    const a = before.get(path);
    const b = after.get(path);
    if (a === undefined) changed.push(`added ${path}`);
    else if (b === undefined) changed.push(`removed ${path}`);
    else if (a.size !== b.size || a.mtimeMs !== b.mtimeMs) changed.push(`changed ${path}`);
  }
  return changed.sort();
}
