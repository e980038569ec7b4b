import type { SyncResult } from '@agent-state/postgres';
import { type Clock, setClockTimer } from '@agent-state/state';

/** Options of {@link ContinuousSync}. */
export interface ContinuousSyncOptions {
  /** One push (`syncHome` of the home to the shared store). */
  push: () => Promise<SyncResult>;
  /** The local store's clock. */
  clock: Clock;
  /** How long after a change the push starts, so that a burst of changes is one push (ms). */
  delayMs?: number | undefined;
  /** How long after a failed push (a server down) it is tried again (ms). */
  retryMs?: number | undefined;
  onSynced(result: SyncResult): void;
  onFailed(error: unknown): void;
}

/**
 * `watch --sync`: pushes the home to the shared store shortly after each change the watcher
 * makes. Changes during a push are pushed right after it; a push that fails is tried again later
 * (and at the next change), so a server restarted or unreachable for a while only delays it.
 * Times come from the local store's clock.
 */
export class ContinuousSync {
  readonly #options: ContinuousSyncOptions;
  #cancelTimer: (() => void) | undefined;
  /** When the planned push starts (the store clock's milliseconds). */
  #dueAt = 0;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;

  constructor(options: ContinuousSyncOptions) {
    this.#options = options;
  }

  /** A change happened: push soon (once, however many changes come before it starts). */
  request(delayMs = this.#options.delayMs ?? 1_000): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    const clock = this.#options.clock;
    const dueAt = clock.now() + delayMs;
    if (this.#cancelTimer) {
      // A push is planned: a change does not wait for a later retry than its own delay.
      if (dueAt >= this.#dueAt) return;
      this.#cancelTimer();
    }
    this.#dueAt = dueAt;
    this.#cancelTimer = setClockTimer(clock, delayMs, () => {
      this.#cancelTimer = undefined;
      this.#running = this.#push().then((pushed) => {
        this.#running = undefined;
        // Changes made during the push go at once; after a failure, they wait for the retry.
        if (!pushed) this.request(this.#options.retryMs ?? 30_000);
        else if (this.#dirty) this.request(0);
        this.#dirty = false;
      });
    });
  }

  /** No more pushes; waits for the one running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#running;
  }

  /** One push; false when it failed (said through `onFailed`). */
  async #push(): Promise<boolean> {
    try {
      this.#options.onSynced(await this.#options.push());
      return true;
    } catch (error) {
      this.#options.onFailed(error);
      return false;
    }
  }
}
