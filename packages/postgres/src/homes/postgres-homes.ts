import { unixSeconds } from '@agent-state/state';
import { sql } from 'kysely';

import type { PostgresContext } from '../store/postgres-context.js';
import { inHomes, writableHome } from '../store/postgres-context.js';

/**
 * A home known to a PostgreSQL store: its id, where it is, when it last wrote, and how many
 * threads the server holds for it.
 *
 * @example
 * ```ts
 * for (const home of await store.homes.list()) console.log(home.host, home.homePath, home.threads);
 * ```
 */
export interface StoreHome {
  homeId: string;
  /** The machine it was last written from. */
  host: string;
  /** Its path on that machine. */
  homePath: string;
  /** Unix seconds. */
  firstSeenAt: number;
  /** Unix seconds: the last time a store was opened for it. */
  lastSeenAt: number;
  /** Unix seconds of its last completed sync, or null. */
  lastSyncAt: number | null;
  /** Threads the server holds for it. */
  threads: number;
}

/**
 * What {@link PostgresHomes.remove} took out of the store: the home and how many of its rows.
 *
 * @example
 * ```ts
 * const removed: RemovedHome | undefined = await store.homes.remove();
 * if (removed) console.log(`${removed.threads} threads of ${removed.homePath} on ${removed.host}`);
 * ```
 */
export interface RemovedHome {
  homeId: string;
  host: string;
  homePath: string;
  threads: number;
  /** Its search documents. */
  documents: number;
  /** Its usage records. */
  usageRecords: number;
}

/**
 * The key of the advisory lock a home's sync holds (`syncHome`), and its removal waits for.
 *
 * @example
 * ```ts
 * await sql`SELECT pg_advisory_lock(hashtext(${homeSyncLock(homeId)}))`.execute(connection);
 * ```
 */
export function homeSyncLock(homeId: string): string {
  return `agent-state sync:${homeId}`;
}

/**
 * The homes of a PostgreSQL store (`store.homes`).
 *
 * @example
 * ```ts
 * const homes = await store.homes.list();
 * ```
 */
export class PostgresHomes {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * The homes this store reads (its own, or those of its selection), most recently seen first.
   *
   * @example
   * ```ts
   * const [mine] = await store.homes.list();
   * ```
   */
  async list(): Promise<StoreHome[]> {
    const rows = await this.#context.db
      .selectFrom('homes')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('threads')
            .select(['home_id', (e) => e.fn.countAll<number>().as('threads')])
            .groupBy('home_id')
            .as('counts'),
        (join) => join.onRef('counts.home_id', '=', 'homes.home_id'),
      )
      .where(inHomes(this.#context, 'homes.home_id'))
      .select([
        'homes.home_id',
        'homes.host',
        'homes.home_path',
        'homes.first_seen_at',
        'homes.last_seen_at',
        'homes.last_sync_at',
        'counts.threads',
      ])
      .orderBy('homes.last_seen_at', 'desc')
      .orderBy('homes.home_id')
      .execute();
    return rows.map((row) => ({
      homeId: row.home_id,
      host: row.host,
      homePath: row.home_path,
      firstSeenAt: row.first_seen_at,
      lastSeenAt: row.last_seen_at,
      lastSyncAt: row.last_sync_at,
      threads: Number(row.threads ?? 0),
    }));
  }

  /**
   * Removes a home from the store: its row and every row of it (threads, tools, search
   * documents, usage records, memories jobs and outputs, backfill state, discrepancies), in one
   * transaction, once no sync of it is running (it waits for one to end). `homeId` is this store's
   * home by default; another home's id removes that one (a machine gone, a home pushed by
   * mistake). `undefined` when the store holds no such home. The home's rollouts and its own
   * store are untouched: its next sync pushes it again, whole. A store opened across homes
   * refuses (it only reads). Once its own home is removed, a store writes nothing more until it is
   * opened again (opening records the home).
   *
   * @example
   * ```ts
   * const store = await openPostgresStore({ url, home });
   * const removed = await store.homes.remove(); // this home, from the server
   * ```
   */
  async remove(homeId?: string): Promise<RemovedHome | undefined> {
    const own = writableHome(this.#context);
    const target = homeId ?? own;
    return this.#context.db.transaction().execute(async (trx) => {
      // A sync can run for minutes: the wait for its end is not cut by the pool's statement
      // timeout, nor is the delete of a large home.
      await sql`SET LOCAL statement_timeout = 0`.execute(trx);
      await sql`SELECT pg_advisory_xact_lock(hashtext(${homeSyncLock(target)}))`.execute(trx);
      // The home's row first (writers of its threads then wait for this transaction), then its
      // rows counted as they are once nothing more can be written.
      const home = await trx
        .selectFrom('homes')
        .select(['host', 'home_path'])
        .where('home_id', '=', target)
        .forUpdate()
        .executeTakeFirst();
      if (home === undefined) return undefined;
      const { rows } = await sql<{ threads: number; documents: number; usage_records: number }>`
        SELECT
          (SELECT count(*) FROM threads WHERE home_id = ${target})::int AS threads,
          (SELECT count(*) FROM search_documents WHERE home_id = ${target})::int AS documents,
          (SELECT count(*) FROM usage_records WHERE home_id = ${target})::int AS usage_records`.execute(
        trx,
      );
      const counts = rows[0]!;
      // The threads go with the home (foreign keys), and their documents and records with them
      // (the tables' triggers on deleted threads).
      await trx.deleteFrom('homes').where('home_id', '=', target).execute();
      return {
        homeId: target,
        host: home.host,
        homePath: home.home_path,
        threads: counts.threads,
        documents: counts.documents,
        usageRecords: counts.usage_records,
      };
    });
  }

  /** @internal Records that this store's home was opened now, from this host and path. */
  async touch(identity: { host: string; homePath: string }): Promise<void> {
    const homeId = writableHome(this.#context);
    const now = unixSeconds(this.#context.clock);
    await this.#context.db
      .insertInto('homes')
      .values({
        home_id: homeId,
        host: identity.host,
        home_path: identity.homePath,
        first_seen_at: now,
        last_seen_at: now,
        last_sync_at: null,
        synced_threads: null,
      })
      .onConflict((oc) =>
        oc.column('home_id').doUpdateSet({
          host: identity.host,
          home_path: identity.homePath,
          last_seen_at: now,
        }),
      )
      .execute();
  }
}
