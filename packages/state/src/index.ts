// Public API of @agent-state/state. Everything exported here is documented and stable;
// anything else is internal.

// The error table lives in @agent-state/errors; state re-exports it so that its users need one
// import for the store and its errors.
export {
  AgentStateError,
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ErrorCodeDefinition,
  type ErrorCodeInfo,
  errorCategory,
  errorCodeInfo,
  isAgentStateError,
  registerErrorCodes,
  registeredErrorCodes,
  toAgentStateError,
} from '@agent-state/errors';
export {
  ErrorCode,
  InvalidArgumentError,
  LeaseHeldError,
  LeaseLostError,
  NotFoundError,
  StoreBusyError,
  StoreCorruptError,
  StoreForeignError,
  StoreIoError,
  StoreTooNewError,
} from './errors.js';
export { type Clock, ManualClock, setClockTimer, systemClock, unixSeconds } from './clock.js';
export {
  type LeaseHolder,
  type LeaseHolderProbe,
  systemLeaseHolderProbe,
  timeBasedLeaseHolderProbe,
} from './leases/lease-holder.js';
export {
  type LeaseHeartbeat,
  type LeaseHeartbeatOptions,
  startLeaseHeartbeat,
} from './leases/lease-heartbeat.js';
export {
  type LogFields,
  type LogLevel,
  type LogRecord,
  type LogWriter,
  type Logger,
  LOG_LEVELS,
  createLogger,
  noopLogger,
} from './logger.js';
export {
  LOGS_DB_GENERATION,
  STATE_DB_GENERATION,
  logsDbFileName,
  stateDbFileName,
} from './paths/generations.js';
export { type ResolveHomeOptions, logsDbPath, resolveHome, stateDbPath } from './paths/home.js';
export { HOME_IDENTITY_FILE, type HomeIdentity, readHomeIdentity } from './paths/home-identity.js';
export {
  type AgentStateStore,
  type BackfillStore,
  type ChangeFeed,
  type DerivedRecords,
  type DiscrepancyStore,
  type DynamicToolStore,
  type IndexedThread,
  type MemoriesStore,
  type Phase2LockStore,
  type SearchStore,
  type Stage1JobStore,
  type StoreInfo,
  type ThreadChange,
  type ThreadIndexStore,
  type ThreadStore,
  type UsageStore,
  type WatchLeaseStore,
} from './contract/store-contract.js';
export { type WatchLeaseClaim } from './watch/watch-lease-repository.js';
export { type OpenStateStoreOptions, StateStore, openStateStore } from './store/state-store.js';
export {
  DEFAULT_APPROVAL_MODE,
  DEFAULT_SANDBOX_POLICY,
  type ThreadMetadata,
  type ThreadMetadataInput,
  type ThreadOrigin,
  buildThreadMetadata,
  diffThreadMetadata,
  isThreadId,
  normalizeThreadId,
} from './threads/thread-metadata.js';
export {
  THREAD_SOURCE_KINDS,
  type ThreadSourceKind,
  appServerSource,
  parseSourceKind,
  parseSourceKinds,
  sourceKindOf,
  sourceMatchesKinds,
} from './threads/thread-source-kind.js';
export {
  MAX_PAGE_SIZE,
  type ThreadAnchor,
  type ThreadSortKey,
  type ThreadsPage,
  type ThreadsPageOptions,
} from './threads/threads-repository.js';
export { type DynamicToolSpec } from './dynamic-tools/dynamic-tools-repository.js';
export {
  SEARCH_ROLES,
  type SearchDocument,
  type SearchDocumentKind,
  type SearchRole,
  roleOfKind,
} from './search/search-document.js';
export { type SearchQuery, parseSearchQuery } from './search/search-query.js';
export {
  MAX_SEARCH_LIMIT,
  type SearchCoverage,
  type SearchHit,
  type SearchMatch,
  type SearchOptions,
  type SearchPage,
} from './search/search-results.js';
export { SEARCH_INDEX_NAME } from './search/sqlite-search-index.js';
export {
  type UsageExclusion,
  type UsageRecord,
  type UsageSource,
  type UsageTokens,
} from './usage/usage-record.js';
export {
  type UsageAggregateOptions,
  type UsageCoverage,
  type UsageDimension,
  type UsageGroup,
  type UsageTotals,
} from './usage/usage-results.js';
export { USAGE_INDEX_NAME } from './usage/sqlite-usage-index.js';
export {
  type BackfillClaim,
  type BackfillClaimOptions,
  type BackfillLease,
  type BackfillProgressCounts,
  type BackfillRenewOptions,
  type BackfillState,
  type BackfillStatus,
} from './backfill/backfill-repository.js';
export {
  type ClaimStage1JobsOptions,
  type MarkStage1SucceededOptions,
  type Stage1Claim,
  type Stage1ClaimOutcome,
  type TryClaimStage1JobOptions,
} from './memories/stage1-jobs-repository.js';
export { type Phase2ClaimOutcome } from './memories/phase2-lock-repository.js';
export {
  type ForgetMemoriesResult,
  type MemoryJobCounts,
  type MemoryModeChange,
  type Phase2JobState,
  type Stage1JobCounts,
  type Stage1Output,
} from './memories/memories-repository.js';
export {
  type ListStage1OutputsOptions,
  type MemoryMode,
  type MemoryThreadSelection,
} from './memories/memory-jobs.js';
export {
  type Discrepancy,
  type DiscrepancyCount,
} from './discrepancies/discrepancies-repository.js';
export { LOG_LEVEL_NAMES, type LogEntry, type LogQuery, type LogRow } from './logs/log-entry.js';
export { type LogsTableShape } from './logs/logs-shape.js';
export { maxLogId, queryLogs } from './logs/log-query.js';
export {
  type LogsPruneResult,
  LogsStore,
  type OpenLogsStoreOptions,
  type PruneLogsOptions,
  openLogsDatabaseReadOnly,
  openLogsStore,
} from './logs/logs-store.js';
export { type LogSink, type LogSinkOptions, createLogSink } from './logs/log-sink.js';
export { type LogsHealth, type ReadLogsHealthOptions, readLogsHealth } from './logs/logs-health.js';
