import { type Dirent, readdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  ARCHIVED_SESSIONS_SUBDIR,
  SESSIONS_SUBDIR,
  isRolloutFileName,
  rolloutWatermark,
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
  message: string;
}

/**
 * Finds every `rollout-*.jsonl` under `sessions/` and `archived_sessions/` of a home (missing
 * folders are fine), sorted by watermark. Folders are walked without following symbolic links to
 * folders, so a link loop cannot trap the walk; links to files are collected (reading them then
 * reports a broken or looping link with its path). Unreadable folders are reported, not fatal.
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
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && dir === join(home, subdir)) continue;
        problems.push({ path: dir, message: `cannot list folder: ${code ?? String(error)}` });
        continue;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) stack.push(path);
        else if ((entry.isFile() || entry.isSymbolicLink()) && isRolloutFileName(entry.name)) {
          files.push({ path, watermark: rolloutWatermark(home, path), archived });
        }
      }
    }
  }
  files.sort((a, b) => (a.watermark < b.watermark ? -1 : a.watermark > b.watermark ? 1 : 0));
  return { files, problems };
}
