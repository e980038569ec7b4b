import { unixSeconds } from '../clock.js';
import type { DiscrepancyStore } from '../contract/store-contract.js';
import type { StoreContext } from '../store/store-context.js';

/**
 * One disagreement between the store and the rollouts, as it is recorded: where it was noticed
 * (`stage`, e.g. `list_threads_db`) and what it was (`reason`, e.g. `stale_db_path_dropped`).
 *
 * @example
 * ```ts
 * await store.discrepancies.record({ stage: 'reconcile', reason: 'missing_row', threadId, path });
 * ```
 */
export interface Discrepancy {
  stage: string;
  reason: string;
  threadId?: string | undefined;
  path?: string | undefined;
}

/**
 * How often one kind of discrepancy was seen, and when last.
 *
 * @example
 * ```ts
 * for (const c of await store.discrepancies.counts()) console.log(c.stage, c.reason, c.count);
 * ```
 */
export interface DiscrepancyCount {
  stage: string;
  reason: string;
  count: number;
  firstSeenAt: number;
  lastSeenAt: number;
  lastThreadId: string | null;
  lastPath: string | null;
}

/**
 * Counters of the discrepancies found between the store and the rollouts (stale rows, missing
 * rows, differing fields, read repairs), kept so `doctor` can report them. Reach it as
 * `store.discrepancies`.
 *
 * @example
 * ```ts
 * await store.discrepancies.record({ stage: 'list_threads_db', reason: 'stale_db_path_dropped', threadId });
 * const counts = await store.discrepancies.counts();
 * ```
 */
export class DiscrepanciesRepository implements DiscrepancyStore {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Counts one discrepancy (a single upsert; safe from many processes at once).
   *
   * @example
   * ```ts
   * await store.discrepancies.record({ stage: 'reconcile', reason: 'field_mismatch', threadId });
   * ```
   */
  async record(discrepancy: Discrepancy): Promise<void> {
    const now = unixSeconds(this.#context.clock);
    await this.#context.db
      .insertInto('discrepancies')
      .values({
        stage: discrepancy.stage,
        reason: discrepancy.reason,
        count: 1,
        first_seen_at: now,
        last_seen_at: now,
        last_thread_id: discrepancy.threadId ?? null,
        last_path: discrepancy.path ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['stage', 'reason']).doUpdateSet((eb) => ({
          count: eb('discrepancies.count', '+', 1),
          last_seen_at: now,
          last_thread_id: discrepancy.threadId ?? null,
          last_path: discrepancy.path ?? null,
        })),
      )
      .execute();
  }

  /**
   * Every counter, most frequent first.
   *
   * @example
   * ```ts
   * const total = (await store.discrepancies.counts()).reduce((n, c) => n + c.count, 0);
   * ```
   */
  async counts(): Promise<DiscrepancyCount[]> {
    const rows = await this.#context.db
      .selectFrom('discrepancies')
      .selectAll()
      .orderBy('count', 'desc')
      .orderBy('stage')
      .orderBy('reason')
      .execute();
    return rows.map((row) => ({
      stage: row.stage,
      reason: row.reason,
      count: row.count,
      firstSeenAt: row.first_seen_at,
      lastSeenAt: row.last_seen_at,
      lastThreadId: row.last_thread_id,
      lastPath: row.last_path,
    }));
  }

  /**
   * Forgets all counters (after the problems were dealt with).
   *
   * @example
   * ```ts
   * await store.discrepancies.clear();
   * ```
   */
  async clear(): Promise<void> {
    await this.#context.db.deleteFrom('discrepancies').execute();
  }
}
