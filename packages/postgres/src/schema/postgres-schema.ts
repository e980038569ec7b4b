import type {
  BackfillStateTable,
  DiscrepanciesTable,
  JobsTable,
  SearchDocumentsTable,
  SearchThreadsTable,
  Stage1OutputsTable,
  ThreadDynamicToolsTable,
  ThreadsTable,
  UsageRecordsTable,
  UsageThreadsTable,
} from '@agent-state/state/backend';
import type { Generated } from 'kysely';

/** Every table of a home's state carries the home it belongs to. */
type OfHome<Table> = Table & { home_id: string };

/** Row of `homes`: one per home that wrote to the server. */
export interface HomesTable {
  /** The home's id (`readHomeIdentity`). */
  home_id: string;
  /** `os.hostname()` of the machine that last wrote for it. */
  host: string;
  /** The home's path on that machine. */
  home_path: string;
  /** Unix seconds. */
  first_seen_at: number;
  /** Unix seconds: the last time a store was opened for it. */
  last_seen_at: number;
  /** Unix seconds of the last completed `sync`, or null. */
  last_sync_at: number | null;
  /** Threads the last completed `sync` left on the server. */
  synced_threads: number | null;
  /**
   * The change feed of the home's store that the sync watermark belongs to (`ChangeFeed.feedId`;
   * migration 2), or null: no watermark.
   */
  sync_feed_id: string | null;
  /** Every change of that feed up to this sequence number is on the server. */
  sync_seq: number | null;
  /** Whether the pushes the watermark covers were redacted. */
  sync_redacted: boolean | null;
  /** `SYNC_FORMAT` of the pushes the watermark covers. */
  sync_format: number | null;
}

/** The single row of `agent_state_schema`: which migrations the database has. */
export interface SchemaTable {
  singleton: Generated<boolean>;
  version: number;
  /** Unix seconds. */
  migrated_at: number;
}

/** The tables of the PostgreSQL store, for Kysely: the SQLite store's, keyed by home. */
export interface PostgresDatabase {
  agent_state_schema: SchemaTable;
  homes: HomesTable;
  threads: OfHome<ThreadsTable> & {
    /**
     * What `sync` last pushed for the thread (`threadFingerprint` of the local row and its
     * indexes); null for rows written otherwise.
     */
    sync_fingerprint: string | null;
    /**
     * `enabled` or `disabled` (migration 4, as the SQLite store's `ThreadsTable`): whether phase 1
     * may extract the thread's memory. Thread writes leave it as it is.
     */
    memory_mode: Generated<string>;
  };
  thread_dynamic_tools: OfHome<ThreadDynamicToolsTable>;
  backfill_state: OfHome<Omit<BackfillStateTable, 'id'>>;
  jobs: OfHome<JobsTable>;
  stage1_outputs: OfHome<Stage1OutputsTable>;
  discrepancies: OfHome<DiscrepanciesTable>;
  search_documents: OfHome<SearchDocumentsTable>;
  search_threads: OfHome<SearchThreadsTable>;
  usage_records: OfHome<UsageRecordsTable>;
  usage_threads: OfHome<UsageThreadsTable>;
}
