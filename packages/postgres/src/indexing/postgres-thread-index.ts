import { storableRow } from '../connection/storable-text.js';
import {
  type IndexedThread,
  InvalidArgumentError,
  type ThreadIndexStore,
} from '@agent-state/state';
import {
  THREAD_COLUMNS_WRITTEN,
  type ThreadDynamicToolsTable,
  type ThreadsTable,
  checkedThread,
  threadToRow,
  toolRows,
} from '@agent-state/state/backend';
import { type Insertable, type Transaction, sql } from 'kysely';

import { insertToolRows } from '../dynamic-tools/postgres-dynamic-tools.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { type PostgresContext, writableHome } from '../store/postgres-context.js';
import type { PostgresDerivedIndex } from './postgres-derived-index.js';
import { POSTGRES_DERIVED_INDEXES } from './postgres-derived-indexes.js';

type ThreadColumn = (typeof THREAD_COLUMNS_WRITTEN)[number];
type ThreadRow = Insertable<ThreadsTable> & { id: string };

/**
 * The server's type of each column a thread write sets, for the arrays `unnest` reads. Keyed by
 * every written column, so that a column added to the shared row shape fails to compile here.
 */
const COLUMN_TYPES = {
  id: 'text',
  rollout_path: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  source: 'text',
  model_provider: 'text',
  cwd: 'text',
  cli_version: 'text',
  title: 'text',
  sandbox_policy: 'text',
  approval_mode: 'text',
  tokens_used: 'bigint',
  first_user_message: 'text',
  archived_at: 'bigint',
  git_sha: 'text',
  git_branch: 'text',
  git_origin_url: 'text',
  thread_source: 'text',
  agent_nickname: 'text',
  agent_role: 'text',
  parent_thread_id: 'text',
  forked_from_id: 'text',
  archived: 'smallint',
} as const satisfies Record<ThreadColumn, 'text' | 'bigint' | 'smallint'>;

/**
 * Rows per upsert statement. `unnest` takes one array parameter per column whatever the number of
 * rows, so this only bounds the size of one message to the server (10,000 threads of a few
 * hundred bytes each: a few MB).
 */
const ROWS_PER_STATEMENT = 10_000;

/**
 * One entry of {@link PostgresThreadIndex.writeWithFingerprints}: what the indexer yields, and
 * optionally the `sync_fingerprint` to record with the row.
 */
export type FingerprintedThread = IndexedThread & { fingerprint?: string | undefined };

/**
 * The PostgreSQL store's one write path for what indexing a rollout yields (`store.index`): the
 * batch's thread rows (a full replace of every column but the keys), their dynamic tools (stored
 * once: positions already there are kept) and the records of derived indexes, all in one
 * transaction. Rows and tools are written with one statement per table (`unnest` of one array per
 * column), and each derived index gets one `replace` call with every thread of the batch that
 * carries its records: a batch costs a handful of round trips, not a few per thread.
 *
 * @example
 * ```ts
 * await store.index.write([{ metadata, dynamicTools, derived: { search: documents } }]);
 * ```
 */
export class PostgresThreadIndex implements ThreadIndexStore {
  readonly #context: PostgresContext;
  readonly #derived: ReadonlyMap<string, PostgresDerivedIndex>;

  /** @internal Built by `openPostgresStore`. */
  constructor(
    context: PostgresContext,
    derived: readonly PostgresDerivedIndex[] = POSTGRES_DERIVED_INDEXES,
  ) {
    this.#context = context;
    this.#derived = new Map(derived.map((index) => [index.name, index]));
  }

  /**
   * Writes every entry in one transaction: all of them, or (on any error) none. An entry's row
   * replaces the stored one; a later entry for the same thread wins. A thread's
   * `sync_fingerprint` is left as it is.
   *
   * @example
   * ```ts
   * await store.index.write(batch.map(({ metadata, dynamicTools }) => ({ metadata, dynamicTools })));
   * ```
   */
  async write(entries: readonly IndexedThread[]): Promise<void> {
    await this.writeWithFingerprints(entries);
  }

  /**
   * @internal {@link write}, also recording each entry's `fingerprint` (when it has one) as its
   * row's `sync_fingerprint`, in the same statement: `sync` marks what it pushed. Rows of entries
   * without one keep theirs (a new row: none).
   *
   * @example
   * ```ts
   * await store.index.writeWithFingerprints([{ metadata, fingerprint: threadFingerprint(local) }]);
   * ```
   */
  async writeWithFingerprints(entries: readonly FingerprintedThread[]): Promise<void> {
    if (entries.length === 0) return;
    // Everything is checked and converted before the transaction starts.
    const batch = this.#checked(entries);
    const homeId = writableHome(this.#context);
    await this.#context.db.transaction().execute(async (trx) => {
      for (let start = 0; start < batch.rows.length; start += ROWS_PER_STATEMENT) {
        await upsertThreadRows(trx, homeId, batch.rows.slice(start, start + ROWS_PER_STATEMENT));
      }
      await insertToolRows(trx, homeId, batch.tools);
      const nowMs = this.#context.clock.now();
      for (const [index, threads] of batch.derived) {
        await index.replace(
          trx,
          homeId,
          [...threads].map(([threadId, records]) => ({ threadId, records })),
          nowMs,
        );
      }
    });
  }

  /**
   * The batch as rows, tools and derived records, each thread once: a statement may not update a
   * row twice, so what the SQLite store gets by writing entries in turn is decided here. The last
   * row of a thread wins, the first tool at a position stays, and each index keeps the last
   * records of each thread that names it.
   */
  #checked(entries: readonly FingerprintedThread[]): {
    rows: Array<{ row: ThreadRow; fingerprint: string | null }>;
    tools: ThreadDynamicToolsTable[];
    derived: Map<PostgresDerivedIndex, Map<string, readonly unknown[]>>;
  } {
    const rows = new Map<string, { row: ThreadRow; fingerprint: string | null }>();
    const tools = new Map<string, ThreadDynamicToolsTable>();
    const derived = new Map<PostgresDerivedIndex, Map<string, readonly unknown[]>>();
    for (const entry of entries) {
      const row = storableRow(threadToRow(checkedThread(entry.metadata)));
      rows.set(row.id, { row, fingerprint: entry.fingerprint ?? null });
      if (entry.dynamicTools?.length) {
        for (const tool of toolRows(row.id, entry.dynamicTools)) {
          const key = `${tool.thread_id}/${tool.position}`;
          if (!tools.has(key)) tools.set(key, storableRow(tool));
        }
      }
      for (const [name, records] of Object.entries(entry.derived ?? {})) {
        const index = this.#derived.get(name);
        if (!index) {
          throw new InvalidArgumentError(
            'derived',
            `no derived index named ${JSON.stringify(name)} in this store (it has: ${[...this.#derived.keys()].join(', ') || 'none'})`,
          );
        }
        let threads = derived.get(index);
        if (!threads) {
          threads = new Map<string, readonly unknown[]>();
          derived.set(index, threads);
        }
        threads.set(row.id, records);
      }
    }
    // The store's order of its indexes, whatever order the entries name them in.
    const ordered = new Map<PostgresDerivedIndex, Map<string, readonly unknown[]>>();
    for (const index of this.#derived.values()) {
      const threads = derived.get(index);
      if (threads) ordered.set(index, threads);
    }
    return { rows: [...rows.values()], tools: [...tools.values()], derived: ordered };
  }
}

/**
 * Upserts thread rows of `homeId` in one statement: one array per column, `unnest`ed into rows,
 * every written column but the keys replaced on conflict; `sync_fingerprint` only where one is
 * given. `memory_mode` is not written: a thread keeps the mode set through `store.memories`.
 */
async function upsertThreadRows(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  rows: ReadonlyArray<{ row: ThreadRow; fingerprint: string | null }>,
): Promise<void> {
  const arrays = THREAD_COLUMNS_WRITTEN.map(
    (column) =>
      sql`${rows.map(({ row }) => row[column] ?? null)}::${sql.raw(COLUMN_TYPES[column])}[]`,
  );
  const fingerprints = rows.map((entry) => entry.fingerprint);
  const updates = THREAD_COLUMNS_WRITTEN.filter((column) => column !== 'id').map(
    (column) => sql`${sql.ref(column)} = excluded.${sql.ref(column)}`,
  );
  await sql`
    INSERT INTO threads (home_id, ${sql.join(THREAD_COLUMNS_WRITTEN.map((column) => sql.ref(column)))}, sync_fingerprint)
    SELECT ${homeId}::text, * FROM unnest(${sql.join(arrays)}, ${fingerprints}::text[])
    ON CONFLICT (home_id, id) DO UPDATE SET ${sql.join(updates)},
      sync_fingerprint = coalesce(excluded.sync_fingerprint, threads.sync_fingerprint)`.execute(
    trx,
  );
}
