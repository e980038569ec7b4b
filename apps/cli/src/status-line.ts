import { performance } from 'node:perf_hooks';

import { truncateEnd } from './format.js';
import type { OutputStream } from './output.js';

/** Options of {@link StatusLine}. */
export interface StatusLineOptions {
  /** Where to draw (stderr). */
  stream: OutputStream;
  /** Draw at all; off a terminal a status line would only litter logs. Default: `stream.isTTY`. */
  enabled?: boolean | undefined;
  /** Redraw at most this often, ms (default 100: ten times a second). */
  minIntervalMs?: number | undefined;
  /** Milliseconds, for the throttle (default `performance.now`). */
  now?: (() => number) | undefined;
}

/**
 * One line of a terminal redrawn in place (`\r…`, then erase to the end of the line), for
 * progress. Throttled, cut to the terminal's width so it never wraps, and a no-op off a terminal.
 */
export class StatusLine {
  readonly #stream: OutputStream;
  readonly #enabled: boolean;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  #lastDrawAt = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(options: StatusLineOptions) {
    this.#stream = options.stream;
    this.#enabled = options.enabled ?? options.stream.isTTY === true;
    this.#minIntervalMs = options.minIntervalMs ?? 100;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Whether anything is drawn at all. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Draws `text` (plain, one line) unless the last draw was too recent; `force` draws anyway. */
  draw(text: string, options: { force?: boolean } = {}): void {
    if (!this.#enabled) return;
    const now = this.#now();
    if (options.force !== true && now - this.#lastDrawAt < this.#minIntervalMs) return;
    this.#lastDrawAt = now;
    const columns = this.#stream.columns;
    const width = columns !== undefined && columns > 10 ? columns - 1 : 79;
    this.#stream.write(`\r${truncateEnd(text, width)}\u001b[K`);
    this.#drawn = true;
  }

  /** Erases the line, when something was drawn. */
  clear(): void {
    if (!this.#drawn) return;
    this.#stream.write('\r\u001b[K');
    this.#drawn = false;
  }
}

/** `[#######.............]`: `done` of `total` as a bar of `width` cells. */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
