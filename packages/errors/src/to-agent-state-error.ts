import { AgentStateError, isAgentStateError } from './agent-state-error.js';
import { CoreErrorCode } from './core-error-code.js';
import { type ErrorCategory, errorCodeInfo } from './error-table.js';

/**
 * The one classifier of thrown values: an agent-state error (of any package) is returned as it
 * is; anything else (a bug, a third-party error, a thrown string) is wrapped as an
 * `AgentStateError` with code `INTERNAL` (category `internal`), the same message, and the
 * original as `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await run();
 * } catch (thrown) {
 *   const error = toAgentStateError(thrown);
 *   logger.error(error.message, { code: error.code });
 * }
 * ```
 */
export function toAgentStateError(error: unknown): AgentStateError {
  if (isAgentStateError(error)) return error;
  return new AgentStateError(CoreErrorCode.Internal, messageOf(error), { cause: error });
}

/** The message of anything thrown; never throws (`String` does on an object without prototype). */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * The {@link ErrorCategory} of a thrown value: its code's category when it is an agent-state error
 * of a registered code, else `internal`.
 *
 * @example
 * ```ts
 * errorCategory(new StoreBusyError(path)); // 'store' (an error of `@agent-state/state`)
 * errorCategory(new TypeError('x is undefined')); // 'internal'
 * ```
 */
export function errorCategory(error: unknown): ErrorCategory {
  return errorCodeInfo(toAgentStateError(error).code)?.category ?? 'internal';
}
