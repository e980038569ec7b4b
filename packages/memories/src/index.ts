// Public API of @agent-state/memories.

export {
  type MemoriesProgress,
  INTERACTIVE_SOURCES,
  MEMORIES_DEFAULTS,
  type RunMemoriesOptions,
  type RunMemoriesResult,
  runMemories,
} from './pipeline/run-memories.js';
export { type Stage1Outcome, extractStage1 } from './pipeline/extract-stage1.js';
export {
  DEFAULT_CONSOLIDATION_MODEL,
  DEFAULT_EXTRACT_MODEL,
  type MemoriesModelConfig,
  type PhaseModel,
  type ReasoningEffort,
  type ResolveModelConfigInput,
  createModelClient,
  resolveMemoriesModelConfig,
} from './model/model-config.js';
export {
  LEGACY_USER_MEMORY_DIR,
  type LegacyMigrationResult,
  MEMORIES_DIR,
  MEMORY_FILE,
  MEMORY_SUMMARY_FILE,
  type MemoryLayout,
  type MigrateLegacyUserMemoryOptions,
  RAW_MEMORIES_FILE,
  ROLLOUT_SUMMARIES_DIR,
  SKILLS_DIR,
  memoriesRoot,
  memoryLayout,
  migrateLegacyUserMemory,
} from './layout/memory-layout.js';
export {
  APPROX_BYTES_PER_TOKEN,
  DEFAULT_MEMORY_SUMMARY_MAX_TOKENS,
  type ReadMemorySummaryOptions,
  estimateTokens,
  readMemorySummary,
} from './read-path.js';
export {
  type Phase1ArtifactsChanges,
  type RebuildPhase1ArtifactsOptions,
  type Stage1OutputLike,
  formatRawMemoriesFile,
  formatRolloutSummaryFile,
  rebuildPhase1Artifacts,
} from './artifacts/phase1-artifacts.js';
export {
  type BuildStage1InputOptions,
  DEFAULT_STAGE1_MAX_INPUT_BYTES,
  type Stage1Input,
  buildStage1Input,
} from './phase1/rollout-input.js';
export {
  MAX_RAW_MEMORY_BYTES,
  MAX_ROLLOUT_SLUG_CHARS,
  MAX_ROLLOUT_SUMMARY_BYTES,
  type Stage1Memory,
  type Stage1NoMemory,
  Stage1OutputError,
  type Stage1ParseResult,
  normalizeRolloutSlug,
  parseStage1Output,
} from './phase1/parse-output.js';
export {
  STAGE1_OUTPUT_SCHEMA,
  STAGE1_OUTPUT_SCHEMA_NAME,
  STAGE1_TEXT_FORMAT,
} from './phase1/output-schema.js';
export { STAGE1_INSTRUCTIONS, STAGE1_PROMPT_VERSION } from './phase1/prompts.js';
export { REDACTED, redactSecrets } from './phase1/redact-secrets.js';
export {
  DEFAULT_MEMORY_FILE_TOOL_LIMITS,
  MEMORY_FILE_TOOL_DEFINITIONS,
  type MemoryFileToolLimits,
  type MemoryFileToolName,
  type MemoryFileToolResult,
  type MemoryFileTools,
  type MemoryFileToolsOptions,
  createMemoryFileTools,
} from './phase2/file-tools.js';
export { WRITABLE_MEMORY_FILES, isWritableMemoryPath } from './phase2/memory-paths.js';
export {
  CONSOLIDATION_INSTRUCTIONS,
  type ConsolidationPromptOptions,
  buildConsolidationPrompt,
} from './phase2/consolidation-prompt.js';
export {
  CONSOLIDATION_AGENT_DEFAULTS,
  type ConsolidationAgentResult,
  type RunConsolidationAgentOptions,
  runConsolidationAgent,
} from './phase2/consolidation-agent.js';
export {
  ConsolidationAbortedError,
  ConsolidationAgentError,
  ConsolidationMaxTurnsError,
  ConsolidationModelError,
  type ConsolidationProgress,
  ConsolidationTimeoutError,
} from './phase2/consolidation-errors.js';
export { ConsolidationErrorCode, Stage1OutputErrorCode } from './errors/error-codes.js';
