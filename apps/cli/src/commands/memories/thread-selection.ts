import { resolve } from 'node:path';

import {
  InvalidArgumentError,
  type MemoryThreadSelection,
  normalizeThreadId,
} from '@agent-state/state';

/**
 * The threads a `memories enable|disable|forget` names: thread ids (normalised), or `--cwd DIR`
 * (resolved against the current directory, as `threads list --cwd`), not both and not neither.
 *
 * @example
 * ```ts
 * const selection = threadSelection(ids, options.cwd); // { threadIds: [...] } or { cwd: '/abs/dir' }
 * ```
 */
export function threadSelection(
  threadIds: readonly string[],
  cwd: string | undefined,
): MemoryThreadSelection {
  if (cwd !== undefined && threadIds.length > 0) {
    throw new InvalidArgumentError('--cwd', 'give thread ids or --cwd, not both');
  }
  if (cwd !== undefined) return { cwd: resolve(cwd) };
  if (threadIds.length === 0) {
    throw new InvalidArgumentError('thread-id', 'give one or more thread ids, or --cwd <dir>');
  }
  return { threadIds: threadIds.map((id) => normalizeThreadId(id, 'thread-id')) };
}

/**
 * How a selection reads in a message: `3 threads`, or `the 3 threads of ~/src/app`.
 *
 * @example
 * ```ts
 * describeSelection({ cwd: '/home/me/src/app' }, 3); // 'the 3 threads of /home/me/src/app'
 * ```
 */
export function describeSelection(selection: MemoryThreadSelection, count: number): string {
  const threads = count === 1 ? '1 thread' : `${count} threads`;
  return selection.cwd !== undefined ? `the ${threads} of ${selection.cwd}` : threads;
}
