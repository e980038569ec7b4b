import type { DynamicToolStore } from '../contract/store-contract.js';
import { NotFoundError, StoreCorruptError } from '../errors.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import { sqliteCode } from '../sqlite/sqlite-errors.js';
import type { ThreadDynamicToolsTable } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import { normalizeThreadId } from '../threads/thread-metadata.js';

/**
 * A tool the client defined for a thread at its start (Codex's `dynamic_tools` of `session_meta`).
 *
 * @example
 * ```ts
 * const tool: DynamicToolSpec = {
 *   name: 'lookup_ticket',
 *   description: 'Fetch a ticket by id',
 *   inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
 * };
 * ```
 */
export interface DynamicToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's input (any JSON value). */
  inputSchema: unknown;
}

/**
 * The `thread_dynamic_tools` table. Reach it as `store.dynamicTools`.
 *
 * @example
 * ```ts
 * await store.threads.upsert(meta); // the thread row must exist first
 * await store.dynamicTools.persist(meta.id, tools);
 * const again = await store.dynamicTools.get(meta.id); // same tools, in order
 * ```
 */
export class DynamicToolsRepository implements DynamicToolStore {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Stores a thread's tools once: tools are defined at thread start and never change, so
   * positions that already exist are left as they are. No-op for an empty or absent list.
   * Throws {@link NotFoundError} when the thread row does not exist yet.
   *
   * @example
   * ```ts
   * await store.dynamicTools.persist(threadId, sessionMeta.dynamicTools);
   * ```
   */
  async persist(
    threadId: string,
    tools: readonly DynamicToolSpec[] | null | undefined,
  ): Promise<void> {
    if (!tools || tools.length === 0) return;
    const id = normalizeThreadId(threadId);
    const rows = toolRows(id, tools);
    try {
      await immediateTransaction(
        this.#context.db,
        async (trx) => {
          for (let start = 0; start < rows.length; start += 500) {
            await trx
              .insertInto('thread_dynamic_tools')
              .values(rows.slice(start, start + 500))
              .onConflict((oc) => oc.columns(['thread_id', 'position']).doNothing())
              .execute();
          }
        },
        { path: this.#context.path },
      );
    } catch (error) {
      if (sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new NotFoundError(`thread ${id} (store it before its dynamic tools)`);
      }
      throw error;
    }
  }

  /**
   * A thread's tools in position order, or `null` when it has none.
   *
   * @example
   * ```ts
   * const tools = (await store.dynamicTools.get(threadId)) ?? [];
   * ```
   */
  async get(threadId: string): Promise<DynamicToolSpec[] | null> {
    const id = normalizeThreadId(threadId);
    const rows = await this.#context.db
      .selectFrom('thread_dynamic_tools')
      .select(['position', 'name', 'description', 'input_schema'])
      .where('thread_id', '=', id)
      .orderBy('position', 'asc')
      .execute();
    if (rows.length === 0) return null;
    return rows.map((row) => {
      let inputSchema: unknown;
      try {
        inputSchema = JSON.parse(row.input_schema);
      } catch (error) {
        throw new StoreCorruptError(
          this.#context.path,
          `input_schema of dynamic tool ${row.position} of thread ${id} is not JSON`,
          { cause: error },
        );
      }
      return { name: row.name, description: row.description, inputSchema };
    });
  }
}

/** A thread's tools as `thread_dynamic_tools` rows, numbered in order (both write paths use it). */
export function toolRows(
  threadId: string,
  tools: readonly DynamicToolSpec[],
): ThreadDynamicToolsTable[] {
  return tools.map((tool, position) => ({
    thread_id: threadId,
    position,
    name: tool.name,
    description: tool.description,
    input_schema: JSON.stringify(tool.inputSchema ?? null),
  }));
}
