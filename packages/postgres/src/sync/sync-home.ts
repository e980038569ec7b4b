import {
  type AgentStateStore,
  type IndexedThread,
  InvalidArgumentError,
  SEARCH_INDEX_NAME,
  type SearchDocument,
  type ThreadMetadata,
  USAGE_INDEX_NAME,
  type UsageRecord,
  unixSeconds,
} from '@agent-state/state';
import { sql } from 'kysely';

import type { PostgresStore } from '../store/postgres-store.js';
import { writableHome } from '../store/postgres-context.js';
import { threadFingerprint } from './thread-fingerprint.js';

/**
 * Options of {@link syncHome}.
 *
 * @example
 * ```ts
 * const options: SyncHomeOptions = { source: local, target: remote, redact: redactSecrets };
 * ```
 */
export interface SyncHomeOptions {
  /** The home's own store (the SQLite store of `openStateStore`). */
  source: AgentStateStore;
  /** The server's store, opened for the same home (`openPostgresStore({ url, home })`). */
  target: PostgresStore;
  /**
   * Applied to every text pushed (titles, first messages, search documents): pass
   * `redactSecrets` of `@agent-state/memories` for `--redact`. The local store keeps its text.
   */
  redact?: ((text: string) => string) | undefined;
  /** Push every thread, changed or not (default false). */
  full?: boolean | undefined;
  /** Threads per transaction (default 200). */
  batchSize?: number | undefined;
  /**
   * Stops between batches: what was pushed stays, the result says `stopped`, and the next sync
   * goes on from there.
   */
  signal?: AbortSignal | undefined;
  /** Called after each batch. */
  onProgress?: ((progress: SyncProgress) => void) | undefined;
}

/**
 * How far a sync got.
 *
 * @example
 * ```ts
 * onProgress: ({ pushed, toPush }) => console.error(`${pushed}/${toPush}`)
 * ```
 */
export interface SyncProgress {
  /** Threads pushed so far. */
  pushed: number;
  /** Threads this sync has to push. */
  toPush: number;
}

/**
 * What {@link syncHome} did.
 *
 * @example
 * ```ts
 * const { pushed, deleted, unchanged } = await syncHome({ source, target });
 * ```
 */
export interface SyncResult {
  /** The home's id on the server. */
  homeId: string;
  /** The server, without its password. */
  server: string;
  /** Threads in the local store. */
  threads: number;
  /** Threads pushed (new or changed). */
  pushed: number;
  /** Threads already on the server as they are here. */
  unchanged: number;
  /** Threads removed from the server because the home no longer has them. */
  deleted: number;
  /** Search documents pushed. */
  documents: number;
  /** Usage records pushed. */
  usageRecords: number;
  /**
   * Threads still to push or remove when `signal` stopped the sync (0 when it ran to the end);
   * the next sync pushes them.
   */
  stopped: number;
}

const SCAN_PAGE = 2_000;

/**
 * Pushes a home's threads, their search documents and usage records to a PostgreSQL store,
 * incrementally: a thread is pushed only when its fingerprint (its row, which indexes cover it,
 * and whether it was redacted) differs from the one the server recorded at its last push, and a
 * thread the home no longer has is removed. Each batch is one transaction that writes rows and
 * fingerprints together, so a sync killed mid-way (or a server restarted) leaves whole threads
 * behind and the next sync goes on from there: idempotent and resumable. Two syncs of one home
 * take turns (an advisory lock per home); homes never touch each other's rows. Rollouts stay on
 * their machine: the server gets their paths, not their bytes.
 *
 * @example
 * ```ts
 * import { openStateStore } from '@agent-state/state';
 * import { openPostgresStore, syncHome } from '@agent-state/postgres';
 *
 * const source = await openStateStore({ home });
 * const target = await openPostgresStore({ url, home });
 * const result = await syncHome({ source, target });
 * console.log(`${result.pushed} pushed, ${result.unchanged} unchanged, ${result.deleted} removed`);
 * ```
 */
export async function syncHome(options: SyncHomeOptions): Promise<SyncResult> {
  const context = options.target.context;
  const homeId = writableHome(context);
  const batchSize = options.batchSize ?? 200;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError('batchSize', 'must be a positive integer');
  }
  // The lock lives on one connection of the pool for the whole sync; the batches use others.
  return context.db.connection().execute(async (lockConnection) => {
    const lockKey = `agent-state sync:${homeId}`;
    await sql`SELECT pg_advisory_lock(hashtext(${lockKey}))`.execute(lockConnection);
    try {
      return await pushChanges(options, homeId, batchSize);
    } finally {
      await sql`SELECT pg_advisory_unlock(hashtext(${lockKey}))`
        .execute(lockConnection)
        .catch(() => undefined);
    }
  });
}

async function pushChanges(
  options: SyncHomeOptions,
  homeId: string,
  batchSize: number,
): Promise<SyncResult> {
  const { source, target, redact } = options;
  const db = target.context.db;
  const [uncoveredSearch, uncoveredUsage, remoteRows] = await Promise.all([
    allUnindexed((page) => source.search.unindexed(page)),
    allUnindexed((page) => source.usage.unindexed(page)),
    db
      .selectFrom('threads')
      .select(['id', 'sync_fingerprint'])
      .where('home_id', '=', homeId)
      .execute(),
  ]);
  const remote = new Map(remoteRows.map((row) => [row.id, row.sync_fingerprint]));

  const toPush: Array<{ thread: ThreadMetadata; fingerprint: string }> = [];
  let threads = 0;
  const local = new Set<string>();
  for (let afterId: string | undefined; ;) {
    const page = await source.threads.scan({ limit: SCAN_PAGE, afterId });
    for (const thread of page) {
      threads += 1;
      local.add(thread.id);
      const fingerprint = threadFingerprint(thread, {
        search: !uncoveredSearch.has(thread.id),
        usage: !uncoveredUsage.has(thread.id),
        redacted: redact !== undefined,
      });
      if (options.full || remote.get(thread.id) !== fingerprint)
        toPush.push({ thread, fingerprint });
    }
    if (page.length < SCAN_PAGE) break;
    afterId = page[page.length - 1]?.id;
  }

  const result: SyncResult = {
    homeId,
    server: target.path,
    threads,
    pushed: 0,
    unchanged: threads - toPush.length,
    deleted: 0,
    documents: 0,
    usageRecords: 0,
    stopped: 0,
  };
  const gone = [...remote.keys()].filter((id) => !local.has(id));
  for (let start = 0; start < toPush.length; start += batchSize) {
    if (options.signal?.aborted) {
      result.stopped = toPush.length - start + gone.length;
      return result;
    }
    const batch = toPush.slice(start, start + batchSize);
    const entries = await Promise.all(
      batch.map(async ({ thread, fingerprint }) => {
        const entry = await readEntry(source, thread, {
          search: !uncoveredSearch.has(thread.id),
          usage: !uncoveredUsage.has(thread.id),
          redact,
        });
        result.documents += entry.derived?.[SEARCH_INDEX_NAME]?.length ?? 0;
        result.usageRecords += entry.derived?.[USAGE_INDEX_NAME]?.length ?? 0;
        return { ...entry, fingerprint };
      }),
    );
    await target.index.writeWithFingerprints(entries);
    result.pushed += batch.length;
    options.onProgress?.({ pushed: result.pushed, toPush: toPush.length });
  }

  for (const [index, id] of gone.entries()) {
    if (options.signal?.aborted) {
      result.stopped = gone.length - index;
      return result;
    }
    if (await target.threads.delete(id)) result.deleted += 1;
  }

  await target.backfill.recordPushed(await source.backfill.get());
  await db
    .updateTable('homes')
    .set({ last_sync_at: unixSeconds(target.clock), synced_threads: threads })
    .where('home_id', '=', homeId)
    .execute();
  return result;
}

/** Everything a thread pushes: its row, its tools, and the records of the indexes covering it. */
async function readEntry(
  source: AgentStateStore,
  thread: ThreadMetadata,
  options: { search: boolean; usage: boolean; redact: ((text: string) => string) | undefined },
): Promise<IndexedThread> {
  const { redact } = options;
  const [dynamicTools, documents, records] = await Promise.all([
    source.dynamicTools.get(thread.id),
    options.search ? source.search.documents(thread.id) : undefined,
    options.usage ? source.usage.records(thread.id) : undefined,
  ]);
  const derived: Record<string, readonly unknown[]> = {};
  if (documents) {
    derived[SEARCH_INDEX_NAME] = redact
      ? documents.map((document): SearchDocument => ({ ...document, text: redact(document.text) }))
      : documents;
  }
  if (records) {
    // The server marks a legacy fork's copied records itself, as the local store did: they go
    // as the indexer wrote them.
    derived[USAGE_INDEX_NAME] = records.map((record): UsageRecord =>
      record.excluded === 'inherited' ? { ...record, excluded: null, excludedBy: null } : record,
    );
  }
  const metadata = redact
    ? {
        ...thread,
        title: redact(thread.title),
        firstUserMessage: thread.firstUserMessage === null ? null : redact(thread.firstUserMessage),
      }
    : thread;
  return { metadata, dynamicTools, derived };
}

async function allUnindexed(
  read: (page: { limit: number; afterId?: string | undefined }) => Promise<ThreadMetadata[]>,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let afterId: string | undefined; ;) {
    const page = await read({ limit: SCAN_PAGE, afterId });
    for (const thread of page) ids.add(thread.id);
    if (page.length < SCAN_PAGE) return ids;
    afterId = page[page.length - 1]?.id;
  }
}
