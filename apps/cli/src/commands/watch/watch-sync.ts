import { type PostgresStore, type SyncResult, syncHome } from '@agent-state/postgres';
import { type AgentStateStore, setClockTimer } from '@agent-state/state';

/** Options of {@link ContinuousSync}. */
export interface ContinuousSyncOptions {
  local: AgentStateStore;
  remote: PostgresStore;
  redact?: ((text: string) => string) | undefined;
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
    if (this.#cancelTimer) return;
    this.#cancelTimer = setClockTimer(this.#options.local.clock, delayMs, () => {
      this.#cancelTimer = undefined;
      this.#running = this.#push().finally(() => {
        this.#running = undefined;
        if (this.#dirty) {
          this.#dirty = false;
          this.request(0);
        }
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

  async #push(): Promise<void> {
    const { local, remote, redact } = this.#options;
    try {
      this.#options.onSynced(await syncHome({ source: local, target: remote, redact }));
    } catch (error) {
      this.#options.onFailed(error);
      if (!this.#stopped) this.#dirty = false;
      this.request(this.#options.retryMs ?? 30_000);
    }
  }
}
