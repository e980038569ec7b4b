import {
  type DynamicToolSpec,
  type DynamicToolStore,
  NotFoundError,
  StoreCorruptError,
  normalizeThreadId,
} from '@agent-state/state';
import { type ThreadDynamicToolsTable, toolRows } from '@agent-state/state/backend';
import { type Kysely, sql } from 'kysely';

import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { type PostgresContext, inHomes, writableHome } from '../store/postgres-context.js';

/** SQLSTATE of a foreign key violation. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The `thread_dynamic_tools` table of the PostgreSQL store (`store.dynamicTools`): the SQLite
 * store's `DynamicToolsRepository` on a server, rows keyed by home.
 *
 * @example
 * ```ts
 * await store.threads.upsert(meta); // the thread row must exist first
 * await store.dynamicTools.persist(meta.id, tools);
 * const again = await store.dynamicTools.get(meta.id); // same tools, in order
 * ```
 */
export class PostgresDynamicTools implements DynamicToolStore {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * Stores a thread's tools once: tools are defined at thread start and never change, so
   * positions that already exist are left as they are. No-op for an empty or absent list.
   * Throws `NotFoundError` when the thread row does not exist yet.
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
    const homeId = writableHome(this.#context);
    try {
      await insertToolRows(this.#context.db, homeId, toolRows(id, tools));
    } catch (error) {
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) {
        throw new NotFoundError(`thread ${id} (store it before its dynamic tools)`);
      }
      throw error;
    }
  }

  /**
   * A thread's tools in position order, or `null` when it has none. A store opened across homes
   * that holds the thread in several homes gives the tools of one of them.
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
      .select(['home_id', 'position', 'name', 'description', 'input_schema'])
      .where(inHomes(this.#context, 'thread_dynamic_tools.home_id'))
      .where('thread_id', '=', id)
      .orderBy('home_id')
      .orderBy('position', 'asc')
      .execute();
    const first = rows[0];
    if (!first) return null;
    // One home's list: the same thread in two homes must not interleave their positions.
    return rows
      .filter((row) => row.home_id === first.home_id)
      .map((row) => {
        let inputSchema: unknown;
        try {
          inputSchema = JSON.parse(row.input_schema);
        } catch (error) {
          throw new StoreCorruptError(
            this.#context.server,
            `input_schema of dynamic tool ${row.position} of thread ${id} is not JSON`,
            { cause: error },
          );
        }
        return { name: row.name, description: row.description, inputSchema };
      });
  }
}

/**
 * Inserts tool rows of `homeId` in one statement (`unnest` of one array per column, so any number
 * of rows is 6 parameters), keeping the positions already stored. Both write paths use it.
 */
export async function insertToolRows(
  db: Kysely<PostgresDatabase>,
  homeId: string,
  rows: readonly ThreadDynamicToolsTable[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO thread_dynamic_tools (home_id, thread_id, position, name, description, input_schema)
    SELECT ${homeId}::text, * FROM unnest(
      ${rows.map((row) => row.thread_id)}::text[],
      ${rows.map((row) => row.position)}::integer[],
      ${rows.map((row) => row.name)}::text[],
      ${rows.map((row) => row.description)}::text[],
      ${rows.map((row) => row.input_schema)}::text[])
    ON CONFLICT (home_id, thread_id, position) DO NOTHING`.execute(db);
}

/** The SQLSTATE of a server error, also when the pool wrapped it in one of our errors. */
function sqlState(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 4; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
