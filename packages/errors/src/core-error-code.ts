import { registerErrorCodes } from './error-table.js';

/**
 * The codes this package registers itself: `INTERNAL` (category `internal`), the code of
 * everything thrown that is not an agent-state error, as {@link toAgentStateError} wraps it.
 * Every other code belongs to the package that raises it (`ErrorCode` of `@agent-state/state`,
 * `SandboxErrorCode` of `@agent-state/sandbox-policy`, …).
 *
 * @example
 * ```ts
 * import { CoreErrorCode, toAgentStateError } from '@agent-state/errors';
 *
 * toAgentStateError(new TypeError('x is undefined')).code === CoreErrorCode.Internal; // true
 * ```
 */
export const CoreErrorCode = registerErrorCodes('@agent-state/errors', {
  Internal: {
    code: 'INTERNAL',
    category: 'internal',
    description:
      "Not one of agent-state's errors (a bug, an unforeseen failure), wrapped by `toAgentStateError`.",
  },
});

/**
 * One of the values of {@link CoreErrorCode}.
 *
 * @example
 * ```ts
 * const code: CoreErrorCode = CoreErrorCode.Internal;
 * ```
 */
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];
