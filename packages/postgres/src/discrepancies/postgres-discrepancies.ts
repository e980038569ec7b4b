import {
  type Discrepancy,
  type DiscrepancyCount,
  type DiscrepancyStore,
  unixSeconds,
} from '@agent-state/state';
import { sql } from 'kysely';

import { type PostgresContext, inHomes, writableHome } from '../store/postgres-context.js';

/**
 * Counters of the discrepancies found between the store and the rollouts (`store.discrepancies`):
 * the SQLite store's `DiscrepanciesRepository` on a server, one set of counters per home.
 *
 * @example
 * ```ts
 * await store.discrepancies.record({ stage: 'list_threads_db', reason: 'stale_db_path_dropped', threadId });
 * const counts = await store.discrepancies.counts();
 * ```
 */
export class PostgresDiscrepancies implements DiscrepancyStore {
  readonly #context: PostgresContext;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
  }

  /**
   * Counts one discrepancy of this store's home (a single upsert; safe from many processes at
   * once).
   *
   * @example
   * ```ts
   * await store.discrepancies.record({ stage: 'reconcile', reason: 'field_mismatch', threadId });
   * ```
   */
  async record(discrepancy: Discrepancy): Promise<void> {
    const homeId = writableHome(this.#context);
    const now = unixSeconds(this.#context.clock);
    await this.#context.db
      .insertInto('discrepancies')
      .values({
        home_id: homeId,
        stage: discrepancy.stage,
        reason: discrepancy.reason,
        count: 1,
        first_seen_at: now,
        last_seen_at: now,
        last_thread_id: discrepancy.threadId ?? null,
        last_path: discrepancy.path ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['home_id', 'stage', 'reason']).doUpdateSet((eb) => ({
          count: eb('discrepancies.count', '+', 1),
          last_seen_at: now,
          last_thread_id: discrepancy.threadId ?? null,
          last_path: discrepancy.path ?? null,
        })),
      )
      .execute();
  }

  /**
   * Every counter, most frequent first (then by stage and reason, in code-point order as in
   * SQLite). Read across homes, the counters of each stage and reason are added up, with the
   * first time, and the last time, thread and path, of any home.
   *
   * @example
   * ```ts
   * const total = (await store.discrepancies.counts()).reduce((n, c) => n + c.count, 0);
   * ```
   */
  async counts(): Promise<DiscrepancyCount[]> {
    const { rows } = await sql<{
      stage: string;
      reason: string;
      count: number;
      first_seen_at: number;
      last_seen_at: number;
      last_thread_id: string | null;
      last_path: string | null;
    }>`
      SELECT stage, reason, sum(count) AS count, min(first_seen_at) AS first_seen_at,
        max(last_seen_at) AS last_seen_at,
        (array_agg(last_thread_id ORDER BY last_seen_at DESC, home_id))[1] AS last_thread_id,
        (array_agg(last_path ORDER BY last_seen_at DESC, home_id))[1] AS last_path
      FROM discrepancies
      WHERE ${inHomes(this.#context, 'discrepancies.home_id')}
      GROUP BY stage, reason
      ORDER BY count DESC, stage COLLATE "C", reason COLLATE "C"`.execute(this.#context.db);
    return rows.map((row) => ({
      stage: row.stage,
      reason: row.reason,
      count: Number(row.count),
      firstSeenAt: Number(row.first_seen_at),
      lastSeenAt: Number(row.last_seen_at),
      lastThreadId: row.last_thread_id,
      lastPath: row.last_path,
    }));
  }

  /**
   * Forgets all counters of this store's home (after the problems were dealt with).
   *
   * @example
   * ```ts
   * await store.discrepancies.clear();
   * ```
   */
  async clear(): Promise<void> {
    const homeId = writableHome(this.#context);
    await this.#context.db.deleteFrom('discrepancies').where('home_id', '=', homeId).execute();
  }
}
