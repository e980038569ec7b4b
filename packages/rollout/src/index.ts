// Public API of @agent-state/rollout: what a program needs to read, write, index, list and check
// the rollouts of a Codex home. Everything exported here is documented (with an example) and
// pinned in public-api.exports.txt; the other modules of the package are internal.

// Errors.
export { RolloutFileError } from './errors.js';
export { type ArchiveRefusal, ArchiveRefusedError } from './archive/archive-errors.js';

// The lines of a rollout, as read.
export {
  type SessionMeta,
  SessionMetaSchema,
  type SessionSource,
} from './protocol/session-meta.js';
export { type TurnContext, TurnContextSchema } from './protocol/turn-context.js';
export { type ResponseItem, ResponseItemSchema } from './protocol/response-item.js';
export { type EventMsg, EventMsgSchema } from './protocol/event-msg.js';
export {
  type Compacted,
  CompactedSchema,
  type LineProblem,
  type RolloutLine,
  parseRolloutLine,
} from './protocol/rollout-line.js';
export { type RolloutFileName, parseRolloutFileName } from './paths/rollout-paths.js';

// Reading one rollout.
export { type RolloutIssue } from './reader/rollout-issues.js';
export {
  type ReadRolloutOptions,
  type RolloutEntry,
  RolloutReader,
  loadRollout,
  readRollout,
} from './reader/rollout-reader.js';
export {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from './extract/extract-rollout.js';

// Indexing rollouts into a store.
export {
  type IndexRolloutsOptions,
  type IndexRolloutsResult,
  type RolloutToIndex,
  indexRollouts,
} from './indexer/index-rollouts.js';
export {
  type CollectProblem,
  type CollectedRollout,
  collectRollouts,
} from './backfill/collect-rollouts.js';
export {
  type BackfillFailure,
  type BackfillOutcome,
  type BackfillProgress,
  type BackfillResult,
  type RunBackfillOptions,
  runBackfill,
} from './backfill/run-backfill.js';
export {
  type ReconcileFinding,
  type ReconcileOptions,
  type ReconcileReason,
  type ReconcileReport,
  reconcile,
} from './reconcile/reconcile.js';

// Listing and finding threads.
export {
  type ListThreadsOptions,
  type ListedThread,
  type ThreadListPage,
  listThreads,
  toListedThread,
} from './listing/list-threads.js';
export { formatThreadCursor, parseThreadCursor } from './listing/thread-cursor.js';
export { type FindThreadOptions, type FoundThread, findThread } from './listing/find-thread.js';

// Archiving and naming threads.
export {
  type ArchiveMove,
  type ArchiveThreadOptions,
  archiveThread,
  unarchiveThread,
} from './archive/archive-thread.js';
export {
  type AppendThreadNameOptions,
  type FindThreadNameOptions,
  type SessionIndexEntry,
  appendThreadName,
  findThreadName,
  normalizeThreadName,
} from './archive/session-index.js';

// Deleting threads.
export {
  type DeleteThreadOptions,
  type ThreadDeletion,
  deleteThread,
} from './delete/delete-thread.js';
export { TRASH_SUBDIR, type TrashManifest } from './delete/trash.js';

// A live index.
export {
  WATCH_RESCAN_INTERVAL_MS,
  type WatchChange,
  type WatchHomeOptions,
  watchHome,
} from './watch/watch-home.js';

// Retention: compressing cold rollouts, emptying the trash, pruning our logs.
export {
  GC_COMPRESS_AFTER_MS,
  GC_TRASH_AFTER_MS,
  type GcReport,
  type RunGcOptions,
  runGc,
} from './gc/run-gc.js';

// Writing rollouts.
export { type EventPersistenceMode, type RolloutItemInput } from './recorder/persistence-policy.js';
export {
  type CreateRolloutRecorderOptions,
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

// Checking a home (what `agent-state doctor` reports).
export {
  type DoctorDiscrepancy,
  type DoctorProblem,
  type DoctorReport,
  type DoctorSeverity,
} from './doctor/doctor-report.js';
export { type HomeSizes, type RolloutSizes } from './doctor/home-sizes.js';
export { type InspectHomeOptions, inspectHome } from './doctor/inspect-home.js';
export {
  type InspectSharedStoreOptions,
  type SharedStoreHome,
  type SharedStoreReport,
  inspectSharedStore,
} from './doctor/inspect-shared-store.js';
export {
  type SearchCoverageReport,
  type SearchThreadsOptions,
  type SearchThreadsResult,
  type ThreadSearchHit,
  searchThreads,
} from './search/search-threads.js';
export { type ReindexOptions, type ReindexResult } from './indexer/reindex-threads.js';
export { reindexSearch } from './search/reindex-search.js';
export {
  type PricedUsage,
  type SummarizeUsageOptions,
  USAGE_REPORT_KINDS,
  type UsageReportKind,
  type UsageModelPart,
  type UsageRow,
  type UsageSummary,
  summarizeUsage,
} from './usage/summarize-usage.js';
export {
  type ModelPrice,
  OPENAI_PRICING,
  type PricingTable,
  costOf,
  loadPricingTable,
  priceOf,
} from './usage/pricing.js';
export {
  type ExplainUsageOptions,
  type ExplainedUsageRecord,
  type UsageExplanation,
  explainUsage,
} from './usage/explain-usage.js';
export { reindexUsage } from './usage/reindex-usage.js';
export { readThreadDocuments } from './search/thread-documents.js';
export {
  type ClippedText,
  TRANSCRIPT_VERSION,
  type Transcript,
  type TranscriptItem,
  TranscriptItemSchema,
  TranscriptSchema,
  type TranscriptTokens,
  type TranscriptTurn,
  TranscriptTurnSchema,
} from './transcript/transcript-schema.js';
export { type LoadTranscriptOptions, loadTranscript } from './transcript/load-transcript.js';
export { type TranscriptClipping } from './transcript/transcript-builder.js';
export { renderTranscriptMarkdown } from './transcript/transcript-markdown.js';
export { formatBytes } from './format/format-bytes.js';
export { formatCost } from './format/format-cost.js';
export { formatCount } from './format/format-count.js';
export { formatDuration } from './format/format-duration.js';
