import { InvalidArgumentError } from './errors.js';

/**
 * Source of the current time. Every API that reads the time takes one, so tests move time
 * instead of sleeping through leases (and waiting for heartbeats, through `setTimer`).
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
  /**
   * Calls `callback` once, when this clock has moved `delayMs` milliseconds on; returns a function
   * that cancels the call. Optional: for a clock without it, the store's timers (lease
   * heartbeats) wait with a real timer.
   */
  setTimer?(delayMs: number, callback: () => void): () => void;
}

/**
 * The real clock (`Date.now()`); its timers are real ones that do not keep the process alive.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home, clock: systemClock });
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: () => Date.now(), setTimer: realTimer });

/**
 * Calls `callback` once `clock` has moved `delayMs` milliseconds on: with the clock's own
 * `setTimer` (a {@link ManualClock} calls it from `advance` or `set`), else with a real timer.
 * Real timers do not keep the process alive. Returns a function that cancels the call.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0);
 * const cancel = setClockTimer(clock, 90_000, () => console.log('beat'));
 * clock.advance(90_000); // logs 'beat'
 * cancel(); // nothing left to cancel: harmless
 * ```
 */
export function setClockTimer(clock: Clock, delayMs: number, callback: () => void): () => void {
  return clock.setTimer ? clock.setTimer(delayMs, callback) : realTimer(delayMs, callback);
}

function realTimer(delayMs: number, callback: () => void): () => void {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
}

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
  /** Pending {@link setTimer} calls, in the order they were set. */
  readonly #timers = new Set<{ atMs: number; callback: () => void }>();

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
    this.#fireDueTimers();
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
    this.#fireDueTimers();
  }

  /**
   * Calls `callback` once the time has been moved (by {@link advance} or {@link set}) to
   * `delayMs` milliseconds after now or later; returns a function that cancels the call. Due
   * timers are called synchronously by the move that reaches them, earliest first; a timer set by
   * one of them waits for the next move.
   *
   * @example
   * ```ts
   * const clock = new ManualClock(0);
   * clock.setTimer(1_000, () => console.log('a second later'));
   * clock.advance(999); // nothing yet
   * clock.advance(1); // logs 'a second later'
   * ```
   */
  setTimer(delayMs: number, callback: () => void): () => void {
    const timer = { atMs: this.#nowMs + Math.max(0, checkedMs(delayMs)), callback };
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
    };
  }

  #fireDueTimers(): void {
    const due = [...this.#timers]
      .filter((timer) => timer.atMs <= this.#nowMs)
      .sort((a, b) => a.atMs - b.atMs);
    for (const timer of due) {
      // One called earlier in this move may have cancelled it.
      if (this.#timers.delete(timer)) timer.callback();
    }
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
