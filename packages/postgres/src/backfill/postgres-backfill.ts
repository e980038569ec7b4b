import {
  type BackfillClaim,
  type BackfillClaimOptions,
  type BackfillLease,
  type BackfillRenewOptions,
  type BackfillState,
  type BackfillStore,
  LeaseLostError,
  unixSeconds,
} from '@agent-state/state';
import {
  BACKFILL_NO_HOLDER,
  RELEASED_LEASE,
  backfillCheckpointColumns,
  backfillGenerationColumn,
  backfillProgressColumns,
  backfillStateFromRow,
  checkedBackfillClaimOptions,
  initialBackfillState,
  leaseIsFree,
  ownedBy,
} from '@agent-state/state/backend';
import { sql } from 'kysely';

import { PostgresOwnedLeases, leaseTransaction } from '../leases/postgres-owned-lease.js';
import { type PostgresContext, inHomes, writableHome } from '../store/postgres-context.js';

/**
 * The backfill lease of a PostgreSQL store: one `backfill_state` row per home (its primary key is
 * the home id), owned as the SQLite store's single row is (fencing tokens, deadlines from the
 * store's clock, the holder recorded and a dead holder on this host taken over at once). Processes
 * of one home on many machines share it; other homes' backfills never meet it. Reach it as
 * `store.backfill`.
 *
 * @example
 * ```ts
 * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'claimed') {
 *   let lease = claim.lease;
 *   lease = await store.backfill.checkpoint(lease, 'sessions/2026/01/27/rollout-a.jsonl');
 *   await store.backfill.markComplete(lease);
 * }
 * ```
 */
export class PostgresBackfill implements BackfillStore {
  readonly #context: PostgresContext;
  readonly #lease: PostgresOwnedLeases;

  /** @internal Built by `openPostgresStore`. */
  constructor(context: PostgresContext) {
    this.#context = context;
    this.#lease = new PostgresOwnedLeases(context, {
      table: 'backfill_state',
      kind: {},
      name: 'backfill',
    });
  }

  /**
   * The home's saved state (`pending` with no watermark before anything happened).
   *
   * @example
   * ```ts
   * const { status, lastWatermark } = await store.backfill.get();
   * ```
   */
  async get(): Promise<BackfillState> {
    if (this.#context.homeId === undefined) return this.#acrossHomes();
    const row = await this.#context.db
      .selectFrom('backfill_state')
      .selectAll()
      .where('home_id', '=', writableHome(this.#context, `the ${this.#lease.name} lease`))
      .executeTakeFirst();
    if (!row) return initialBackfillState(unixSeconds(this.#context.clock));
    return this.#fromRow(row);
  }

  /**
   * Across homes (a store opened to read many): `complete` when every home read has a complete
   * backfill (a home's `sync` records its own), else the state of one that has not, so that
   * readers say what the shared store may still miss. `pending` when no home has pushed yet.
   */
  async #acrossHomes(): Promise<BackfillState> {
    const rows = await this.#context.db
      .selectFrom('backfill_state')
      .selectAll()
      .where(inHomes(this.#context, 'home_id'))
      .orderBy(sql`status = 'complete'`)
      .orderBy('updated_at', 'desc')
      .limit(1)
      .execute();
    const row = rows[0];
    return row ? this.#fromRow(row) : initialBackfillState(unixSeconds(this.#context.clock));
  }

  /**
   * @internal What `sync` records for its home: the home's own backfill status (never over a
   * lease held on this server).
   */
  async recordPushed(state: BackfillState): Promise<void> {
    const homeId = writableHome(this.#context, `the ${this.#lease.name} lease`);
    const now = unixSeconds(this.#context.clock);
    const status = state.status === 'complete' ? 'complete' : 'pending';
    await this.#context.db
      .insertInto('backfill_state')
      .values({
        home_id: homeId,
        status,
        last_watermark: state.lastWatermark,
        last_success_at: state.lastSuccessAt,
        updated_at: now,
        ownership_token: null,
        lease_until: null,
        holder_host: null,
        holder_pid: null,
        holder_started_at: null,
        claimed_at: null,
        progress_done: null,
        progress_total: null,
        generation: state.generation,
      })
      .onConflict((oc) =>
        oc
          .column('home_id')
          .doUpdateSet({
            status,
            last_watermark: state.lastWatermark,
            last_success_at: state.lastSuccessAt,
            updated_at: now,
            generation: state.generation,
          })
          .where('backfill_state.ownership_token', 'is', null),
      )
      .execute();
  }

  /**
   * Takes the lease when the backfill is not complete (or was completed under a generation older
   * than `options.generation`) and nobody holds a live lease: an expired lease is taken over, and
   * so, at once, is the lease of a holder that died on this host. Records this process as the
   * holder. Concurrent claimants (any process, any machine) queue on the row's lock: one wins.
   *
   * @example
   * ```ts
   * const claim = await store.backfill.tryClaim({ leaseSeconds: 120, generation: 2 });
   * if (claim.outcome === 'held') console.error(`held until ${claim.leaseUntil}`);
   * ```
   */
  async tryClaim(options: BackfillClaimOptions): Promise<BackfillClaim> {
    const { leaseSeconds, generation } = checkedBackfillClaimOptions(options);
    const homeId = this.#lease.homeId;
    return leaseTransaction(this.#context, async (trx): Promise<BackfillClaim> => {
      const now = unixSeconds(this.#context.clock);
      await trx
        .insertInto('backfill_state')
        .values({ home_id: homeId, status: 'pending', updated_at: now })
        .onConflict((oc) => oc.column('home_id').doNothing())
        .execute();
      // The row lock: a concurrent claimant waits here and then sees this claim's outcome.
      const row = await trx
        .selectFrom('backfill_state')
        .selectAll()
        .where('home_id', '=', homeId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const state = this.#fromRow(row);
      if (state.status === 'complete' && state.generation >= generation) {
        return { outcome: 'complete' };
      }
      await this.#lease.expireDeadHolders(trx, now);
      const { token, columns } = this.#lease.claim(now, leaseSeconds);
      const result = await trx
        .updateTable('backfill_state')
        .set({
          ...columns,
          updated_at: now,
          claimed_at: now,
          progress_done: null,
          progress_total: null,
        })
        .where('home_id', '=', homeId)
        .where(leaseIsFree(now))
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        // A live holder (a dead one's lease was ended above).
        return { outcome: 'held', leaseUntil: state.leaseUntil ?? now, holder: state.holder };
      }
      return {
        outcome: 'claimed',
        lease: { token, leaseSeconds, leaseUntil: columns.lease_until, generation },
        from: state,
      };
    });
  }

  /**
   * Renews the lease for another `leaseSeconds` (recording `options.progress` when given).
   * Throws `LeaseLostError` when the lease is lost (taken over, or its deadline has come).
   *
   * @example
   * ```ts
   * lease = await store.backfill.heartbeat(lease, { progress: { done: 300, total: 1_000 } });
   * ```
   */
  async heartbeat(
    lease: BackfillLease,
    options: BackfillRenewOptions = {},
  ): Promise<BackfillLease> {
    return this.#renew(lease, backfillProgressColumns(options.progress));
  }

  /**
   * Records that everything up to `watermark` (a relative rollout path) is indexed, under the
   * lease's generation (and `options.progress` when given), and renews the lease. Throws
   * `LeaseLostError` when the lease is lost.
   *
   * @example
   * ```ts
   * lease = await store.backfill.checkpoint(lease, 'sessions/2026/11/21/rollout-….jsonl');
   * ```
   */
  async checkpoint(
    lease: BackfillLease,
    watermark: string,
    options: BackfillRenewOptions = {},
  ): Promise<BackfillLease> {
    return this.#renew(lease, backfillCheckpointColumns(lease, watermark, options));
  }

  /**
   * Marks the backfill complete under the lease's generation (optionally with a final watermark)
   * and ends the lease. Throws `LeaseLostError` when the lease was taken over.
   *
   * @example
   * ```ts
   * await store.backfill.markComplete(lease, { lastWatermark: last });
   * ```
   */
  async markComplete(
    lease: BackfillLease,
    options: { lastWatermark?: string | undefined } = {},
  ): Promise<void> {
    const now = unixSeconds(this.#context.clock);
    const result = await this.#context.db
      .updateTable('backfill_state')
      .set((eb) => ({
        status: 'complete',
        last_watermark:
          options.lastWatermark === undefined ? eb.ref('last_watermark') : options.lastWatermark,
        last_success_at: now,
        updated_at: now,
        ...backfillGenerationColumn(lease),
        ...BACKFILL_NO_HOLDER,
      }))
      .where('home_id', '=', this.#lease.homeId)
      .where(ownedBy(lease.token))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new LeaseLostError(this.#lease.name);
  }

  /**
   * Gives the lease up without completing, keeping the watermark, so another process resumes at
   * once. A lease that was already lost is not an error here.
   *
   * @example
   * ```ts
   * process.once('SIGINT', () => void store.backfill.release(lease));
   * ```
   */
  async release(lease: BackfillLease): Promise<void> {
    await this.#context.db
      .updateTable('backfill_state')
      .set({
        ...RELEASED_LEASE,
        ...BACKFILL_NO_HOLDER,
        updated_at: unixSeconds(this.#context.clock),
      })
      .where('home_id', '=', this.#lease.homeId)
      .where(ownedBy(lease.token))
      .execute();
  }

  /**
   * Forgets the home's progress: the next backfill starts from the beginning, and a running one
   * loses its lease.
   *
   * @example
   * ```ts
   * await store.backfill.reset();
   * ```
   */
  async reset(): Promise<void> {
    const now = unixSeconds(this.#context.clock);
    await this.#context.db
      .insertInto('backfill_state')
      .values({ home_id: this.#lease.homeId, status: 'pending', updated_at: now })
      .onConflict((oc) =>
        oc.column('home_id').doUpdateSet({
          status: 'pending',
          last_watermark: null,
          ...BACKFILL_NO_HOLDER,
          updated_at: now,
        }),
      )
      .execute();
  }

  async #renew(
    lease: BackfillLease,
    extra: {
      last_watermark?: string;
      generation?: number;
      progress_done?: number;
      progress_total?: number;
    },
  ): Promise<BackfillLease> {
    const now = unixSeconds(this.#context.clock);
    const leaseUntil = await this.#lease.renew({
      token: lease.token,
      now,
      leaseSeconds: lease.leaseSeconds,
      set: { ...extra, updated_at: now },
    });
    return { ...lease, leaseUntil };
  }

  #fromRow(row: Parameters<typeof backfillStateFromRow>[0]): BackfillState {
    return backfillStateFromRow(row, {
      path: this.#context.server,
      holderProbe: this.#context.holderProbe,
    });
  }
}
