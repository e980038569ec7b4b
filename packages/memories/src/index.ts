// Public API of @agent-state/memories: run the pipeline, configure its model, find and read what
// it wrote, the secret redaction it applies (transcript exports use it too), and the errors it
// raises. Everything else (prompts, schemas, caps, the file tools of the consolidation agent, the
// artifact writers) is internal.

export {
  type MemoriesProgress,
  INTERACTIVE_SOURCES,
  type RunMemoriesOptions,
  type RunMemoriesResult,
  runMemories,
} from './pipeline/run-memories.js';
export {
  type MemoriesModelConfig,
  type PhaseModel,
  type ReasoningEffort,
  type ResolveModelConfigInput,
  DEFAULT_MAX_MEMORY_BYTES,
  createModelClient,
  resolveMemoriesModelConfig,
} from './model/model-config.js';
export { type MemoryLayout, memoriesRoot, memoryLayout } from './layout/memory-layout.js';
export { type MemoryFilesStatus, memoryFilesStatus } from './layout/memory-files-status.js';
export {
  type ForgetMemoriesOptions,
  type ForgottenMemories,
  forgetMemories,
} from './forget/forget-memories.js';
export { type ReadMemorySummaryOptions, readMemorySummary } from './read-path.js';
export {
  type Stage1Memory,
  type Stage1NoMemory,
  Stage1OutputError,
  type Stage1ParseResult,
  normalizeRolloutSlug,
  parseStage1Output,
} from './phase1/parse-output.js';
export {
  ConsolidationAbortedError,
  ConsolidationAgentError,
  ConsolidationMaxTurnsError,
  ConsolidationModelError,
  ConsolidationOverCapError,
  type ConsolidationProgress,
  ConsolidationTimeoutError,
} from './phase2/consolidation-errors.js';
export { ConsolidationErrorCode, Stage1OutputErrorCode } from './errors/error-codes.js';
export { REDACTED, redactSecrets } from './phase1/redact-secrets.js';
