import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { describeErrno, errnoCode } from '../fs/errno.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  SESSIONS_SUBDIR,
  isRolloutFileName,
  rolloutWatermark,
  withoutMaterializing,
} from '../paths/rollout-paths.js';

/**
 * A rollout file found under a home.
 *
 * @example
 * ```ts
 * const { files } = collectRollouts(home);
 * for (const file of files) console.log(file.watermark, file.archived);
 * ```
 */
export interface CollectedRollout {
  path: string;
  /** Path relative to the home with `/` separators; the backfill's order and checkpoint. */
  watermark: string;
  /** Found under `archived_sessions/`. */
  archived: boolean;
}

/**
 * A folder that could not be listed while collecting.
 *
 * @example
 * ```ts
 * for (const problem of collectRollouts(home).problems) console.warn(problem.path, problem.message);
 * ```
 */
export interface CollectProblem {
  path: string;
  /** Why, e.g. `cannot list the folder: permission denied`. */
  message: string;
}

/**
 * Finds every rollout (`rollout-*.jsonl`, and `rollout-*.jsonl.zst` compressed by Codex) under
 * `sessions/` and `archived_sessions/` of a home (missing folders are fine), sorted by watermark.
 * A thread present under both names (Codex materializing it) is collected once, as its plain
 * file. As Codex's `collect_rollout_paths`, only regular files are collected and only real
 * folders are entered: a symbolic link (to a file or a folder) is ignored, so nothing outside the
 * home is read or recorded as a thread's path, and a link loop cannot trap the walk. Unreadable
 * folders are reported, not fatal.
 *
 * @example
 * ```ts
 * const { files, problems } = collectRollouts('/home/me/.codex');
 * ```
 */
export function collectRollouts(home: string): {
  files: CollectedRollout[];
  problems: CollectProblem[];
} {
  const files: CollectedRollout[] = [];
  const problems: CollectProblem[] = [];
  for (const [subdir, archived] of [
    [SESSIONS_SUBDIR, false],
    [ARCHIVED_SESSIONS_SUBDIR, true],
  ] as const) {
    const stack = [join(home, subdir)];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        if (errnoCode(error) === 'ENOENT' && dir === join(home, subdir)) continue;
        problems.push({ path: dir, message: `cannot list the folder: ${describeErrno(error)}` });
        continue;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) stack.push(path);
        else if (entry.isFile() && isRolloutFileName(entry.name)) {
          files.push({ path, watermark: rolloutWatermark(home, path), archived });
        }
      }
    }
  }
  files.sort((a, b) => (a.watermark < b.watermark ? -1 : a.watermark > b.watermark ? 1 : 0));
  return { files: withoutMaterializing(files), problems };
}
