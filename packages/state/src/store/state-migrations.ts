import type { Migration } from '../sqlite/migrator.js';

// SQLite DDL of the state database. The table and column names are Codex's (
// `state_5.sqlite` of early 2026) so data and queries carry over; `backfill_state` adds a fencing
// token and an explicit lease deadline, `stage1_outputs` carries `rollout_slug` from the start.

const threads = `
CREATE TABLE threads (
  id TEXT PRIMARY KEY,
  rollout_path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  model_provider TEXT NOT NULL,
  cwd TEXT NOT NULL,
  title TEXT NOT NULL,
  sandbox_policy TEXT NOT NULL,
  approval_mode TEXT NOT NULL,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  has_user_event INTEGER NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0,
  archived_at INTEGER,
  git_sha TEXT,
  git_branch TEXT,
  git_origin_url TEXT,
  cli_version TEXT NOT NULL DEFAULT '',
  first_user_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_threads_archived_created_at ON threads(archived, created_at DESC, id DESC);
CREATE INDEX idx_threads_archived_updated_at ON threads(archived, updated_at DESC, id DESC);
CREATE INDEX idx_threads_archived_cwd_created_at ON threads(archived, cwd, created_at DESC, id DESC);
CREATE INDEX idx_threads_archived_cwd_updated_at ON threads(archived, cwd, updated_at DESC, id DESC);
`;

const dynamicTools = `
CREATE TABLE thread_dynamic_tools (
  thread_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  input_schema TEXT NOT NULL,
  PRIMARY KEY (thread_id, position),
  FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
`;

const backfill = `
CREATE TABLE backfill_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  status TEXT NOT NULL,
  last_watermark TEXT,
  last_success_at INTEGER,
  updated_at INTEGER NOT NULL,
  ownership_token TEXT,
  lease_until INTEGER
);
`;

const memories = `
CREATE TABLE jobs (
  kind TEXT NOT NULL,
  job_key TEXT NOT NULL,
  status TEXT NOT NULL,
  worker_id TEXT,
  ownership_token TEXT,
  started_at INTEGER,
  finished_at INTEGER,
  lease_until INTEGER,
  retry_at INTEGER,
  retry_remaining INTEGER NOT NULL,
  last_error TEXT,
  input_watermark INTEGER,
  last_success_watermark INTEGER,
  PRIMARY KEY (kind, job_key)
);
CREATE INDEX idx_jobs_kind_status_retry_lease ON jobs(kind, status, retry_at, lease_until);

CREATE TABLE stage1_outputs (
  thread_id TEXT PRIMARY KEY,
  source_updated_at INTEGER NOT NULL,
  raw_memory TEXT NOT NULL,
  rollout_summary TEXT NOT NULL,
  rollout_slug TEXT,
  generated_at INTEGER NOT NULL,
  FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE
);
CREATE INDEX idx_stage1_outputs_source_updated_at ON stage1_outputs(source_updated_at DESC, thread_id DESC);
`;

const discrepancies = `
CREATE TABLE discrepancies (
  stage TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  last_thread_id TEXT,
  last_path TEXT,
  PRIMARY KEY (stage, reason)
);
`;

// Sub-agent and fork facts of Codex 0.169 threads. Rows written before it get what their
// `source` tells (a spawned sub-agent's parent, nickname and role); the rest (`thread_source`,
// `forked_from_id`) is NULL until the thread is indexed again (`agent-state reconcile --repair`).
const threadSubagentColumns = `
ALTER TABLE threads ADD COLUMN thread_source TEXT;
ALTER TABLE threads ADD COLUMN agent_nickname TEXT;
ALTER TABLE threads ADD COLUMN agent_role TEXT;
ALTER TABLE threads ADD COLUMN parent_thread_id TEXT;
ALTER TABLE threads ADD COLUMN forked_from_id TEXT;
UPDATE threads SET
  parent_thread_id = lower(json_extract(source, '$.subagent.thread_spawn.parent_thread_id')),
  agent_nickname = json_extract(source, '$.subagent.thread_spawn.agent_nickname'),
  agent_role = json_extract(source, '$.subagent.thread_spawn.agent_role')
WHERE source >= '{"subagent":{"thread_spawn":' AND source < '{"subagent":{"thread_spawn";'
  AND json_valid(source);
CREATE INDEX idx_threads_archived_source ON threads(archived, source);
CREATE INDEX idx_threads_parent_thread_id ON threads(parent_thread_id, created_at, id)
  WHERE parent_thread_id IS NOT NULL;
`;

// Who holds each lease (host, pid, process start time), so a claimant on the same host takes a
// dead holder's lease over at once instead of waiting for it to run out; and, for the backfill,
// when the lease was claimed and how far the holder got (shown to a process that waits for it).
const leaseHolders = `
ALTER TABLE backfill_state ADD COLUMN holder_host TEXT;
ALTER TABLE backfill_state ADD COLUMN holder_pid INTEGER;
ALTER TABLE backfill_state ADD COLUMN holder_started_at TEXT;
ALTER TABLE backfill_state ADD COLUMN claimed_at INTEGER;
ALTER TABLE backfill_state ADD COLUMN progress_done INTEGER;
ALTER TABLE backfill_state ADD COLUMN progress_total INTEGER;
ALTER TABLE jobs ADD COLUMN holder_host TEXT;
ALTER TABLE jobs ADD COLUMN holder_pid INTEGER;
ALTER TABLE jobs ADD COLUMN holder_started_at TEXT;
`;

// Which rules collected the rollouts the backfill's progress refers to. A backfill completed by a
// release that did not read compressed rollouts (generation 1, the default for existing rows) is
// completed again by a newer one, which indexes only the rollouts missing from the store.
const backfillGeneration = `
ALTER TABLE backfill_state ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
`;

// Full-text search over conversations. Documents are plain rows (deleted by thread through an
// index); `search_fts` indexes their words: FTS5 with external content (the text is stored
// once), Porter stemming over Unicode words, and an index of 3-character prefixes (a short prefix
// such as `tok*` would otherwise merge hundreds of words' lists). The store's writer indexes the
// rows it inserts (a trigger per row costs four times as much); a trigger takes the words of a
// deleted row out, whoever deletes it. A thread's documents and its coverage row go when the
// thread row goes. Threads indexed before this migration have no coverage row: the index does
// not cover them until they are indexed again.
const search = `
CREATE TABLE search_documents (
  id INTEGER PRIMARY KEY,
  thread_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  role TEXT NOT NULL,
  turn_id TEXT,
  time_ms INTEGER NOT NULL,
  line INTEGER NOT NULL,
  ordinal INTEGER,
  text TEXT NOT NULL,
  parts TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_search_documents_thread ON search_documents(thread_id, line);
-- What a search reads of every matching document, in a narrow index: filters and ranking never
-- touch the wide rows.
CREATE INDEX idx_search_documents_match ON search_documents(id, thread_id, role, time_ms);
CREATE VIRTUAL TABLE search_fts USING fts5(
  text, parts,
  content = 'search_documents', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2', prefix = '3'
);
CREATE TRIGGER search_documents_delete AFTER DELETE ON search_documents BEGIN
  INSERT INTO search_fts(search_fts, rowid, text, parts) VALUES ('delete', old.id, old.text, old.parts);
END;
CREATE TABLE search_threads (
  thread_id TEXT PRIMARY KEY,
  documents INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER threads_delete_search AFTER DELETE ON threads BEGIN
  DELETE FROM search_documents WHERE thread_id = old.id;
  DELETE FROM search_threads WHERE thread_id = old.id;
END;
`;

// What a search reads of each matching thread to apply its filters, in a narrow index: checking a
// thousand matching threads then never reads their wide rows.
const searchThreadFilters = `
CREATE INDEX idx_threads_search ON threads(id, archived, cwd, source);
`;

// Usage: one row per model call that counts (a `token_count` or `token_usage_record` line), and
// per line a legacy fork copied from its parent (`excluded = 'inherited'`, `excluded_by` the thread
// that counts it), clustered by thread and line. Repeats and duplicates are not stored:
// `usage --explain` reads them from the rollout. Sums read a partial index of the counted rows
// that holds all they need. A legacy fork's rows name its parent (`forked_from_id`): the writer
// matches the fork's copied lines against the parent's rows, whichever is written first. When the
// thread that counts a fork's copies goes, the copies count again.
const usage = `
CREATE TABLE usage_records (
  thread_id TEXT NOT NULL,
  line INTEGER NOT NULL,
  ordinal INTEGER,
  time_ms INTEGER NOT NULL,
  turn_id TEXT,
  model TEXT,
  source TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cache_write_input_tokens INTEGER,
  output_tokens INTEGER NOT NULL,
  reasoning_output_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  running_input_tokens INTEGER,
  running_output_tokens INTEGER,
  running_total_tokens INTEGER,
  excluded TEXT,
  excluded_by TEXT,
  forked_from_id TEXT,
  PRIMARY KEY (thread_id, line)
) WITHOUT ROWID;
CREATE INDEX idx_usage_records_counted ON usage_records(
  time_ms, thread_id, model, input_tokens, cached_input_tokens, cache_write_input_tokens,
  output_tokens, reasoning_output_tokens, total_tokens
) WHERE excluded IS NULL;
CREATE INDEX idx_usage_records_forked_from ON usage_records(forked_from_id) WHERE forked_from_id IS NOT NULL;
CREATE INDEX idx_usage_records_inherited ON usage_records(excluded_by) WHERE excluded = 'inherited';
CREATE TABLE usage_threads (
  thread_id TEXT PRIMARY KEY,
  records INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER threads_delete_usage AFTER DELETE ON threads BEGIN
  DELETE FROM usage_records WHERE thread_id = old.id;
  DELETE FROM usage_threads WHERE thread_id = old.id;
  UPDATE usage_records SET excluded = NULL, excluded_by = NULL
    WHERE excluded = 'inherited' AND excluded_by = old.id;
END;
`;

/**
 * The triggers that number each insert, update and delete of `table` as a change of the thread
 * whose id is in `column` (see `threadChanges`).
 */
function changeTriggers(table: string, column: string): string {
  return (['insert', 'update', 'delete'] as const)
    .map((event) => {
      const row = event === 'delete' ? 'old' : 'new';
      return `CREATE TRIGGER ${table}_${event}_change AFTER ${event.toUpperCase()} ON ${table} BEGIN
  INSERT INTO thread_changes (thread_id, seq)
    VALUES (${row}.${column}, coalesce((SELECT max(seq) FROM thread_changes), 0) + 1)
    ON CONFLICT (thread_id) DO UPDATE SET seq = excluded.seq;
END;`;
    })
    .join('\n');
}

// The change feed: which threads changed, in commit order. A thread's row in `thread_changes`
// holds the sequence number of its last change: of its row (written, archived, renamed, deleted)
// or of its dynamic tools. Which derived indexes cover a thread changes with its row only (the
// indexer writes the coverage rows with the thread row, in one transaction; they go when it
// goes), so the triggers on `threads` see those changes too. No trigger sits on a table the
// indexer writes after the search index's FTS5 table in a transaction: a statement that fires a
// trigger opens a statement journal, which makes FTS5 flush the words it holds in memory, and
// flushed thread by thread a backfill takes half as long again (the indexer writes every row and
// its tools first). SQLite has one writer at a time, so numbers are taken in commit order and
// every read sees all the changes up to some number: a reader that remembers the highest number
// it saw (`head`) finds every later change above it. A deleted thread keeps its row (the reader
// finds the id and no thread). `thread_changes_feed` names the feed with a random id made here, so
// that a store rebuilt or recreated (whose numbers start again) is known for another feed. The
// threads already stored are the feed's first changes, in id order.
const threadChanges = `
CREATE TABLE thread_changes (
  thread_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX idx_thread_changes_seq ON thread_changes(seq);
CREATE TABLE thread_changes_feed (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  feed_id TEXT NOT NULL
);
INSERT INTO thread_changes_feed (id, feed_id) VALUES (1, lower(hex(randomblob(16))));
INSERT INTO thread_changes (thread_id, seq) SELECT id, row_number() OVER (ORDER BY id) FROM threads;
${changeTriggers('threads', 'id')}
${changeTriggers('thread_dynamic_tools', 'thread_id')}
`;

// Memory opt-out (Codex's `threads.memory_mode`): a thread whose mode is `disabled` is never
// extracted by phase 1 and its stored output, if any, no longer feeds phase 2. The mode is the
// person's choice, not the rollout's: the indexer's upserts leave it as it is.
const threadMemoryMode = `
ALTER TABLE threads ADD COLUMN memory_mode TEXT NOT NULL DEFAULT 'enabled';
`;

/**
 * Migrations of the state database, in order. Released migrations are never edited: add a new one.
 */
export const STATE_MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, name: '0001_initial', sql: threads + dynamicTools + backfill + memories },
  { version: 2, name: '0002_discrepancies', sql: discrepancies },
  { version: 3, name: '0003_thread_subagent_columns', sql: threadSubagentColumns },
  { version: 4, name: '0004_lease_holders', sql: leaseHolders },
  { version: 5, name: '0005_backfill_generation', sql: backfillGeneration },
  { version: 6, name: '0006_search', sql: search },
  { version: 7, name: '0007_search_thread_filters', sql: searchThreadFilters },
  { version: 8, name: '0008_usage', sql: usage },
  { version: 9, name: '0009_thread_changes', sql: threadChanges },
  { version: 10, name: '0010_thread_memory_mode', sql: threadMemoryMode },
]);
