// Public API of @agent-state/rollout.

export { RolloutFileError } from './errors.js';
export {
  type DynamicToolLine,
  DynamicToolLineSchema,
  type GitInfo,
  GitInfoSchema,
  type SessionMeta,
  SessionMetaSchema,
  type SessionMetaWrite,
  SessionMetaWriteSchema,
  type SessionSource,
  SessionSourceSchema,
  type ThreadSpawn,
  threadSpawnOf,
} from './protocol/session-meta.js';
export {
  type TurnContext,
  TurnContextSchema,
  type TurnContextWrite,
  TurnContextWriteSchema,
} from './protocol/turn-context.js';
export {
  type ContentItem,
  type MessagePhase,
  MessagePhaseSchema,
  type ResponseItem,
  ResponseItemSchema,
  type ResponseItemWrite,
  ResponseItemWriteSchema,
} from './protocol/response-item.js';
export {
  type EventMsg,
  EventMsgSchema,
  type EventMsgWrite,
  EventMsgWriteSchema,
  type ItemCompletedEvent,
  ItemCompletedEventSchema,
  type TokenCountEvent,
  TokenCountEventSchema,
  type UserMessageEvent,
  UserMessageEventSchema,
} from './protocol/event-msg.js';
export {
  type Compacted,
  CompactedSchema,
  KNOWN_LINE_TYPES,
  type KnownLineType,
  type LineProblem,
  type RolloutLine,
  type RolloutLineWrite,
  RolloutLineWriteSchema,
  parseRolloutLine,
} from './protocol/rollout-line.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  type RolloutIssue,
  type RolloutIssueKind,
} from './reader/rollout-issues.js';
export {
  type ReadRolloutOptions,
  type RolloutEntry,
  RolloutReader,
  loadRollout,
  readRollout,
} from './reader/rollout-reader.js';
export {
  DEFAULT_MODEL_PROVIDER,
  MetadataApplier,
  PAGINATED_DEFAULT_SANDBOX_POLICY,
  builderFromSessionMeta,
  enumToString,
  subAgentFactsOf,
  userInputOfEvent,
} from './extract/metadata-applier.js';
export {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from './extract/extract-rollout.js';
export {
  type ExtractionOutcome,
  type IndexRolloutsOptions,
  type IndexRolloutsResult,
  type RolloutToIndex,
  extractRollouts,
  indexEntry,
  indexRollouts,
  writeIndexed,
} from './indexer/index-rollouts.js';
export {
  IMAGE_ONLY_PREVIEW,
  USER_MESSAGE_BEGIN,
  type UserInput,
  stripUserMessagePrefix,
} from './extract/user-message.js';
export {
  formatLineTimestamp,
  formatRfc3339Seconds,
  parseRolloutTimestamp,
} from './extract/timestamps.js';
export {
  ARCHIVED_SESSIONS_SUBDIR,
  COMPRESSED_ROLLOUT_SUFFIX,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  type RolloutFileName,
  SESSIONS_SUBDIR,
  homeRolloutsMatcher,
  isCompressedRolloutPath,
  isInHomeRollouts,
  isRolloutFileName,
  plainRolloutPath,
  newRolloutLocation,
  parseRolloutFileName,
  rolloutDateParts,
  rolloutWatermark,
} from './paths/rollout-paths.js';
export {
  type CollectProblem,
  type CollectedRollout,
  collectRollouts,
} from './backfill/collect-rollouts.js';
export {
  BACKFILL_BATCH_SIZE,
  BACKFILL_LEASE_SECONDS,
  type BackfillFailure,
  type BackfillOutcome,
  type BackfillProgress,
  type BackfillResult,
  type RunBackfillOptions,
  runBackfill,
} from './backfill/run-backfill.js';
export {
  BACKFILL_GENERATION,
  type UnindexedRollouts,
  findUnindexedRollouts,
} from './backfill/unindexed-rollouts.js';
export { type ArchiveRefusal, ArchiveRefusedError } from './archive/archive-errors.js';
export {
  type ArchiveMove,
  type ArchiveThreadOptions,
  archiveThread,
  unarchiveThread,
} from './archive/archive-thread.js';
export {
  type AppendThreadNameOptions,
  type FindThreadIdByNameOptions,
  type FindThreadNameOptions,
  type ReadThreadNamesOptions,
  SESSION_INDEX_FILE,
  type SessionIndexEntry,
  appendThreadName,
  findThreadIdByName,
  findThreadName,
  normalizeThreadName,
  readThreadNames,
} from './archive/session-index.js';
export { formatThreadCursor, parseThreadCursor } from './listing/thread-cursor.js';
export {
  HEAD_RECORD_LIMIT,
  type HeadSummary,
  type ReadHeadSummaryOptions,
  USER_EVENT_SCAN_LIMIT,
  readHeadSummary,
} from './listing/head-summary.js';
export {
  DEFAULT_MAX_SCAN_FILES,
  type ListThreadFilesOptions,
  type ThreadFileItem,
  type ThreadFilesPage,
  listThreadFiles,
} from './listing/file-listing.js';
export { type FindRolloutFileOptions, findRolloutFileById } from './paths/find-rollout-file.js';
export {
  type EventPersistenceMode,
  PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES,
  type RolloutItemInput,
  filterRolloutItems,
  isPersistedResponseItem,
  isPersistedRolloutItem,
  persistedEventTypes,
  sanitizeEventMsg,
  shouldPersistEventMsg,
} from './recorder/persistence-policy.js';
export {
  type CreateRolloutRecorderOptions,
  DEFAULT_RECORDER_QUEUE_CAPACITY,
  type ForkRolloutRecorderOptions,
  type ResumeRolloutRecorderOptions,
  type RolloutGitInfo,
  RolloutRecorder,
  type RolloutRecorderOptions,
  type RolloutRecorderStore,
} from './recorder/rollout-recorder.js';
export {
  type MaterializeRolloutOptions,
  materializeRollout,
} from './recorder/materialize-rollout.js';
export {
  ExtendedEventMsgWriteSchema,
  ExtraResponseItemWriteSchema,
  type RecorderLineWrite,
} from './recorder/write-line.js';
export {
  type ListThreadsOptions,
  type ListedThread,
  type ThreadListPage,
  listThreads,
  toListedThread,
} from './listing/list-threads.js';
export { type FindThreadOptions, type FoundThread, findThread } from './listing/find-thread.js';
export {
  type ReconcileFinding,
  type ReconcileOptions,
  type ReconcileReason,
  type ReconcileReport,
  reconcile,
} from './reconcile/reconcile.js';
export {
  type DoctorDiscrepancy,
  type DoctorProblem,
  type DoctorReport,
  type DoctorSeverity,
} from './doctor/doctor-report.js';
export { type InspectHomeOptions, inspectHome } from './doctor/inspect-home.js';
