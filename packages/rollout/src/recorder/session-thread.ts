import { ErrorCode, normalizeThreadId } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import type { SessionMeta } from '../protocol/session-meta.js';

/**
 * The thread a rollout names: its first `session_meta` and that id, normalized. Throws
 * {@link RolloutFileError} (`ROLLOUT_INVALID`, naming the file) when there is no `session_meta` or
 * its id is not a UUID: such a file cannot be resumed or forked.
 */
export function requireSessionThread(
  path: string,
  meta: SessionMeta | undefined,
  action: 'resume' | 'fork',
): { meta: SessionMeta; threadId: string } {
  if (!meta) {
    throw new RolloutFileError(
      ErrorCode.RolloutInvalid,
      path,
      `no session_meta line: cannot ${action} a rollout that names no thread`,
    );
  }
  try {
    return { meta, threadId: normalizeThreadId(meta.id) };
  } catch (error) {
    throw new RolloutFileError(ErrorCode.RolloutInvalid, path, 'session_meta id is not a UUID', {
      cause: error,
    });
  }
}
