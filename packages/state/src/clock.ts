import { InvalidArgumentError } from './errors.js';

/**
 * Source of the current time. Every API that reads the time takes one, so tests move time
 * instead of sleeping through leases.
 *
 * @example
 * ```ts
 * const clock: Clock = systemClock;
 * const nowSeconds = unixSeconds(clock);
 * ```
 */
export interface Clock {
  /** Milliseconds since the unix epoch. */
  now(): number;
}

/**
 * The real clock (`Date.now()`).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home, clock: systemClock });
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * A clock that only moves when told to. For tests and for processes driven by a coordinator.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.advance(61_000); // a minute-long lease has now expired
 * ```
 */
export class ManualClock implements Clock {
  #nowMs: number;

  /**
   * Starts at `startMs` milliseconds since the epoch (default 0, the epoch itself).
   *
   * @example
   * ```ts
   * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
   * ```
   */
  constructor(startMs = 0) {
    this.#nowMs = checkedMs(startMs);
  }

  /**
   * The time set so far, in milliseconds since the epoch.
   *
   * @example
   * ```ts
   * new ManualClock(1_700_000_000_000).now(); // 1700000000000
   * ```
   */
  now(): number {
    return this.#nowMs;
  }

  /**
   * Sets the time, in milliseconds since the epoch.
   *
   * @example
   * ```ts
   * clock.set(Date.parse('2026-06-01T12:00:00Z'));
   * ```
   */
  set(ms: number): void {
    this.#nowMs = checkedMs(ms);
  }

  /**
   * Moves the time forward (or backward, with a negative value) by `ms` milliseconds.
   *
   * @example
   * ```ts
   * clock.advance(121_000); // past a 120-second backfill lease
   * ```
   */
  advance(ms: number): void {
    this.#nowMs = checkedMs(this.#nowMs + ms);
  }
}

/**
 * The clock's time in whole unix seconds (the unit of every timestamp in the store).
 *
 * @example
 * ```ts
 * unixSeconds(new ManualClock(1_700_000_000_999)); // 1700000000
 * ```
 */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

function checkedMs(ms: number): number {
  if (!Number.isFinite(ms))
    throw new InvalidArgumentError('clock time', `not a finite number: ${ms}`);
  return ms;
}
