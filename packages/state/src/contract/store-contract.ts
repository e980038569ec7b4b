// The store contract: what `rollout`, `memories` and the CLI may ask of a store. The SQLite store
// (`openStateStore`) is one implementation; a PostgreSQL store is another (a later package). Every
// implementation passes the contract test suite of `@agent-state/test-utils`
// (`describeStoreContract`). Types of rows and options live beside their SQLite repositories and
// are shared by every implementation.
import type {
  BackfillClaim,
  BackfillClaimOptions,
  BackfillLease,
  BackfillRenewOptions,
  BackfillState,
} from '../backfill/backfill-repository.js';
import type { Clock } from '../clock.js';
import type { Discrepancy, DiscrepancyCount } from '../discrepancies/discrepancies-repository.js';
import type { DynamicToolSpec } from '../dynamic-tools/dynamic-tools-repository.js';
import type { Logger } from '../logger.js';
import type {
  ForgetMemoriesResult,
  MemoryJobCounts,
  MemoryModeChange,
  Stage1Output,
} from '../memories/memories-repository.js';
import type {
  ListStage1OutputsOptions,
  MemoryMode,
  MemoryThreadSelection,
} from '../memories/memory-jobs.js';
import type { Phase2ClaimOutcome } from '../memories/phase2-lock-repository.js';
import type {
  ClaimStage1JobsOptions,
  MarkStage1SucceededOptions,
  Stage1Claim,
  Stage1ClaimOutcome,
  TryClaimStage1JobOptions,
} from '../memories/stage1-jobs-repository.js';
import type { SearchDocument } from '../search/search-document.js';
import type { SearchCoverage, SearchOptions, SearchPage } from '../search/search-results.js';
import type { UsageRecord } from '../usage/usage-record.js';
import type { WatchLeaseClaim } from '../watch/watch-lease-repository.js';
import type { UsageAggregateOptions, UsageCoverage, UsageGroup } from '../usage/usage-results.js';
import type { ThreadMetadata } from '../threads/thread-metadata.js';
import type { ThreadsPageOptions, ThreadsPage } from '../threads/threads-repository.js';

/**
 * The threads table: one row of metadata per rollout (Codex's `threads`).
 *
 * @example
 * ```ts
 * async function titles(threads: ThreadStore): Promise<string[]> {
 *   const page = await threads.list({ pageSize: 10, sortKey: 'updated' });
 *   return page.items.map((thread) => thread.title);
 * }
 * ```
 */
export interface ThreadStore {
  /** Inserts or fully replaces one thread row. */
  upsert(thread: ThreadMetadata): Promise<void>;
  /** Upserts many rows in one transaction. */
  upsertMany(threads: readonly ThreadMetadata[]): Promise<void>;
  /** The thread with this id, or `undefined`. */
  get(id: string): Promise<ThreadMetadata | undefined>;
  /** The threads with these ids that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<ThreadMetadata[]>;
  /** The stored rollout path of a thread (optionally only when (not) archived). */
  findRolloutPath(
    id: string,
    options?: { archived?: boolean | undefined },
  ): Promise<string | undefined>;
  /** One page of threads, newest first, with Codex's filters and keyset pagination. */
  list(options: ThreadsPageOptions): Promise<ThreadsPage>;
  /** The ids of the first `limit` threads of a listing. */
  listIds(options: Omit<ThreadsPageOptions, 'pageSize'> & { limit: number }): Promise<string[]>;
  /**
   * Every row in id order, `limit` at a time (for reconcile and exports). A store of many homes
   * orders by id, then home, and ends no page between the homes' rows of one id (such a page
   * holds a few more than `limit`).
   */
  scan(options: { limit: number; afterId?: string | undefined }): Promise<ThreadMetadata[]>;
  /** The sub-agent threads spawned by `parentId`. */
  listSubAgents(
    parentId: string,
    options?: { limit?: number | undefined },
  ): Promise<ThreadMetadata[]>;
  /** How many rows (optionally only (not) archived). */
  count(options?: { archived?: boolean | undefined }): Promise<number>;
  /** Every stored rollout path (to tell which rollouts are not indexed yet). */
  rolloutPaths(): Promise<Set<string>>;
  /**
   * Records that a thread's rollout now has another name with the same content (compressed by
   * gc, or materialized): the row's path becomes `to` only if it is still `from`; `false`
   * otherwise (no row, or its path changed meanwhile). Nothing else of the row changes.
   */
  renameRollout(id: string, change: { from: string; to: string }): Promise<boolean>;
  /** Removes a row and what hangs off it; `false` when there was none. */
  delete(id: string): Promise<boolean>;
  /** Records that a thread's rollout moved to the archive; `false` when the row is missing. */
  markArchived(
    id: string,
    change: { rolloutPath: string; archivedAt: number; updatedAt?: number | undefined },
  ): Promise<boolean>;
  /** Records that a thread's rollout came back from the archive; `false` when the row is missing. */
  markUnarchived(
    id: string,
    change: { rolloutPath: string; updatedAt?: number | undefined },
  ): Promise<boolean>;
}

/**
 * The dynamic tools a thread was started with (Codex's `thread_dynamic_tools`).
 *
 * @example
 * ```ts
 * const tools = (await store.dynamicTools.get(threadId)) ?? [];
 * ```
 */
export interface DynamicToolStore {
  /** Stores a thread's tools once (positions already stored are kept). */
  persist(threadId: string, tools: readonly DynamicToolSpec[] | null | undefined): Promise<void>;
  /** A thread's tools in position order, or `null` when it has none. */
  get(threadId: string): Promise<DynamicToolSpec[] | null>;
}

/**
 * The backfill's single lease row: who indexes the home's rollouts, and how far they got.
 *
 * @example
 * ```ts
 * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'claimed') await store.backfill.markComplete(claim.lease);
 * ```
 */
export interface BackfillStore {
  /** The current state of the backfill. */
  get(): Promise<BackfillState>;
  /** Takes the lease when it is free, expired or its holder died. */
  tryClaim(options: BackfillClaimOptions): Promise<BackfillClaim>;
  /** Extends the lease; throws `LeaseLostError` when it was lost. */
  heartbeat(lease: BackfillLease, options?: BackfillRenewOptions): Promise<BackfillLease>;
  /** Records progress up to `watermark` and extends the lease; throws `LeaseLostError`. */
  checkpoint(
    lease: BackfillLease,
    watermark: string,
    options?: BackfillRenewOptions,
  ): Promise<BackfillLease>;
  /** Marks the backfill complete and frees the lease; throws `LeaseLostError`. */
  markComplete(
    lease: BackfillLease,
    options?: { lastWatermark?: string | undefined },
  ): Promise<void>;
  /** Frees the lease without completing (the next claim resumes). */
  release(lease: BackfillLease): Promise<void>;
  /** Forgets all progress: the next backfill starts over. */
  reset(): Promise<void>;
}

/**
 * Counters of the disagreements found between the store and the rollouts.
 *
 * @example
 * ```ts
 * await store.discrepancies.record({ stage: 'reconcile', reason: 'missing_row', threadId });
 * ```
 */
export interface DiscrepancyStore {
  record(discrepancy: Discrepancy): Promise<void>;
  counts(): Promise<DiscrepancyCount[]>;
  clear(): Promise<void>;
}

/**
 * The memories pipeline's per-thread stage-1 (extraction) jobs: owned leases like the backfill's,
 * claimed under a global running cap, with retries and backoff.
 *
 * @example
 * ```ts
 * const claim = await store.stage1Jobs.tryClaim({
 *   threadId, workerId, sourceUpdatedAt: thread.updatedAt, leaseSeconds: 3600,
 * });
 * ```
 */
export interface Stage1JobStore {
  /** Claims up to `maxClaimed` eligible jobs, newest thread first, under the running cap. */
  claimEligible(options: ClaimStage1JobsOptions): Promise<Stage1Claim[]>;
  /** Tries to claim one thread's job. */
  tryClaim(options: TryClaimStage1JobOptions): Promise<Stage1ClaimOutcome>;
  /** Extends an owned job's lease; the new deadline. Throws `LeaseLostError` when it was lost. */
  heartbeat(options: {
    threadId: string;
    ownershipToken: string;
    leaseSeconds: number;
  }): Promise<number>;
  /** Finishes an owned job with its output; `false` when the lease was lost. */
  markSucceeded(options: MarkStage1SucceededOptions): Promise<boolean>;
  /** Finishes an owned job that yielded nothing; `false` when the lease was lost. */
  markSucceededNoOutput(options: { threadId: string; ownershipToken: string }): Promise<boolean>;
  /** Records a failed attempt (one retry used, backoff); `false` when the lease was lost. */
  markFailed(options: {
    threadId: string;
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean>;
  /** Gives an owned job back without using a retry; `false` when the token no longer owns it. */
  release(options: { threadId: string; ownershipToken: string }): Promise<boolean>;
}

/**
 * The memories pipeline's phase-2 lock: the single global consolidation job, an owned lease like
 * the backfill's, and its dirty watermark.
 *
 * @example
 * ```ts
 * const claim = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
 * ```
 */
export interface Phase2LockStore {
  /** Marks the consolidation dirty up to `inputWatermark` (unix seconds). */
  enqueue(inputWatermark: number): Promise<void>;
  /** Tries to take the global lock. */
  tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<Phase2ClaimOutcome>;
  /** Extends the lock's lease; the new deadline. Throws `LeaseLostError` when it was lost. */
  heartbeat(options: { ownershipToken: string; leaseSeconds: number }): Promise<number>;
  /** Records a consolidation of everything up to `completedWatermark`; `false` when lost. */
  markSucceeded(options: { ownershipToken: string; completedWatermark: number }): Promise<boolean>;
  /** Records a failed consolidation (backoff); `false` when the lock was lost. */
  markFailed(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean>;
  /** Like `markFailed`, but also fails a running job with no owner at all (its fallback). */
  markFailedIfUnowned(options: {
    ownershipToken: string;
    reason: string;
    retryDelaySeconds: number;
  }): Promise<boolean>;
  /** Gives the lock back without using a retry; `false` when the token no longer owns it. */
  release(options: { ownershipToken: string }): Promise<boolean>;
}

/**
 * The lease of the home's watcher (`agent-state watch`), owned as the other leases are: a watcher
 * that died on this host is taken over at once, one that stopped renewing when its lease runs out.
 *
 * @example
 * ```ts
 * const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: 30 });
 * if (claim.outcome === 'claimed') await store.watchLease.release({ ownershipToken: claim.ownershipToken });
 * ```
 */
export interface WatchLeaseStore {
  /** Takes the lease when it is free, expired, or its holder died on this host. */
  tryClaim(options: { workerId: string; leaseSeconds: number }): Promise<WatchLeaseClaim>;
  /** Extends the lease; its new deadline. Throws `LeaseLostError` when it was lost. */
  heartbeat(options: { ownershipToken: string; leaseSeconds: number }): Promise<number>;
  /** Gives the lease back; `false` when the token no longer owned it. */
  release(options: { ownershipToken: string }): Promise<boolean>;
}

/**
 * The memories pipeline's stored stage-1 outputs and the overview of its jobs.
 *
 * @example
 * ```ts
 * const counts = await store.memories.jobCounts();
 * ```
 */
export interface MemoriesStore {
  /**
   * The newest stored outputs with something in them, at most `limit`, each with its cwd and
   * memory mode: of every thread or of one cwd; of disabled threads only with `includeDisabled`.
   */
  listStage1Outputs(options: ListStage1OutputsOptions): Promise<Stage1Output[]>;
  /** Sets the memory mode of threads (by id, or every thread of a cwd). */
  setMemoryMode(options: MemoryThreadSelection & { mode: MemoryMode }): Promise<MemoryModeChange>;
  /**
   * Deletes threads' stage-1 outputs and jobs, disables them, and makes phase 2 dirty when an
   * output went.
   */
  forget(selection: MemoryThreadSelection): Promise<ForgetMemoriesResult>;
  /** Jobs by state, the phase-2 job, the number of stored outputs and of disabled threads. */
  jobCounts(): Promise<MemoryJobCounts>;
  /** Deletes every stored output and memory job; how many of each. */
  clearMemories(): Promise<{ outputs: number; jobs: number }>;
}

/**
 * Full-text search over conversations (`store.search`): the search index's documents, written by
 * the indexer (`IndexedThread.derived.search`), and queries over them.
 *
 * @example
 * ```ts
 * const { hits, totalThreads } = await store.search.search({ query: 'migr*', limit: 10 });
 * const { threads, indexed } = await store.search.coverage();
 * ```
 */
export interface SearchStore {
  /**
   * Threads whose documents match, best first (by their best document's relevance), each with
   * its best documents and their snippets. A query the syntax rejects throws
   * `InvalidArgumentError` (`query`).
   */
  search(options: SearchOptions): Promise<SearchPage>;
  /** How many threads the index covers, of all threads. */
  coverage(): Promise<SearchCoverage>;
  /** Threads the index does not cover, by id, `limit` at a time after `afterId`. */
  unindexed(options: { limit: number; afterId?: string | undefined }): Promise<ThreadMetadata[]>;
  /** A thread's documents, in rollout order. */
  documents(threadId: string): Promise<SearchDocument[]>;
}

/**
 * Token usage per model call (`store.usage`): the usage index's records, written by the indexer
 * (`IndexedThread.derived.usage`: the calls that count, and a legacy fork's calls, which the store
 * marks `inherited` where they are copies of its parent's), and sums over the counted ones.
 *
 * @example
 * ```ts
 * const byModel = await store.usage.aggregate({ groupBy: ['model'] });
 * const { threads, indexed } = await store.usage.coverage();
 * ```
 */
export interface UsageStore {
  /**
   * Counted records (never excluded ones) passing the filters, summed per group of `groupBy`
   * (one group when empty), in no particular order. Groups without calls are left out.
   */
  aggregate(options: UsageAggregateOptions): Promise<UsageGroup[]>;
  /** A thread's records as written (inherited ones marked), in rollout order. */
  records(threadId: string): Promise<UsageRecord[]>;
  /** How many threads the index covers, of all threads. */
  coverage(): Promise<UsageCoverage>;
  /** Threads the index does not cover, by id, `limit` at a time after `afterId`. */
  unindexed(options: { limit: number; afterId?: string | undefined }): Promise<ThreadMetadata[]>;
}

/**
 * Records of derived indexes for one thread, by index name. Derived indexes are tables computed
 * from a rollout besides its thread row (search documents, usage records);
 * the indexer computes them in the same pass over the rollout, and {@link ThreadIndexStore.write}
 * stores them with the row, in one transaction.
 *
 * @example
 * ```ts
 * const derived: DerivedRecords = {}; // no derived index yet
 * ```
 */
export type DerivedRecords = Readonly<Record<string, readonly unknown[]>>;

/**
 * Everything indexing one rollout produced: its thread row, its dynamic tools, and the records of
 * each derived index.
 *
 * @example
 * ```ts
 * const entry: IndexedThread = { metadata, dynamicTools: meta.dynamicTools ?? null };
 * await store.index.write([entry]);
 * ```
 */
export interface IndexedThread {
  metadata: ThreadMetadata;
  /** The tools the thread was started with; `null`/absent when it has none. */
  dynamicTools?: readonly DynamicToolSpec[] | null | undefined;
  /** Records of derived indexes, replacing the thread's previous ones for each index named. */
  derived?: DerivedRecords | undefined;
}

/**
 * Where the indexer writes: the one write path for what a rollout yields.
 *
 * @example
 * ```ts
 * await store.index.write(entries); // rows, tools and derived records: all or nothing
 * ```
 */
export interface ThreadIndexStore {
  /**
   * Writes every entry (row upserted, tools stored once, derived records replaced) in one
   * transaction: all of them or none.
   */
  write(entries: readonly IndexedThread[]): Promise<void>;
}

/**
 * One entry of a {@link ChangeFeed}: a thread and the sequence number of its last change.
 *
 * @example
 * ```ts
 * const [first]: ThreadChange[] = await store.changes.since({ afterSeq: 0, limit: 1 });
 * ```
 */
export interface ThreadChange {
  threadId: string;
  /** The number of the thread's last change (higher is later). */
  seq: number;
}

/**
 * Which threads changed, in the order the changes were committed (`store.changes` of the SQLite
 * store): a thread's row, its dynamic tools, or which derived indexes cover it. Each change takes
 * the next sequence number and the thread keeps only its last, so a reader that remembers the
 * highest number it has seen ({@link ChangeFeed.head}, read before it reads the threads) finds
 * every thread changed since with {@link ChangeFeed.since}. A deleted thread stays in the feed
 * (its id is listed, and no thread has it). A feed's numbers mean something only within it: a
 * store rebuilt or recreated is another feed ({@link ChangeFeed.feedId}), and a reader that sees
 * another id (or a head below what it remembers) reads everything again.
 *
 * @example
 * ```ts
 * const head = await store.changes.head();
 * const changed = await store.changes.since({ afterSeq: remembered.seq, limit: 1_000 });
 * // … read and handle those threads, then remember { feedId, seq: head }
 * ```
 */
export interface ChangeFeed {
  /** The feed's random id, made with the store: another id means another feed. */
  feedId(): Promise<string>;
  /** The highest sequence number committed (0 when nothing changed yet). */
  head(): Promise<number>;
  /**
   * The threads whose last change is numbered above `afterSeq`, in sequence order, at most
   * `limit` (1 to 10,000): page on with the last one's `seq`.
   */
  since(options: { afterSeq: number; limit: number }): Promise<ThreadChange[]>;
}

/**
 * Facts about an open store, for `doctor`.
 *
 * @example
 * ```ts
 * const info: StoreInfo = await store.info();
 * console.log(`${info.path}: schema ${info.schemaVersion}, WAL ${info.walBytes} bytes`);
 * ```
 */
export interface StoreInfo {
  /** Where the store is: a database file, or a server address without its password. */
  path: string;
  generation: number;
  schemaVersion: number;
  /** Size of the database, bytes. */
  sizeBytes: number;
  /** Size of its write-ahead log, bytes (0 when there is none or it is not ours to see). */
  walBytes: number;
}

/**
 * A store of one home's agent state, whatever holds it. `rollout`, `memories` and the CLI take
 * this, never a concrete store: `openStateStore` returns the SQLite implementation.
 *
 * @example
 * ```ts
 * import { type AgentStateStore, openStateStore } from '@agent-state/state';
 *
 * async function threadCount(store: AgentStateStore): Promise<number> {
 *   return store.threads.count();
 * }
 * const store = await openStateStore({ home });
 * console.log(await threadCount(store));
 * await store.close();
 * ```
 */
export interface AgentStateStore {
  /** The home directory whose state this is. */
  readonly home: string;
  /** Where the store is (a file path, or a server address without its password), for messages. */
  readonly path: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly threads: ThreadStore;
  readonly dynamicTools: DynamicToolStore;
  readonly backfill: BackfillStore;
  /** The memories pipeline's extraction jobs (leased like the backfill). */
  readonly stage1Jobs: Stage1JobStore;
  /** The memories pipeline's consolidation lock (leased like the backfill). */
  readonly phase2Lock: Phase2LockStore;
  readonly memories: MemoriesStore;
  /** The lease of `agent-state watch`: one watcher per home. */
  readonly watchLease: WatchLeaseStore;
  readonly discrepancies: DiscrepancyStore;
  /** The indexer's write path (rows, tools and derived records in one transaction). */
  readonly index: ThreadIndexStore;
  /** Full-text search over the conversations indexed. */
  readonly search: SearchStore;
  /** Token usage per model call. */
  readonly usage: UsageStore;
  /**
   * Which threads changed, in commit order, for readers that keep a copy up to date (`syncHome`
   * of `@agent-state/postgres`). Optional: the SQLite store has it, a store shared by many homes
   * need not.
   */
  readonly changes?: ChangeFeed | undefined;
  /** Generation, schema version and sizes. */
  info(): Promise<StoreInfo>;
  /** The problems an integrity check finds (empty when sound). */
  checkIntegrity(): Promise<string[]>;
  /** Closes the store; later calls throw `StoreIoError`. Closing twice is harmless. */
  close(): Promise<void>;
}
