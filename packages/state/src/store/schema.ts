import type { Generated } from 'kysely';

/**
 * Row of `threads`: the original columns of Codex's `threads` table (its `state_5.sqlite` of early 2026), same names and meanings, then
 * the sub-agent and fork facts (`thread_source`, `agent_nickname`, `agent_role` as Codex 0.169
 * names them; `parent_thread_id` and `forked_from_id` ours).
 */
export interface ThreadsTable {
  id: string;
  rollout_path: string;
  created_at: number;
  updated_at: number;
  source: string;
  model_provider: string;
  cwd: string;
  title: string;
  sandbox_policy: string;
  approval_mode: string;
  tokens_used: number;
  /** Kept for compatibility; never read or written, always 0 (as in Codex). */
  has_user_event: Generated<number>;
  archived: number;
  archived_at: number | null;
  git_sha: string | null;
  git_branch: string | null;
  git_origin_url: string | null;
  cli_version: string;
  first_user_message: string;
  thread_source: string | null;
  agent_nickname: string | null;
  agent_role: string | null;
  parent_thread_id: string | null;
  forked_from_id: string | null;
  /** `enabled` or `disabled` (migration 10): whether phase 1 may extract the thread's memory. */
  memory_mode: Generated<string>;
}

/** Row of `thread_dynamic_tools`. */
export interface ThreadDynamicToolsTable {
  thread_id: string;
  position: number;
  name: string;
  description: string;
  input_schema: string;
}

/** The single row of `backfill_state` (id = 1). */
export interface BackfillStateTable {
  id: number;
  status: string;
  last_watermark: string | null;
  last_success_at: number | null;
  updated_at: number;
  ownership_token: string | null;
  lease_until: number | null;
  /** `os.hostname()` of the lease holder (migration 4; `NULL` before). */
  holder_host: string | null;
  /** Pid of the lease holder. */
  holder_pid: number | null;
  /** Start time of the lease holder's process (opaque, see `processStartTime`). */
  holder_started_at: string | null;
  /** When the current lease was claimed, unix seconds. */
  claimed_at: number | null;
  /** Rollouts the holder has indexed so far, earlier runs included. */
  progress_done: number | null;
  /** Rollouts the holder's run found in the home. */
  progress_total: number | null;
  /**
   * Generation of the collection rules the watermark and `complete` refer to (migration 5;
   * `1` for rows written before it). See `BackfillState.generation`.
   */
  generation: Generated<number>;
}

/** Row of `jobs` (memory stage-1 jobs and the phase-2 global lock). */
export interface JobsTable {
  kind: string;
  job_key: string;
  status: string;
  worker_id: string | null;
  ownership_token: string | null;
  started_at: number | null;
  finished_at: number | null;
  lease_until: number | null;
  retry_at: number | null;
  retry_remaining: number;
  last_error: string | null;
  input_watermark: number | null;
  last_success_watermark: number | null;
  /** `os.hostname()` of the lease holder (migration 4; `NULL` before). */
  holder_host: string | null;
  /** Pid of the lease holder. */
  holder_pid: number | null;
  /** Start time of the lease holder's process (opaque, see `processStartTime`). */
  holder_started_at: string | null;
}

/** Row of `stage1_outputs`. */
export interface Stage1OutputsTable {
  thread_id: string;
  source_updated_at: number;
  raw_memory: string;
  rollout_summary: string;
  rollout_slug: string | null;
  generated_at: number;
}

/** Row of `discrepancies`: how often each kind of store/rollout disagreement was seen. */
export interface DiscrepanciesTable {
  stage: string;
  reason: string;
  count: number;
  first_seen_at: number;
  last_seen_at: number;
  last_thread_id: string | null;
  last_path: string | null;
}

/**
 * Row of `search_documents` (migration 6): one searchable piece of a conversation. Its words are
 * indexed by the FTS5 table `search_fts` (external content: `text` and `parts` are read from
 * here), kept in step by triggers.
 */
export interface SearchDocumentsTable {
  id: Generated<number>;
  thread_id: string;
  /** `SearchDocumentKind`. */
  kind: string;
  /** `SearchRole`, from the kind. */
  role: string;
  turn_id: string | null;
  /** Unix milliseconds. */
  time_ms: number;
  /** 1-based line in the rollout. */
  line: number;
  ordinal: number | null;
  text: string;
  /** The camel-case identifiers of `text` spelled as words (see `identifierParts`), or `''`. */
  parts: string;
}

/**
 * Row of `search_threads` (migration 6): a thread whose documents the index holds (possibly
 * none). A thread without a row was never indexed for search: the index does not cover it.
 */
export interface SearchThreadsTable {
  thread_id: string;
  documents: number;
  /** Unix seconds. */
  indexed_at: number;
}

/**
 * The FTS5 table `search_fts` (migration 6) as queries see it: its columns, `rowid` (a
 * `search_documents.id`), the hidden `rank` (BM25, smaller is better) and the column named like
 * the table that `MATCH` takes.
 */
export interface SearchFtsTable {
  rowid: number;
  rank: number;
  text: string;
  parts: string;
  search_fts: string;
}

/**
 * Row of `usage_records` (migration 8): a model call that counts (`excluded` null: a
 * `token_count` or `token_usage_record` line), or a line a legacy fork copied from its parent
 * (`excluded` `inherited`, `excluded_by` the thread that counts it).
 */
export interface UsageRecordsTable {
  thread_id: string;
  /** 1-based line in the rollout. */
  line: number;
  ordinal: number | null;
  /** Unix milliseconds. */
  time_ms: number;
  turn_id: string | null;
  model: string | null;
  /** `UsageSource`. */
  source: string;
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number | null;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  running_input_tokens: number | null;
  running_output_tokens: number | null;
  running_total_tokens: number | null;
  /** `UsageExclusion`, or null when counted. */
  excluded: string | null;
  excluded_by: string | null;
  /** The parent of a legacy fork, whose copied lines are matched against its records. */
  forked_from_id: string | null;
}

/**
 * Row of `usage_threads` (migration 8): a thread whose usage records the index holds (possibly
 * none). A thread without a row was never indexed for usage.
 */
export interface UsageThreadsTable {
  thread_id: string;
  records: number;
  /** Unix seconds. */
  indexed_at: number;
}

/**
 * Row of `thread_changes` (migration 9): a thread and the sequence number of its last change
 * (kept by triggers on `threads` and `thread_dynamic_tools`; a deleted thread keeps its row).
 */
export interface ThreadChangesTable {
  thread_id: string;
  seq: number;
}

/** The single row of `thread_changes_feed` (id = 1, migration 9): the change feed's random id. */
export interface ThreadChangesFeedTable {
  id: number;
  /** 32 hex digits, made when the table was. */
  feed_id: string;
}

/** The tables of the state database, for Kysely. */
export interface StateDatabase {
  threads: ThreadsTable;
  thread_dynamic_tools: ThreadDynamicToolsTable;
  backfill_state: BackfillStateTable;
  jobs: JobsTable;
  stage1_outputs: Stage1OutputsTable;
  discrepancies: DiscrepanciesTable;
  search_documents: SearchDocumentsTable;
  search_threads: SearchThreadsTable;
  search_fts: SearchFtsTable;
  usage_records: UsageRecordsTable;
  usage_threads: UsageThreadsTable;
  thread_changes: ThreadChangesTable;
  thread_changes_feed: ThreadChangesFeedTable;
}
