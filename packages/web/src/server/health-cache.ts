import type { DoctorReport } from '@agent-state/rollout';
import type { Clock } from '@agent-state/state';

/** How long the health page shows the same report before it inspects the home again. */
export const HEALTH_REPORT_TTL_MS = 30_000;

/** A report of the home's health and when it was taken (ms since the epoch, by the clock). */
export interface HealthReading {
  report: DoctorReport;
  takenAtMs: number;
}

/**
 * The last health report, kept for {@link HEALTH_REPORT_TTL_MS}: `inspectHome` checks the
 * store's integrity and walks every rollout, which a page reloaded (or loaded by several tabs)
 * must not repeat each time. Requests that come while a report is taken share it.
 */
export class HealthCache {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  #kept: HealthReading | undefined;
  #taking: Promise<HealthReading> | undefined;

  constructor(clock: Clock, ttlMs = HEALTH_REPORT_TTL_MS) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** The kept report while it is fresh, else a new one from `inspect()`. */
  async get(inspect: () => Promise<DoctorReport>): Promise<HealthReading> {
    const kept = this.#kept;
    if (kept !== undefined && this.#clock.now() - kept.takenAtMs < this.#ttlMs) return kept;
    this.#taking ??= (async () => {
      const takenAtMs = this.#clock.now();
      const reading = { report: await inspect(), takenAtMs };
      this.#kept = reading;
      return reading;
    })().finally(() => {
      this.#taking = undefined;
    });
    return this.#taking;
  }
}
