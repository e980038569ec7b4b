// Public API of @agent-state/errors: the one error table of agent-state. Everything exported here
// is documented and stable; anything else is internal. This package has no dependencies, so that
// any package (the state store as much as a small one such as @agent-state/sandbox-policy) can
// raise errors the table knows.

export { AgentStateError, isAgentStateError } from './agent-state-error.js';
export { CoreErrorCode } from './core-error-code.js';
export {
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ErrorCodeDefinition,
  type ErrorCodeInfo,
  errorCodeInfo,
  registerErrorCodes,
  registeredErrorCodes,
} from './error-table.js';
export { errorCategory, toAgentStateError } from './to-agent-state-error.js';
