// DDL of the PostgreSQL store. The tables are the SQLite store's (same names, columns and meanings,
// see `@agent-state/state`'s migrations), each keyed by `home_id` first: many homes on many
// machines share one server, and a home only ever writes its own rows. Times are unix seconds
// (`*_ms`: milliseconds) in `bigint`, which the pool reads back as numbers.

/** One forward-only step of the schema, run in a transaction. */
export interface PostgresMigration {
  version: number;
  name: string;
  sql: string;
}

const homes = `
CREATE TABLE homes (
  home_id text PRIMARY KEY,
  host text NOT NULL,
  home_path text NOT NULL,
  first_seen_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  last_sync_at bigint,
  synced_threads integer
);
CREATE INDEX homes_host ON homes (host);
`;

const threads = `
CREATE TABLE threads (
  home_id text NOT NULL REFERENCES homes (home_id) ON DELETE CASCADE,
  id text NOT NULL,
  rollout_path text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  source text NOT NULL,
  model_provider text NOT NULL,
  cwd text NOT NULL,
  title text NOT NULL,
  sandbox_policy text NOT NULL,
  approval_mode text NOT NULL,
  tokens_used bigint NOT NULL DEFAULT 0,
  has_user_event smallint NOT NULL DEFAULT 0,
  archived smallint NOT NULL DEFAULT 0,
  archived_at bigint,
  git_sha text,
  git_branch text,
  git_origin_url text,
  cli_version text NOT NULL DEFAULT '',
  first_user_message text NOT NULL DEFAULT '',
  thread_source text,
  agent_nickname text,
  agent_role text,
  parent_thread_id text,
  forked_from_id text,
  sync_fingerprint text,
  PRIMARY KEY (home_id, id)
);
-- Listings of one home, and across homes, newest first.
CREATE INDEX threads_home_created ON threads (home_id, archived, created_at DESC, id DESC);
CREATE INDEX threads_home_updated ON threads (home_id, archived, updated_at DESC, id DESC);
CREATE INDEX threads_home_cwd_created ON threads (home_id, archived, cwd, created_at DESC, id DESC);
CREATE INDEX threads_created ON threads (archived, created_at DESC, id DESC);
CREATE INDEX threads_updated ON threads (archived, updated_at DESC, id DESC);
CREATE INDEX threads_parent ON threads (home_id, parent_thread_id, created_at, id)
  WHERE parent_thread_id IS NOT NULL;

CREATE TABLE thread_dynamic_tools (
  home_id text NOT NULL,
  thread_id text NOT NULL,
  position integer NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  input_schema text NOT NULL,
  PRIMARY KEY (home_id, thread_id, position),
  FOREIGN KEY (home_id, thread_id) REFERENCES threads (home_id, id) ON DELETE CASCADE
);
`;

const leases = `
CREATE TABLE backfill_state (
  home_id text PRIMARY KEY REFERENCES homes (home_id) ON DELETE CASCADE,
  status text NOT NULL,
  last_watermark text,
  last_success_at bigint,
  updated_at bigint NOT NULL,
  ownership_token text,
  lease_until bigint,
  holder_host text,
  holder_pid integer,
  holder_started_at text,
  claimed_at bigint,
  progress_done integer,
  progress_total integer,
  generation integer NOT NULL DEFAULT 1
);

CREATE TABLE jobs (
  home_id text NOT NULL REFERENCES homes (home_id) ON DELETE CASCADE,
  kind text NOT NULL,
  job_key text NOT NULL,
  status text NOT NULL,
  worker_id text,
  ownership_token text,
  started_at bigint,
  finished_at bigint,
  lease_until bigint,
  retry_at bigint,
  retry_remaining integer NOT NULL,
  last_error text,
  input_watermark bigint,
  last_success_watermark bigint,
  holder_host text,
  holder_pid integer,
  holder_started_at text,
  PRIMARY KEY (home_id, kind, job_key)
);
CREATE INDEX jobs_kind_status ON jobs (home_id, kind, status, retry_at, lease_until);

CREATE TABLE stage1_outputs (
  home_id text NOT NULL,
  thread_id text NOT NULL,
  source_updated_at bigint NOT NULL,
  raw_memory text NOT NULL,
  rollout_summary text NOT NULL,
  rollout_slug text,
  generated_at bigint NOT NULL,
  PRIMARY KEY (home_id, thread_id),
  FOREIGN KEY (home_id, thread_id) REFERENCES threads (home_id, id) ON DELETE CASCADE
);
CREATE INDEX stage1_outputs_newest ON stage1_outputs (home_id, source_updated_at DESC, thread_id DESC);

CREATE TABLE discrepancies (
  home_id text NOT NULL REFERENCES homes (home_id) ON DELETE CASCADE,
  stage text NOT NULL,
  reason text NOT NULL,
  count integer NOT NULL,
  first_seen_at bigint NOT NULL,
  last_seen_at bigint NOT NULL,
  last_thread_id text,
  last_path text,
  PRIMARY KEY (home_id, stage, reason)
);
`;

// Search: PostgreSQL full text. Each document's words are a tsvector (`words`) indexed by GIN:
// the lexemes of its text and of the camel-case parts of its identifiers, which the writer builds
// as SQLite's FTS5 tokenizer makes them (`porter unicode61 remove_diacritics 2`, see
// `search/postgres-full-text.ts`) rather than the server's parser and dictionaries: the two stores
// find the same documents, and no text search configuration (so no stop word list) is involved.
// A thread's documents go with it by the trigger below rather than a foreign key, whose check of
// every inserted row would cost a batch of hundreds of thousands of documents (and of usage
// records) a fifth more; the writer only ever inserts them for threads it has just written, in
// the same transaction. Its coverage row (one per thread) keeps its foreign key.
const search = `
CREATE TABLE search_documents (
  home_id text NOT NULL,
  id bigserial PRIMARY KEY,
  thread_id text NOT NULL,
  kind text NOT NULL,
  role text NOT NULL,
  turn_id text,
  time_ms bigint NOT NULL,
  line integer NOT NULL,
  ordinal integer,
  text text NOT NULL,
  parts text NOT NULL DEFAULT '',
  words tsvector NOT NULL
);
CREATE INDEX search_documents_thread ON search_documents (home_id, thread_id, line);
CREATE INDEX search_documents_words ON search_documents USING gin (words);

CREATE TABLE search_threads (
  home_id text NOT NULL,
  thread_id text NOT NULL,
  documents integer NOT NULL,
  indexed_at bigint NOT NULL,
  PRIMARY KEY (home_id, thread_id),
  FOREIGN KEY (home_id, thread_id) REFERENCES threads (home_id, id) ON DELETE CASCADE
);

CREATE FUNCTION search_documents_of_gone_threads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search_documents AS d USING gone
    WHERE d.home_id = gone.home_id AND d.thread_id = gone.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER threads_delete_search AFTER DELETE ON threads
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION search_documents_of_gone_threads();
`;

// Usage: one row per model call that counts, and per line a legacy fork copied from its parent
// (`excluded = 'inherited'`, `excluded_by` the thread that counts it), as in the SQLite store.
// Sums read a partial index of the counted rows that holds every column they add up (an
// index-only scan once the table is vacuumed). The writer matches a legacy fork's copied lines
// against its parent's rows, whichever is written first. When threads go, the trigger (one
// statement for every thread deleted) takes their records (no foreign key: see search) and
// counts again the copies they counted.
const usage = `
CREATE TABLE usage_records (
  home_id text NOT NULL,
  thread_id text NOT NULL,
  line integer NOT NULL,
  ordinal integer,
  time_ms bigint NOT NULL,
  turn_id text,
  model text,
  source text NOT NULL,
  input_tokens bigint NOT NULL,
  cached_input_tokens bigint NOT NULL,
  cache_write_input_tokens bigint,
  output_tokens bigint NOT NULL,
  reasoning_output_tokens bigint NOT NULL,
  total_tokens bigint NOT NULL,
  running_input_tokens bigint,
  running_output_tokens bigint,
  running_total_tokens bigint,
  excluded text,
  excluded_by text,
  forked_from_id text,
  PRIMARY KEY (home_id, thread_id, line)
);
CREATE INDEX usage_records_counted ON usage_records (home_id, time_ms)
  INCLUDE (thread_id, model, input_tokens, cached_input_tokens, cache_write_input_tokens,
    output_tokens, reasoning_output_tokens, total_tokens)
  WHERE excluded IS NULL;
CREATE INDEX usage_records_forked_from ON usage_records (home_id, forked_from_id)
  WHERE forked_from_id IS NOT NULL;
CREATE INDEX usage_records_inherited ON usage_records (home_id, excluded_by)
  WHERE excluded = 'inherited';

CREATE TABLE usage_threads (
  home_id text NOT NULL,
  thread_id text NOT NULL,
  records integer NOT NULL,
  indexed_at bigint NOT NULL,
  PRIMARY KEY (home_id, thread_id),
  FOREIGN KEY (home_id, thread_id) REFERENCES threads (home_id, id) ON DELETE CASCADE
);

CREATE FUNCTION usage_records_of_gone_threads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM usage_records AS u USING gone
    WHERE u.home_id = gone.home_id AND u.thread_id = gone.id;
  UPDATE usage_records AS u SET excluded = NULL, excluded_by = NULL
    FROM gone
    WHERE u.home_id = gone.home_id AND u.excluded = 'inherited' AND u.excluded_by = gone.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER threads_delete_usage AFTER DELETE ON threads
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
  EXECUTE FUNCTION usage_records_of_gone_threads();
`;

// Where `sync` got to in the home's change feed (the SQLite store's `thread_changes`): the feed's
// id, the sequence number up to which every change was pushed, and what that push was (redacted or
// not, `SYNC_FORMAT` of `sync/thread-fingerprint.ts`). The next sync of the same feed, redaction
// and format reads only the threads changed after it; any other compares every thread. Null until
// a sync completes; cleared when a sync that cannot go on from it (another feed, other settings)
// starts.
const syncWatermark = `
ALTER TABLE homes ADD COLUMN sync_feed_id text;
ALTER TABLE homes ADD COLUMN sync_seq bigint;
ALTER TABLE homes ADD COLUMN sync_redacted boolean;
ALTER TABLE homes ADD COLUMN sync_format integer;
`;

// Search, read newest first: a home's documents in its own order (the primary key is all homes'
// ids, a walk of which for one home passes over every other home's rows), by `-id` so that only
// a query asking for that order reads it (`postgres-search.ts` walks it, or reads the GIN index).
// And a document's row holds its tsvector in the table itself up to a whole page, rather than
// compressed in the TOAST table past 2 kB: most tsvectors are 1 to 3 kB, and every document a
// search checks was read twice over (its row, then its tsvector from TOAST) and decompressed.
// Rows written from now on are stored so.
const searchNewest = `
CREATE INDEX search_documents_home_newest ON search_documents (home_id, (-id));
ALTER TABLE search_documents SET (toast_tuple_target = 8160);
`;

// Memory opt-out (Codex's `threads.memory_mode`, the SQLite store's migration 10): a thread whose
// mode is `disabled` is never extracted by phase 1 and its stored output, if any, no longer feeds
// phase 2. The mode is the person's choice, not the rollout's: thread writes (the indexer, `sync`)
// name the columns they set and leave it as it is. A constant default adds the column without
// rewriting the table.
const threadMemoryMode = `
ALTER TABLE threads ADD COLUMN memory_mode text NOT NULL DEFAULT 'enabled';
`;

/**
 * The migrations of the PostgreSQL store, in order. A released migration is never edited: add one.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = Object.freeze([
  { version: 1, name: '0001_initial', sql: homes + threads + leases + search + usage },
  { version: 2, name: '0002_sync_watermark', sql: syncWatermark },
  { version: 3, name: '0003_search_newest', sql: searchNewest },
  { version: 4, name: '0004_thread_memory_mode', sql: threadMemoryMode },
]);
