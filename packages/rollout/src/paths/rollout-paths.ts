import { realpathSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

import { isThreadId } from '@agent-state/state';

import { parseRolloutTimestamp } from '../extract/timestamps.js';

/**
 * Folder of active rollouts under the home, nested `YYYY/MM/DD`.
 *
 * @example
 * ```ts
 * const dayDir = join(home, SESSIONS_SUBDIR, '2026', '11', '21'); // ~/.codex/sessions/2026/11/21
 * ```
 */
export const SESSIONS_SUBDIR = 'sessions';

/**
 * Folder of archived rollouts under the home, flat.
 *
 * @example
 * ```ts
 * const archivedPath = join(home, ARCHIVED_SESSIONS_SUBDIR, basename(rolloutPath));
 * ```
 */
export const ARCHIVED_SESSIONS_SUBDIR = 'archived_sessions';

/**
 * Every rollout file name starts with this…
 *
 * @example
 * ```ts
 * const name = `${ROLLOUT_PREFIX}2026-11-21T05-44-05-${id}${ROLLOUT_SUFFIX}`;
 * ```
 */
export const ROLLOUT_PREFIX = 'rollout-';

/**
 * …and ends with this.
 *
 * @example
 * ```ts
 * const rollouts = readdirSync(dir).filter((n) => n.startsWith(ROLLOUT_PREFIX) && n.endsWith(ROLLOUT_SUFFIX));
 * ```
 */
export const ROLLOUT_SUFFIX = '.jsonl';

/**
 * A cold rollout compressed by Codex (zstd) ends with this instead (`rollout-….jsonl.zst`); it is
 * a rollout like any other, read by streaming its decompression.
 *
 * @example
 * ```ts
 * const rollouts = names.filter((n) => n.endsWith(ROLLOUT_SUFFIX) || n.endsWith(COMPRESSED_ROLLOUT_SUFFIX));
 * ```
 */
export const COMPRESSED_ROLLOUT_SUFFIX = '.jsonl.zst';

/**
 * The extension Codex adds to a rollout it compresses.
 *
 * @example
 * ```ts
 * const compressed = `${plainPath}${ZSTD_EXTENSION}`; // rollout-….jsonl.zst
 * ```
 */
export const ZSTD_EXTENSION = '.zst';

/**
 * True for a compressed rollout's name or path (`….jsonl.zst`).
 *
 * @example
 * ```ts
 * isCompressedRolloutPath('/h/sessions/2026/11/21/rollout-….jsonl.zst'); // true
 * ```
 */
export function isCompressedRolloutPath(pathOrName: string): boolean {
  return pathOrName.endsWith(COMPRESSED_ROLLOUT_SUFFIX);
}

/**
 * The plain (`.jsonl`) path of a rollout, compressed or not: the one name both files of a thread
 * share while Codex materializes it.
 *
 * @example
 * ```ts
 * plainRolloutPath('/h/archived_sessions/rollout-….jsonl.zst'); // '/h/archived_sessions/rollout-….jsonl'
 * ```
 */
export function plainRolloutPath(path: string): string {
  return isCompressedRolloutPath(path) ? path.slice(0, -ZSTD_EXTENSION.length) : path;
}

/**
 * The same rollout under its other name: the `.jsonl.zst` of a plain path, the `.jsonl` of a
 * compressed one (Codex compresses cold rollouts and materializes them back).
 *
 * @example
 * ```ts
 * rolloutTwinPath('/h/sessions/2026/11/21/rollout-….jsonl'); // '/h/sessions/2026/11/21/rollout-….jsonl.zst'
 * ```
 */
export function rolloutTwinPath(path: string): string {
  return isCompressedRolloutPath(path) ? plainRolloutPath(path) : `${path}${ZSTD_EXTENSION}`;
}

/**
 * What a rollout file name says: its timestamp (the writer's local time, read as UTC as Codex
 * does) and the thread id.
 *
 * @example
 * ```ts
 * parseRolloutFileName('rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl');
 * // { timestamp: '2026-11-21T05-44-05', createdAt: 1795239845, id: '01a1fca2-1d67-…' }
 * ```
 */
export interface RolloutFileName {
  /** The timestamp part as written (`YYYY-MM-DDThh-mm-ss`). */
  timestamp: string;
  /** That timestamp in unix seconds, taken as UTC. */
  createdAt: number;
  /** The thread id (lowercase). */
  id: string;
}

/**
 * Parses `rollout-<YYYY-MM-DDThh-mm-ss>-<uuid>.jsonl` or `….jsonl.zst` (a base name or a path);
 * `undefined` for anything else.
 *
 * @example
 * ```ts
 * const parsed = parseRolloutFileName(path);
 * if (!parsed) return; // not a rollout
 * ```
 */
export function parseRolloutFileName(pathOrName: string): RolloutFileName | undefined {
  const name = basename(plainRolloutPath(pathOrName));
  if (!name.startsWith(ROLLOUT_PREFIX) || !name.endsWith(ROLLOUT_SUFFIX)) return undefined;
  const core = name.slice(ROLLOUT_PREFIX.length, -ROLLOUT_SUFFIX.length);
  // The id is the last 36 characters; the timestamp is what precedes the dash before it.
  if (core.length < 36 + 1 + 19) return undefined;
  const id = core.slice(-36);
  const timestamp = core.slice(0, -37);
  if (core[core.length - 37] !== '-' || !isThreadId(id)) return undefined;
  const createdAt = parseRolloutTimestamp(timestamp);
  if (createdAt === undefined || timestamp.includes(':')) return undefined;
  return { timestamp, createdAt, id: id.toLowerCase() };
}

/**
 * True when a base name looks like a rollout (`rollout-*.jsonl` or `rollout-*.jsonl.zst`), as the
 * backfill collects them.
 *
 * @example
 * ```ts
 * isRolloutFileName('rollout-x.jsonl'); // true (the backfill reports it if it cannot be read)
 * isRolloutFileName('rollout-x.jsonl.zst'); // true
 * ```
 */
export function isRolloutFileName(name: string): boolean {
  return (
    name.startsWith(ROLLOUT_PREFIX) &&
    (name.endsWith(ROLLOUT_SUFFIX) || name.endsWith(COMPRESSED_ROLLOUT_SUFFIX))
  );
}

/**
 * The file name of a new rollout: `rollout-<local YYYY-MM-DDThh-mm-ss>-<id>.jsonl`, plus its
 * `sessions/YYYY/MM/DD` folder relative to the home. Local wall-clock time, like Codex.
 *
 * @example
 * ```ts
 * const { dir, name } = newRolloutLocation(new Date(), id);
 * const path = join(home, dir, name);
 * ```
 */
export function newRolloutLocation(date: Date, id: string): { dir: string; name: string } {
  const pad = (n: number) => String(n).padStart(2, '0');
  const y = String(date.getFullYear()).padStart(4, '0');
  const mo = pad(date.getMonth() + 1);
  const d = pad(date.getDate());
  const stamp = `${y}-${mo}-${d}T${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}`;
  return {
    dir: join(SESSIONS_SUBDIR, y, mo, d),
    name: `${ROLLOUT_PREFIX}${stamp}-${id}${ROLLOUT_SUFFIX}`,
  };
}

/**
 * The `YYYY`, `MM`, `DD` folder parts of a rollout file name (where unarchive puts it back).
 *
 * @example
 * ```ts
 * rolloutDateParts('rollout-2025-03-01T09-00-00-….jsonl'); // ['2025', '03', '01']
 * ```
 */
export function rolloutDateParts(name: string): [string, string, string] | undefined {
  const match = /^rollout-(\d{4})-(\d{2})-(\d{2})T/.exec(basename(name));
  return match ? [match[1]!, match[2]!, match[3]!] : undefined;
}

/**
 * The backfill watermark of a rollout: its path relative to the home, with `/` separators.
 * Sorting watermarks bytewise gives the backfill order.
 *
 * @example
 * ```ts
 * rolloutWatermark('/h', '/h/sessions/2026/11/21/rollout-….jsonl'); // 'sessions/2026/11/21/rollout-….jsonl'
 * ```
 */
export function rolloutWatermark(home: string, path: string): string {
  const rel = relative(home, path);
  const inside = rel !== '' && !rel.startsWith('..');
  return (inside ? rel : path).split(sep).join('/');
}

/**
 * Whether `path` lies inside this home's rollout folders (`<home>/sessions` or
 * `<home>/archived_sessions`). A store row pointing elsewhere (a home copied or moved with its
 * database, or a row written by hand) is not this home's rollout even when the file exists. The
 * paths are compared as given first; only when that fails are symbolic links resolved, so a home
 * reached by another path to the same folder (`~/.codex` linked to `/data/codex`) still matches.
 *
 * @example
 * ```ts
 * isInHomeRollouts('/home/me/.codex', '/home/me/.codex/sessions/2026/11/21/rollout-….jsonl'); // true
 * isInHomeRollouts('/home/me/.codex', '/backup/.codex/sessions/2026/11/21/rollout-….jsonl'); // false
 * ```
 */
export function isInHomeRollouts(home: string, path: string): boolean {
  return homeRolloutsMatcher(home)(path);
}

/**
 * {@link isInHomeRollouts} for one home and many paths: the folders are resolved once, and a
 * stored path (absolute, normalized) is matched by its prefix, so a page of rows costs
 * microseconds; symbolic links are resolved only for a path that does not match as given.
 *
 * @example
 * ```ts
 * const inHome = homeRolloutsMatcher(home);
 * const elsewhere = rows.filter((row) => !inHome(row.rolloutPath));
 * ```
 */
export function homeRolloutsMatcher(home: string): (path: string) => boolean {
  const folders = (base: string) =>
    [SESSIONS_SUBDIR, ARCHIVED_SESSIONS_SUBDIR].map((folder) => join(base, folder) + sep);
  const given = folders(resolve(home));
  let real: string[] | undefined;
  const inside = (roots: readonly string[], path: string) =>
    roots.some((root) => path.startsWith(root));
  return (path) => {
    if (inside(given, path)) return true;
    const resolved = resolve(path);
    if (resolved !== path && inside(given, resolved)) return true;
    try {
      real ??= folders(realpathSync(resolve(home)));
      return inside(real, join(realpathSync(dirname(resolved)), basename(resolved)));
    } catch {
      return false; // a folder that does not exist holds no rollout of this home
    }
  };
}

/**
 * Drops a compressed rollout whose plain twin is in the same list: while Codex materializes a
 * thread both files exist, and the plain one is complete first (it is renamed into place before
 * the `.zst` is removed).
 *
 * @example
 * ```ts
 * const files = withoutMaterializing(candidates); // one entry per thread file
 * ```
 */
export function withoutMaterializing<T extends { path: string }>(files: T[]): T[] {
  if (!files.some((file) => isCompressedRolloutPath(file.path))) return files;
  const plain = new Set(files.filter((f) => !isCompressedRolloutPath(f.path)).map((f) => f.path));
  return files.filter(
    (file) => !isCompressedRolloutPath(file.path) || !plain.has(plainRolloutPath(file.path)),
  );
}
