import { isAgentStateError } from '@agent-state/errors';

import { type Clock, setClockTimer, unixSeconds } from '../clock.js';
import { ErrorCode, InvalidArgumentError, LeaseLostError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isLeaseExpired } from './owned-lease.js';

/**
 * Options of {@link startLeaseHeartbeat}.
 *
 * @example
 * ```ts
 * const options: LeaseHeartbeatOptions = {
 *   lease: 'phase-2 lock',
 *   clock: store.clock,
 *   intervalMs: 90_000,
 *   leaseUntil: claim.leaseUntil,
 *   renew: () => store.phase2Lock.heartbeat({ ownershipToken, leaseSeconds: 3600 }),
 *   logger,
 * };
 * ```
 */
export interface LeaseHeartbeatOptions {
  /** Names the lease in logs and in the {@link LeaseLostError} of a lease that ran out. */
  lease: string;
  /** Tells the time and waits between renewals (a `ManualClock` in tests). */
  clock: Clock;
  /** Time from one renewal's end to the next renewal's start, ms. */
  intervalMs: number;
  /** The lease's deadline when the heartbeat starts (as the claim returned it), unix seconds. */
  leaseUntil: number;
  /**
   * Renews the lease: resolves to its new deadline (unix seconds), or rejects with a
   * {@link LeaseLostError} when the lease is lost. Any other rejection is a renewal that failed
   * (the store was busy, say): it is logged and tried again at the next beat, unless the lease
   * ran out meanwhile, which loses it too.
   */
  renew: () => Promise<number>;
  /** Failed renewals are warned here. */
  logger: Logger;
}

/**
 * A lease renewed while work runs under it (see {@link startLeaseHeartbeat}).
 *
 * @example
 * ```ts
 * const heartbeat: LeaseHeartbeat = startLeaseHeartbeat(options);
 * await work(heartbeat.signal);
 * await heartbeat.stop();
 * if (heartbeat.lost) console.warn('another process owns the lease now');
 * ```
 */
export interface LeaseHeartbeat {
  /** True once the lease is lost. */
  readonly lost: boolean;
  /** Aborted, with the {@link LeaseLostError} as its reason, when the lease is lost. */
  readonly signal: AbortSignal;
  /**
   * Stops renewing and waits for a renewal in flight, so nothing renews the lease once this
   * resolves (finish or release it then). Stopping twice is harmless.
   */
  stop(): Promise<void>;
}

/**
 * Keeps a lease (the backfill lease, a stage-1 job, the phase-2 lock) alive while work runs
 * under it: calls `renew` every `intervalMs` of `clock`, one renewal at a time (the next wait
 * starts only once the previous renewal settled, so renewals never overlap), until
 * {@link LeaseHeartbeat.stop}. It applies the lease-lost rule the same way for every lease: lost
 * when a renewal rejects with {@link LeaseLostError} (the token no longer owns the row, or its
 * deadline had come), or when a renewal fails otherwise after the last known deadline has come by
 * `clock`. A lost lease aborts {@link LeaseHeartbeat.signal} and stops the heartbeat.
 *
 * @example
 * ```ts
 * const heartbeat = startLeaseHeartbeat({
 *   lease: 'stage-1 job',
 *   clock: store.clock,
 *   intervalMs: 90_000,
 *   leaseUntil: claim.leaseUntil,
 *   renew: () => store.stage1Jobs.heartbeat({ threadId, ownershipToken, leaseSeconds: 3600 }),
 *   logger,
 * });
 * try {
 *   await extract(thread, { signal: heartbeat.signal });
 * } finally {
 *   await heartbeat.stop();
 * }
 * ```
 */
export function startLeaseHeartbeat(options: LeaseHeartbeatOptions): LeaseHeartbeat {
  const { clock, lease, logger, intervalMs } = options;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new InvalidArgumentError('intervalMs', `expected a positive number, got ${intervalMs}`);
  }
  const controller = new AbortController();
  let leaseUntil = options.leaseUntil;
  let stopped = false;
  let cancelWait: (() => void) | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const lose = (error: LeaseLostError): void => {
    if (!controller.signal.aborted) controller.abort(error);
  };
  const beat = async (): Promise<void> => {
    try {
      leaseUntil = await options.renew();
    } catch (error) {
      if (isLeaseLost(error)) {
        lose(error);
        return;
      }
      logger.warn('lease heartbeat failed', { lease, error: String(error) });
      if (isLeaseExpired(leaseUntil, unixSeconds(clock))) lose(new LeaseLostError(lease));
    }
  };
  const wait = (): void => {
    if (stopped || controller.signal.aborted) return;
    cancelWait = setClockTimer(clock, intervalMs, () => {
      cancelWait = undefined;
      inFlight = beat().then(wait);
    });
  };
  wait();

  return {
    get lost() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    async stop() {
      stopped = true;
      cancelWait?.();
      cancelWait = undefined;
      await inFlight;
    },
  };
}

/** A {@link LeaseLostError}, also from another copy of this package (by its code). */
function isLeaseLost(error: unknown): error is LeaseLostError {
  return isAgentStateError(error) && error.code === ErrorCode.LeaseLost;
}
