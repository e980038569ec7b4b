import { rolloutWatermark } from '../paths/rollout-paths.js';
import { walkRollouts } from '../paths/rollout-walker.js';

/**
 * A rollout file found under a home.
 *
 * @example
 * ```ts
 * const { files } = await collectRollouts(home);
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
 * for (const problem of (await collectRollouts(home)).problems) console.warn(problem.path, problem.message);
 * ```
 */
export interface CollectProblem {
  path: string;
  /** Why, e.g. `cannot list the folder: permission denied`. */
  message: string;
}

/**
 * Finds every rollout (`rollout-*.jsonl`, and `rollout-*.jsonl.zst` compressed by Codex) under
 * `sessions/` and `archived_sessions/` of a home, at any depth (missing folders are fine), sorted
 * by watermark: the rollout walker (`walkRollouts`, depth `any`), as Codex's
 * `collect_rollout_paths`. A thread present under both names (Codex materializing it) is collected
 * once, as its plain file. Only regular files are collected and only real folders are entered: a
 * symbolic link (to a file or a folder) is ignored, so nothing outside the home is read or
 * recorded as a thread's path, and a link loop cannot trap the walk. Folders that cannot be
 * listed are reported in `problems`, not fatal.
 *
 * @example
 * ```ts
 * const { files, problems } = await collectRollouts('/home/me/.codex');
 * ```
 */
export async function collectRollouts(home: string): Promise<{
  files: CollectedRollout[];
  problems: CollectProblem[];
}> {
  const files: CollectedRollout[] = [];
  const problems: CollectProblem[] = [];
  const walk = walkRollouts({
    home,
    depth: 'any',
    onUnreadable: (folder) => problems.push({ path: folder.path, message: folder.message }),
  });
  for await (const file of walk) {
    files.push({
      path: file.path,
      watermark: rolloutWatermark(home, file.path),
      archived: file.archived,
    });
  }
  files.sort((a, b) => (a.watermark < b.watermark ? -1 : a.watermark > b.watermark ? 1 : 0));
  return { files, problems };
}
