import { unixSeconds } from '@agent-state/state';

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
