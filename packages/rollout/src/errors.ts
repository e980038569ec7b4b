import { AgentStateError, ErrorCode } from '@agent-state/state';

import { describeErrno } from './fs/errno.js';

/**
 * A rollout file that cannot be used: unreadable (`ROLLOUT_UNREADABLE`) or holding no usable
 * thread (`ROLLOUT_INVALID`). Names the file, and the line when one is to blame.
 *
 * @example
 * ```ts
 * try {
 *   extractRolloutMetadata(path, { defaultProvider: 'openai' });
 * } catch (error) {
 *   if (error instanceof RolloutFileError) console.warn(`${error.path}: ${error.message}`);
 * }
 * ```
 */
export class RolloutFileError extends AgentStateError {
  /** 1-based line number, when the problem is a line. */
  readonly line: number | undefined;
  /** Byte offset in the file (compressed bytes for a `.jsonl.zst`), when the problem has one. */
  readonly offset: number | undefined;

  /**
   * The message reads `<path>: <problem>`, or `<path>:<line>: <problem>` when `options.line` is
   * given; `path` and `cause` are kept on the error.
   *
   * @example
   * ```ts
   * throw new RolloutFileError(ErrorCode.RolloutInvalid, path, 'not JSON', { line: 3 });
   * // message: '<path>:3: not JSON', error.line === 3
   * ```
   */
  constructor(
    code: typeof ErrorCode.RolloutUnreadable | typeof ErrorCode.RolloutInvalid,
    path: string,
    problem: string,
    options: { line?: number; offset?: number; cause?: unknown } = {},
  ) {
    const where = options.line === undefined ? path : `${path}:${options.line}`;
    super(code, `${where}: ${problem}`, { path, cause: options.cause });
    this.line = options.line;
    this.offset = options.offset;
  }
}

/**
 * @internal The {@link RolloutFileError} (`ROLLOUT_UNREADABLE`) for a rollout that could not be
 * opened or read: names the file, says why in a few words (`permission denied`, `is a directory`,
 * …) and keeps the file system's error as `cause`. A `RolloutFileError` passes through unchanged.
 *
 * @example
 * ```ts
 * try {
 *   handle = await open(path, 'r');
 * } catch (error) {
 *   throw unreadableRollout(path, error); // '<path>: no such file'
 * }
 * ```
 */
export function unreadableRollout(path: string, error: unknown): RolloutFileError {
  if (error instanceof RolloutFileError) return error;
  return new RolloutFileError(ErrorCode.RolloutUnreadable, path, describeErrno(error), {
    cause: error,
  });
}
