// `@agent-state/state/backend`: what a store backend other than SQLite (the PostgreSQL store of
// `@agent-state/postgres`) shares with the SQLite store. Rules, row shapes and argument checks live
// here once; each backend writes only its own SQL. Not for applications: they use the contract
// types of the main entry.

// Threads: the row shape (same column names in every backend) and its mapping.
export {
  THREAD_COLUMNS,
  THREAD_COLUMNS_WRITTEN,
  threadFromRow,
  threadToRow,
} from './threads/thread-row.js';
export type {
  StateDatabase,
  ThreadsTable,
  ThreadDynamicToolsTable,
  BackfillStateTable,
  JobsTable,
  Stage1OutputsTable,
  DiscrepanciesTable,
  SearchDocumentsTable,
  SearchThreadsTable,
  UsageRecordsTable,
  UsageThreadsTable,
} from './store/schema.js';

// Leases: the holder columns every owned lease records.
export { holderColumns, holderFromColumns } from './leases/lease-holder.js';
export type { LeaseHolderColumns } from './leases/lease-holder.js';
export { RELEASED_LEASE } from './leases/owned-lease.js';

// Threads: the checks of the thread repositories' arguments (every backend rejects the same
// input the same way), the source-kind patterns behind the `sources` filter, tools as rows.
export { checkedThread } from './indexing/thread-index-repository.js';
export {
  checkedAnchor,
  checkedPageSize,
  sortColumnOf,
  wholeSeconds,
} from './threads/threads-repository.js';
export { type SourceKindPattern, sourceKindPattern } from './threads/thread-source-kind.js';
export { toolRows } from './dynamic-tools/dynamic-tools-repository.js';

// Leases and memory jobs: the lease rules (as conditions any Kysely dialect runs, and for rows
// already read), argument checks, the job kinds, retries and running cap, the claim rules, and the
// rows of the backfill and the phase-2 job as the contract's objects.
export {
  isLeaseExpired,
  isLeaseLive,
  leaseIsFree,
  leaseIsLive,
  ownedBy,
} from './leases/owned-lease.js';
export {
  checkedCount,
  checkedNonNegative,
  checkedPositive,
  checkedSeconds,
  checkedText,
  checkedToken,
  checkedWorkerId,
} from './store/argument-checks.js';
export {
  BACKFILL_NO_HOLDER,
  type BackfillStateColumns,
  backfillCheckpointColumns,
  backfillGenerationColumn,
  backfillProgressColumns,
  backfillStateFromRow,
  checkedBackfillClaimOptions,
  initialBackfillState,
} from './backfill/backfill-state.js';
export {
  DEFAULT_RETRY_REMAINING,
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
  MAX_RUNNING_STAGE1_JOBS,
  MEMORY_CONSOLIDATION_JOB_KEY,
  type Phase2JobColumns,
  type CheckedStage1ClaimOptions,
  type CheckedStage1Success,
  type CheckedStage1TryClaim,
  type Stage1JobClaimColumns,
  checkedJobFailure,
  checkedListStage1Outputs,
  checkedMemoryMode,
  checkedMemoryThreadSelection,
  checkedStage1ClaimOptions,
  checkedStage1Success,
  checkedStage1TryClaim,
  finishedJobColumns,
  phase2ClaimDue,
  phase2JobState,
  stage1CandidateConditions,
  stage1ClaimRefusal,
  unknownMemoryThreads,
} from './memories/memory-jobs.js';
export { WATCH_JOB_KEY, WATCH_JOB_KIND } from './watch/watch-lease-row.js';

// Search: the documents as written (checked, their roles, the camel-case parts indexed beside
// the text), the words and stems SQLite's FTS5 tokenizer makes of a text (for a backend whose own
// full-text engine would make others), the checks of a search's options, the widening window of
// ranked matches, threads ranked and hits built from the rows read, and snippets.
export { checkedSearchDocument } from './search/search-document.js';
export { identifierParts, spellIdentifiers } from './search/identifier-parts.js';
export {
  cachedStemmer,
  foldText,
  forEachLexeme,
  forEachWord,
  porterStem,
  searchLexemes,
} from './search/search-lexemes.js';
export {
  type CheckedSearchOptions,
  type MatchedDocumentRow,
  RANKED_WINDOW,
  type ScoredMatch,
  type SearchFilters,
  assembleHits,
  checkedSearchOptions,
  rankThreads,
  rankWidening,
  shownDocuments,
} from './search/search-assembly.js';
export {
  CLOSE_MARK,
  OPEN_MARK,
  SNIPPET_WORDS,
  type Snippet,
  type WordSpan,
  buildSnippet,
  highlighted,
  searchWords,
} from './search/search-snippet.js';

// Usage: the records as written and read back, the checks of an aggregate's options, its groups,
// and which of a legacy fork's records are its parent's.
export {
  type CheckedUsageAggregate,
  QUARTER_HOUR_MS,
  USAGE_DIMENSIONS,
  type UsageGroupRow,
  type UsageMark,
  type UsageSequenceRow,
  checkedUsageAggregate,
  checkedUsageRecords,
  forkParentOf,
  inheritedMarks,
  usageGroupsFromRows,
  usageRecordFromRow,
  usageRecordRow,
} from './usage/usage-rules.js';
export { checkedUnixMs, checkedUpTo } from './store/argument-checks.js';
