import type { Selectable } from 'kysely';

import { InvalidArgumentError, StoreCorruptError } from '../errors.js';
import { type LeaseHolderProbe, holderFromColumns } from '../leases/lease-holder.js';
import { checkedPositive } from '../store/argument-checks.js';
import type { BackfillStateTable } from '../store/schema.js';
import type {
  BackfillClaimOptions,
  BackfillLease,
  BackfillProgressCounts,
  BackfillRenewOptions,
  BackfillState,
} from './backfill-repository.js';

// The backfill row as the contract's objects, and the columns its transitions write: shared by
// every store backend (the SQLite store's single row, the PostgreSQL store's row per home), which
// add only their own SQL.

/**
 * The columns of a `backfill_state` row that its state is read from (every backend's row has them;
 * the SQLite row adds its `id`, the PostgreSQL row its `home_id`).
 */
export type BackfillStateColumns = Omit<Selectable<BackfillStateTable>, 'id'>;

/**
 * The state of a backfill that never ran: what `store.backfill.get()` answers before the first
 * claim, at `now` (unix seconds).
 *
 * @example
 * ```ts
 * const state = row ? backfillStateFromRow(row, context) : initialBackfillState(now);
 * ```
 */
export function initialBackfillState(now: number): BackfillState {
  return {
    status: 'pending',
    lastWatermark: null,
    lastSuccessAt: null,
    updatedAt: now,
    leaseUntil: null,
    holder: null,
    holderDead: false,
    claimedAt: null,
    progress: null,
    generation: 1,
  };
}

/**
 * A `backfill_state` row as {@link BackfillState}: the holder, its claim time and progress only
 * while `running`, and whether the holder is dead as `holderProbe` sees it. A status the store
 * never writes throws `StoreCorruptError` naming `path`.
 *
 * @example
 * ```ts
 * const state = backfillStateFromRow(row, { path: store.path, holderProbe: systemLeaseHolderProbe });
 * ```
 */
export function backfillStateFromRow(
  row: BackfillStateColumns,
  options: { path: string; holderProbe: LeaseHolderProbe },
): BackfillState {
  if (row.status !== 'pending' && row.status !== 'running' && row.status !== 'complete') {
    throw new StoreCorruptError(
      options.path,
      `invalid backfill status ${JSON.stringify(row.status)}`,
    );
  }
  const running = row.status === 'running';
  const holder = running ? holderFromColumns(row) : null;
  return {
    status: row.status,
    lastWatermark: row.last_watermark,
    lastSuccessAt: row.last_success_at,
    updatedAt: row.updated_at,
    leaseUntil: running ? row.lease_until : null,
    holder,
    holderDead: holder !== null && options.holderProbe.isDeadOnThisHost(holder),
    claimedAt: running ? row.claimed_at : null,
    progress:
      running && row.progress_done !== null && row.progress_total !== null
        ? { done: row.progress_done, total: row.progress_total }
        : null,
    generation: row.generation,
  };
}

/**
 * What a backfill lease that nobody holds leaves in the row (completed, released or reset).
 *
 * @example
 * ```ts
 * await db.updateTable('backfill_state').set({ ...RELEASED_LEASE, ...BACKFILL_NO_HOLDER }).execute();
 * ```
 */
export const BACKFILL_NO_HOLDER = Object.freeze({
  ownership_token: null,
  lease_until: null,
  holder_host: null,
  holder_pid: null,
  holder_started_at: null,
  claimed_at: null,
  progress_done: null,
  progress_total: null,
} as const);

/**
 * The progress columns a heartbeat or checkpoint writes (none without `progress`); throws
 * `InvalidArgumentError` (`progress.done`, `progress.total`) for counts that are not whole and
 * non-negative.
 *
 * @example
 * ```ts
 * const set = { ...backfillProgressColumns(options.progress), updated_at: now };
 * ```
 */
export function backfillProgressColumns(progress: BackfillProgressCounts | undefined): {
  progress_done?: number;
  progress_total?: number;
} {
  if (progress === undefined) return {};
  for (const [name, value] of [
    ['progress.done', progress.done],
    ['progress.total', progress.total],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(name, `expected a non-negative integer, got ${String(value)}`);
    }
  }
  return { progress_done: progress.done, progress_total: progress.total };
}

/**
 * The generation a lease records with its checkpoints and completion (none for leases of callers
 * that predate generations).
 *
 * @example
 * ```ts
 * const set = { last_watermark: watermark, ...backfillGenerationColumn(lease) };
 * ```
 */
export function backfillGenerationColumn(lease: BackfillLease): { generation?: number } {
  return lease.generation === undefined ? {} : { generation: lease.generation };
}

/**
 * The checked options of a claim of the backfill lease (`store.backfill.tryClaim`): a positive
 * whole lease length, and the caller's generation (1 when not given). Throws
 * `InvalidArgumentError` naming the bad option.
 *
 * @example
 * ```ts
 * const { leaseSeconds, generation } = checkedBackfillClaimOptions(options);
 * ```
 */
export function checkedBackfillClaimOptions(options: BackfillClaimOptions): {
  leaseSeconds: number;
  generation: number;
} {
  return {
    leaseSeconds: checkedPositive('leaseSeconds', options.leaseSeconds),
    generation: checkedPositive('generation', options.generation ?? 1),
  };
}

/**
 * The columns a checkpoint writes besides the renewed lease: the watermark (a non-empty relative
 * rollout path, else `InvalidArgumentError`), the lease's generation and the progress when given.
 *
 * @example
 * ```ts
 * return this.#renew(lease, backfillCheckpointColumns(lease, watermark, options));
 * ```
 */
export function backfillCheckpointColumns(
  lease: BackfillLease,
  watermark: string,
  options: BackfillRenewOptions,
): {
  last_watermark: string;
  generation?: number;
  progress_done?: number;
  progress_total?: number;
} {
  if (typeof watermark !== 'string' || watermark === '') {
    throw new InvalidArgumentError('watermark', 'expected a non-empty relative path');
  }
  return {
    last_watermark: watermark,
    ...backfillGenerationColumn(lease),
    ...backfillProgressColumns(options.progress),
  };
}
