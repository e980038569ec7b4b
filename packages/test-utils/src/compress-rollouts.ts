import {
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { compress } from 'zstd-napi';

/** Options of {@link compressRollouts} and {@link zstdCompress}. */
export interface CompressOptions {
  /** zstd level (default 3, as Codex). */
  level?: number;
  /** Frames to write back to back, the data cut at even byte positions (default 1). */
  frames?: number;
}

/**
 * Compresses bytes with a real zstd encoder (libzstd), as one frame or several back to back.
 *
 * @example
 * ```ts
 * writeFileSync(`${path}.zst`, zstdCompress(readFileSync(path), { frames: 3 }));
 * ```
 */
export function zstdCompress(data: Uint8Array, options: CompressOptions = {}): Buffer {
  const frames = Math.max(1, options.frames ?? 1);
  const level = options.level ?? 3;
  const parts: Buffer[] = [];
  const step = Math.ceil(data.length / frames) || 1;
  for (let start = 0; start < data.length || parts.length === 0; start += step) {
    parts.push(compress(data.subarray(start, start + step), { compressionLevel: level }));
    if (start + step >= data.length) break;
  }
  return Buffer.concat(parts);
}

/**
 * Does what Codex's cold-rollout compression does to a home: every `rollout-*.jsonl` under
 * `sessions/` and `archived_sessions/` (or those `filter` keeps) becomes `rollout-*.jsonl.zst`
 * with the same mtime, and the plain file is removed. Returns the compressed paths.
 *
 * @example
 * ```ts
 * const home = copyCodexHome('v0.169.0', temp.make('home'));
 * compressRollouts(home, { frames: 2 });
 * ```
 */
export function compressRollouts(
  home: string,
  options: CompressOptions & { filter?: (path: string) => boolean } = {},
): string[] {
  const done: string[] = [];
  const visit = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (
        entry.isFile() &&
        entry.name.startsWith('rollout-') &&
        entry.name.endsWith('.jsonl') &&
        (options.filter?.(path) ?? true)
      ) {
        const { mtime } = statSync(path);
        writeFileSync(`${path}.zst`, zstdCompress(readFileSync(path), options));
        utimesSync(`${path}.zst`, mtime, mtime);
        unlinkSync(path);
        done.push(`${path}.zst`);
      }
    }
  };
  visit(join(home, 'sessions'));
  visit(join(home, 'archived_sessions'));
  return done.sort();
}
