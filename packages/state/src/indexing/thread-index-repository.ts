import type Database from 'better-sqlite3';
import type { CompiledQuery, Insertable } from 'kysely';

import type { IndexedThread, ThreadIndexStore } from '../contract/store-contract.js';
import { toolRows } from '../dynamic-tools/dynamic-tools-repository.js';
import { InvalidArgumentError } from '../errors.js';
import { immediateRawTransaction } from '../sqlite/immediate-transaction.js';
import type { ThreadDynamicToolsTable, ThreadsTable } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { type ThreadMetadata, normalizeThreadId } from '../threads/thread-metadata.js';
import { THREAD_COLUMNS_WRITTEN, threadToRow } from '../threads/thread-row.js';
import { type SqliteDerivedIndex, SQLITE_DERIVED_INDEXES } from './sqlite-derived-index.js';

/** A statement written with Kysely, compiled and prepared once, with its parameter order. */
interface PreparedWrite<Row> {
  statement: Database.Statement;
  /** The column whose value goes into each parameter, in order. */
  order: ReadonlyArray<keyof Row>;
}

const THREAD_COLUMNS_UPDATED = THREAD_COLUMNS_WRITTEN.filter(
  (column): column is Exclude<(typeof THREAD_COLUMNS_WRITTEN)[number], 'id'> => column !== 'id',
);

const NONE: readonly never[] = [];

const TOOL_COLUMNS = [
  'thread_id',
  'position',
  'name',
  'description',
  'input_schema',
] as const satisfies ReadonlyArray<keyof ThreadDynamicToolsTable>;

/**
 * The SQLite store's one write path for what indexing a rollout yields (`store.index`): thread
 * rows (a full replace), dynamic tools (stored once: positions already there are kept) and the
 * records of derived indexes, all in one `BEGIN IMMEDIATE` transaction. The statements are
 * written with Kysely, compiled and prepared once, and run synchronously inside the transaction:
 * one awaited query per row would cost more than SQLite's own work.
 *
 * @example
 * ```ts
 * await store.index.write([{ metadata, dynamicTools }]);
 * ```
 */
export class ThreadIndexRepository implements ThreadIndexStore {
  readonly #context: StoreContext;
  readonly #derived: ReadonlyMap<string, SqliteDerivedIndex>;
  #threadUpsert: PreparedWrite<Insertable<ThreadsTable>> | undefined;
  #toolInsert: PreparedWrite<ThreadDynamicToolsTable> | undefined;

  /** @internal Built by `openStateStore`. */
  constructor(
    context: StoreContext,
    derived: readonly SqliteDerivedIndex[] = SQLITE_DERIVED_INDEXES,
  ) {
    this.#context = context;
    this.#derived = new Map(derived.map((index) => [index.name, index]));
  }

  /**
   * Writes every entry in one transaction: all of them, or (on any error) none.
   *
   * @example
   * ```ts
   * await store.index.write(batch.map(({ metadata, dynamicTools }) => ({ metadata, dynamicTools })));
   * ```
   */
  async write(entries: readonly IndexedThread[]): Promise<void> {
    if (entries.length === 0) return;
    // Everything is checked and converted before the transaction starts.
    const writes = entries.map((entry) => this.#checked(entry));
    const threadUpsert = this.#threadUpsertStatement();
    const toolInsert = writes.some((write) => write.tools.length > 0)
      ? this.#toolInsertStatement()
      : undefined;
    const { db, raw, path, clock } = this.#context;
    await immediateRawTransaction(
      db,
      raw,
      (connection) => {
        const nowMs = clock.now();
        // Rows and tools first, derived records after: writing a table with triggers (the change
        // feed's, migration 9) after the FTS5 table in a transaction makes FTS5 flush what it
        // holds in memory, thread by thread.
        for (const write of writes) {
          run(threadUpsert, write.row);
          for (const tool of write.tools) run(toolInsert!, tool);
        }
        for (const write of writes) {
          for (const [index, records] of write.derived) {
            index.replace(connection, write.row.id, records, nowMs);
          }
        }
      },
      { path },
    );
  }

  #checked(entry: IndexedThread): {
    row: Insertable<ThreadsTable> & { id: string };
    tools: readonly ThreadDynamicToolsTable[];
    derived: ReadonlyArray<[SqliteDerivedIndex, readonly unknown[]]>;
  } {
    const row = threadToRow(checkedThread(entry.metadata));
    // Most entries have neither tools nor derived records: no arrays are built for them.
    if (!entry.dynamicTools?.length && !entry.derived) return { row, tools: NONE, derived: NONE };
    const tools = toolRows(row.id, entry.dynamicTools ?? []);
    const derived = Object.entries(entry.derived ?? {}).map(
      ([name, records]): [SqliteDerivedIndex, readonly unknown[]] => {
        const index = this.#derived.get(name);
        if (!index) {
          throw new InvalidArgumentError(
            'derived',
            `no derived index named ${JSON.stringify(name)} in this store (it has: ${[...this.#derived.keys()].join(', ') || 'none'})`,
          );
        }
        return [index, records];
      },
    );
    return { row, tools, derived };
  }

  #threadUpsertStatement(): PreparedWrite<Insertable<ThreadsTable>> {
    this.#threadUpsert ??= this.#prepare(
      THREAD_COLUMNS_WRITTEN,
      (values: Insertable<ThreadsTable>) =>
        this.#context.db
          .insertInto('threads')
          .values(values)
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) =>
                Object.fromEntries(
                  THREAD_COLUMNS_UPDATED.map((column) => [column, eb.ref(`excluded.${column}`)]),
                ),
              ),
          )
          .compile(),
    );
    return this.#threadUpsert;
  }

  #toolInsertStatement(): PreparedWrite<ThreadDynamicToolsTable> {
    this.#toolInsert ??= this.#prepare(TOOL_COLUMNS, (values: ThreadDynamicToolsTable) =>
      this.#context.db
        .insertInto('thread_dynamic_tools')
        .values(values)
        .onConflict((oc) => oc.columns(['thread_id', 'position']).doNothing())
        .compile(),
    );
    return this.#toolInsert;
  }

  /**
   * Compiles a statement with a sentinel row whose values are the column names, to learn the
   * parameter order, and prepares it on the raw connection.
   */
  #prepare<Row>(
    columns: ReadonlyArray<keyof Row & string>,
    compile: (sentinel: Row) => CompiledQuery,
  ): PreparedWrite<Row> {
    const sentinel = Object.fromEntries(columns.map((column) => [column, column])) as Row;
    const compiled = compile(sentinel);
    return {
      statement: this.#context.raw.prepare(compiled.sql),
      order: compiled.parameters as ReadonlyArray<keyof Row>,
    };
  }
}

function run<Row>(prepared: PreparedWrite<Row>, row: Row): void {
  prepared.statement.run(prepared.order.map((column) => row[column]));
}

/**
 * A thread as every store writes it: its id normalized, its times and token count integers;
 * anything else throws `InvalidArgumentError` naming the field.
 */
export function checkedThread(thread: ThreadMetadata): ThreadMetadata {
  const id = normalizeThreadId(thread.id);
  for (const field of ['createdAt', 'updatedAt', 'tokensUsed'] as const) {
    if (!Number.isInteger(thread[field])) {
      throw new InvalidArgumentError(
        field,
        `expected an integer for thread ${id}, got ${String(thread[field])}`,
      );
    }
  }
  if (thread.archivedAt !== null && !Number.isInteger(thread.archivedAt)) {
    throw new InvalidArgumentError('archivedAt', `expected an integer or null for thread ${id}`);
  }
  return id === thread.id ? thread : { ...thread, id };
}
