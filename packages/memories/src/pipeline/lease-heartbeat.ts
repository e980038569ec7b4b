/**
 * A lease kept alive while work runs: `renew` is called every `everySeconds`, one call after the
 * other (never two at once). When it answers `false` the lease was taken over: `lost` turns true
 * and `signal` aborts, so the work stops. A renewal that throws is reported to `onError` and the
 * next one is tried as usual.
 */
export interface LeaseHeartbeat {
  /** True once a renewal found the lease taken over. */
  readonly lost: boolean;
  /** Aborted (with `lostReason`) when the lease is lost. */
  readonly signal: AbortSignal;
  /** Stops renewing and waits for a renewal in flight, so nothing runs after the work is done. */
  stop(): Promise<void>;
}

/**
 * Starts renewing a lease (see {@link LeaseHeartbeat}). The timer does not keep the process alive.
 *
 * @example
 * ```ts
 * const heartbeat = startLeaseHeartbeat({
 *   everySeconds: 90,
 *   renew: () => store.memories.heartbeatStage1Job({ threadId, ownershipToken, leaseSeconds: 3600 }),
 *   lostReason: 'stage-1 lease lost',
 *   onError: (error) => logger.warn('heartbeat failed', { error: String(error) }),
 * });
 * try {
 *   await work(heartbeat.signal);
 * } finally {
 *   await heartbeat.stop();
 * }
 * ```
 */
export function startLeaseHeartbeat(options: {
  everySeconds: number;
  renew: () => Promise<boolean>;
  lostReason: string;
  onError: (error: unknown) => void;
}): LeaseHeartbeat {
  const controller = new AbortController();
  let lost = false;
  let beat: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beat = beat.then(async () => {
      try {
        if (!(await options.renew()) && !lost) {
          lost = true;
          controller.abort(new Error(options.lostReason));
        }
      } catch (error) {
        options.onError(error);
      }
    });
  }, options.everySeconds * 1000);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    signal: controller.signal,
    async stop() {
      clearInterval(timer);
      await beat;
    },
  };
}
