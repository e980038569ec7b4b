import { errorCodeInfo } from './error-table.js';

/**
 * Base class of every error agent-state throws on purpose, in every package. It carries a stable
 * code, registered with its category in the error table ({@link registerErrorCodes}), and, when
 * relevant, the path of the file the error is about.
 *
 * @example
 * ```ts
 * throw new AgentStateError(ErrorCode.NotFound, 'thread 0199… not found');
 * ```
 */
export class AgentStateError<Code extends string = string> extends Error {
  /** Stable machine-readable code (see {@link errorCodeInfo}). */
  readonly code: Code;
  /** The file the error is about, when there is one. */
  readonly path: string | undefined;

  /**
   * `options.path` names the file the error is about; `options.cause` becomes `error.cause`.
   *
   * @example
   * ```ts
   * throw new AgentStateError(ErrorCode.StoreIo, 'cannot write the store', { path, cause: error });
   * ```
   */
  constructor(
    code: Code,
    message: string,
    options: { path?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
  }
}

/**
 * True when `error` is an {@link AgentStateError}: an instance, or (for the errors of another copy
 * of this package in the process) an `Error` whose `code` is registered in the error table.
 *
 * @example
 * ```ts
 * if (isAgentStateError(error) && error.code === ErrorCode.StoreCorrupt) offerRecovery();
 * ```
 */
export function isAgentStateError(error: unknown): error is AgentStateError {
  if (error instanceof AgentStateError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && errorCodeInfo(code) !== undefined;
}
