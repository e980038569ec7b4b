import type { Selectable } from 'kysely';

import { unixSeconds } from '../clock.js';
import type { BackfillStore } from '../contract/store-contract.js';
import { LeaseLostError } from '../errors.js';
import type { LeaseHolder } from '../leases/lease-holder.js';
import { OwnedLeases, RELEASED_LEASE, leaseIsFree, ownedBy } from '../leases/owned-lease.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import type { BackfillStateTable } from '../store/schema.js';
import type { StoreContext } from '../store/store-context.js';
import {
  BACKFILL_NO_HOLDER,
  backfillCheckpointColumns,
  backfillGenerationColumn,
  backfillProgressColumns,
  backfillStateFromRow,
  checkedBackfillClaimOptions,
  initialBackfillState,
} from './backfill-state.js';

/**
 * Progress of the one backfill of a home.
 *
 * @example
 * ```ts
 * const status: BackfillStatus = (await store.backfill.get()).status;
 * if (status !== 'complete') console.log('the index is not complete yet');
 * ```
 */
export type BackfillStatus = 'pending' | 'running' | 'complete';

/**
 * The backfill's saved state (the single `backfill_state` row).
 *
 * @example
 * ```ts
 * const state = await store.backfill.get();
 * if (state.status !== 'complete') console.log(`resuming after ${state.lastWatermark ?? 'the start'}`);
 * ```
 */
export interface BackfillState {
  status: BackfillStatus;
  /** Relative path (with `/`) of the last rollout a checkpoint covered; `null` before the first. */
  lastWatermark: string | null;
  /** When the backfill last completed, unix seconds. */
  lastSuccessAt: number | null;
  /** Last change of the row, unix seconds. */
  updatedAt: number;
  /** Until when the current owner's lease runs, unix seconds; `null` when nobody holds it. */
  leaseUntil: number | null;
  /**
   * The process holding the lease while `running` (still set once its lease ran out); `null`
   * otherwise, or for a lease taken before holders were recorded.
   */
  holder: LeaseHolder | null;
  /**
   * True when `holder` ran on this host and has died: the next claim takes the lease over at
   * once, whatever `leaseUntil` says.
   */
  holderDead: boolean;
  /** When the holder claimed the lease, unix seconds; `null` unless `running`. */
  claimedAt: number | null;
  /** How far the holder got, as it last reported; `null` unless `running`, or before a report. */
  progress: BackfillProgressCounts | null;
  /**
   * Generation of the rules that collected the rollouts `lastWatermark` and `complete` refer to,
   * as the backfill's caller numbers them (`runBackfill` of `@agent-state/rollout` claims `2`,
   * the rules that collect `.jsonl.zst` too): a backfill completed under an older generation is
   * claimed again by a caller with a newer one, to index what the older rules did not collect.
   * `1` for a store written before generations.
   */
  generation: number;
}

/**
 * How far a running backfill got, as its holder reports it with heartbeats and checkpoints.
 *
 * @example
 * ```ts
 * const { progress } = await store.backfill.get();
 * if (progress) console.log(`${progress.done} of ${progress.total} rollouts`);
 * ```
 */
export interface BackfillProgressCounts {
  /** Rollouts indexed (or given up on), by this holder and by earlier runs. */
  done: number;
  /** Rollouts in the home, as the holder counted them when it started. */
  total: number;
}

/**
 * Options of {@link BackfillStore.heartbeat} and {@link BackfillStore.checkpoint}.
 *
 * @example
 * ```ts
 * const options: BackfillRenewOptions = { progress: { done: 3_200, total: 10_000 } };
 * lease = await store.backfill.heartbeat(lease, options);
 * ```
 */
export interface BackfillRenewOptions {
  /** Recorded for processes that wait for this backfill (see {@link BackfillState.progress}). */
  progress?: BackfillProgressCounts | undefined;
}

/**
 * Proof of holding the backfill lease. Pass it to every call made under the lease; the token
 * fences off a previous owner whose lease expired.
 *
 * @example
 * ```ts
 * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'claimed') {
 *   let lease: BackfillLease = claim.lease;
 *   lease = await store.backfill.heartbeat(lease); // leaseUntil is now 120 s from now
 * }
 * ```
 */
export interface BackfillLease {
  readonly token: string;
  /** The lease length used by {@link BackfillStore.heartbeat} and checkpoints, seconds. */
  readonly leaseSeconds: number;
  /** Until when the lease runs, unix seconds (as of the last renewal). */
  readonly leaseUntil: number;
  /** The generation the lease was claimed for: checkpoints and completion record it. */
  readonly generation?: number | undefined;
}

/**
 * Options of {@link BackfillStore.tryClaim}.
 *
 * @example
 * ```ts
 * const options: BackfillClaimOptions = { leaseSeconds: 120, generation: 2 };
 * const claim = await store.backfill.tryClaim(options);
 * ```
 */
export interface BackfillClaimOptions {
  /** Lease length, seconds (a positive integer). */
  leaseSeconds: number;
  /**
   * The caller's generation of collection rules (a positive integer, default 1): a backfill
   * completed under an older one is claimed again (see {@link BackfillState.generation}).
   */
  generation?: number | undefined;
}

/**
 * Result of {@link BackfillStore.tryClaim}. A claim carries the state it was claimed from,
 * so the caller knows where to resume: after `lastWatermark`, or, when `generation` is older
 * than its own, with what the older rules did not collect.
 *
 * @example
 * ```ts
 * const claim: BackfillClaim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'held') {
 *   console.log(`busy until ${new Date(claim.leaseUntil * 1000).toISOString()}`);
 * }
 * ```
 */
export type BackfillClaim =
  | { outcome: 'claimed'; lease: BackfillLease; from: BackfillState }
  | { outcome: 'complete' }
  | { outcome: 'held'; leaseUntil: number; holder: LeaseHolder | null };

/**
 * The resumable, leased backfill's state. One process at a time holds the lease; it renews the
 * lease with heartbeats and checkpoints, and a lease that is not renewed expires so another
 * process resumes from the last checkpoint. Reach it as `store.backfill`.
 *
 * @example
 * ```ts
 * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'claimed') {
 *   let lease = claim.lease;
 *   for (const batch of batches) {
 *     await store.threads.upsertMany(batch.threads);
 *     lease = await store.backfill.checkpoint(lease, batch.lastWatermark);
 *   }
 *   await store.backfill.markComplete(lease);
 * }
 * ```
 */
export class BackfillRepository implements BackfillStore {
  readonly #context: StoreContext;
  readonly #lease: OwnedLeases;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
    this.#lease = new OwnedLeases(context, {
      table: 'backfill_state',
      kind: { id: 1 },
      name: 'backfill',
    });
  }

  /**
   * The saved state (`pending` with no watermark before anything happened).
   *
   * @example
   * ```ts
   * const { status, lastWatermark } = await store.backfill.get();
   * ```
   */
  async get(): Promise<BackfillState> {
    const row = await this.#context.db
      .selectFrom('backfill_state')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) return initialBackfillState(unixSeconds(this.#context.clock));
    return this.#fromRow(row);
  }

  /**
   * Takes the lease when the backfill is not complete (or was completed under a generation older
   * than `options.generation`) and nobody holds a live lease: a lease whose deadline has passed
   * is taken over, and so, at once, is the lease of a holder that died on this host (see
   * `isHolderDeadOnThisHost`). Records this process as the holder. Atomic across processes
   * (`BEGIN IMMEDIATE`).
   *
   * @example
   * ```ts
   * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
   * if (claim.outcome === 'held') console.error(`another process runs the backfill`);
   * ```
   */
  async tryClaim(options: BackfillClaimOptions): Promise<BackfillClaim> {
    const { leaseSeconds, generation } = checkedBackfillClaimOptions(options);
    return immediateTransaction(
      this.#context.db,
      async (trx) => {
        const now = unixSeconds(this.#context.clock);
        await trx
          .insertInto('backfill_state')
          .values({ id: 1, status: 'pending', updated_at: now })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        const row = await trx
          .selectFrom('backfill_state')
          .selectAll()
          .where('id', '=', 1)
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
          .where('id', '=', 1)
          .where(leaseIsFree(now))
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) {
          // A live holder (a dead one's lease was ended above).
          return { outcome: 'held', leaseUntil: state.leaseUntil ?? now, holder: state.holder };
        }
        const lease: BackfillLease = {
          token,
          leaseSeconds,
          leaseUntil: columns.lease_until,
          generation,
        };
        return { outcome: 'claimed', lease, from: state };
      },
      { path: this.#context.path },
    );
  }

  /**
   * Renews the lease for another `leaseSeconds` (recording `options.progress` when given).
   * Throws {@link LeaseLostError} when the lease is lost (taken over, or its deadline has come):
   * the caller must stop. `startLeaseHeartbeat` calls it while a batch runs.
   *
   * @example
   * ```ts
   * const heartbeat = startLeaseHeartbeat({
   *   lease: 'backfill', clock: store.clock, intervalMs: 30_000, leaseUntil: lease.leaseUntil, logger,
   *   renew: async () => (lease = await store.backfill.heartbeat(lease)).leaseUntil,
   * });
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
   * {@link LeaseLostError} when the lease is lost (taken over, or its deadline has come).
   *
   * @example
   * ```ts
   * lease = await store.backfill.checkpoint(lease, 'sessions/2026/11/21/rollout-….jsonl', {
   *   progress: { done: 400, total: 10_000 },
   * });
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
   * and ends the lease. After this only a caller of a newer generation can claim it again.
   * Throws {@link LeaseLostError} when the lease was taken over.
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
      .where('id', '=', 1)
      .where(ownedBy(lease.token))
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new LeaseLostError(this.#lease.name);
  }

  /**
   * Gives the lease up without completing (for example on Ctrl-C), keeping the watermark, so
   * another process can resume at once instead of waiting for the lease to expire. A lease that
   * was already lost is not an error here.
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
      .where('id', '=', 1)
      .where(ownedBy(lease.token))
      .execute();
  }

  /**
   * Forgets all progress: the next backfill starts from the beginning. A running backfill loses
   * its lease (its next checkpoint fails with {@link LeaseLostError}).
   *
   * @example
   * ```ts
   * await store.backfill.reset(); // then run the backfill again to re-index every rollout
   * ```
   */
  async reset(): Promise<void> {
    await this.#context.db
      .insertInto('backfill_state')
      .values({ id: 1, status: 'pending', updated_at: unixSeconds(this.#context.clock) })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          status: 'pending',
          last_watermark: null,
          ...BACKFILL_NO_HOLDER,
          updated_at: unixSeconds(this.#context.clock),
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

  #fromRow(row: Selectable<BackfillStateTable>): BackfillState {
    return backfillStateFromRow(row, this.#context);
  }
}
