import { errorCodeInfo } from './error-table.js';

/**
 * Base class of every error agent-state throws on purpose, in every package. It carries a stable
 * code, registered with its category in the error table ({@link registerErrorCodes}), and, when
 * relevant, the path of the file the error is about.
 *
 * @example
 * ```ts
 * import { AgentStateError, registerErrorCodes } from '@agent-state/errors';
 *
 * const WidgetErrorCode = registerErrorCodes('@acme/widgets', {
 *   Jammed: { code: 'WIDGET_JAMMED', category: 'external-service', description: 'The widget jammed.' },
 * });
 * class WidgetJammedError extends AgentStateError<typeof WidgetErrorCode.Jammed> {
 *   constructor(widget: string) {
 *     super(WidgetErrorCode.Jammed, `widget ${widget} jammed`);
 *   }
 * }
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
   * throw new AgentStateError(WidgetErrorCode.Jammed, 'cannot feed the widget', { path, cause: error });
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
 * if (isAgentStateError(error) && error.code === WidgetErrorCode.Jammed) unjam();
 * ```
 */
export function isAgentStateError(error: unknown): error is AgentStateError {
  if (error instanceof AgentStateError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && errorCodeInfo(code) !== undefined;
}
