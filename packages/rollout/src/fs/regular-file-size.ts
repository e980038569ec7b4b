import { lstat } from 'node:fs/promises';

import { ErrorCode } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { describeErrno, isMissingError } from './errno.js';

/**
 * The size of the regular file at `path` (a link is not followed); `undefined` when there is none
 * (missing, a folder, a link). Throws `RolloutFileError` (`ROLLOUT_UNREADABLE`) naming the path
 * when it cannot be told (permission denied, …).
 *
 * @example
 * ```ts
 * const bytes = await regularFileSize(`${path}.zst`); // undefined: no compressed twin
 * ```
 */
export async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const stats = await lstat(path);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw new RolloutFileError(ErrorCode.RolloutUnreadable, path, describeErrno(error), {
      cause: error,
    });
  }
}
