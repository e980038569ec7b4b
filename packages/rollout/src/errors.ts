import { AgentStateError, type ErrorCode } from '@agent-state/state';

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
    options: { line?: number; cause?: unknown } = {},
  ) {
    const where = options.line === undefined ? path : `${path}:${options.line}`;
    super(code, `${where}: ${problem}`, { path, cause: options.cause });
    this.line = options.line;
  }
}
