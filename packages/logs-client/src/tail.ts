import { existsSync } from 'node:fs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

import {
  AgentStateError,
  ErrorCode,
  type LogQuery,
  type LogRow,
  isAgentStateError,
  maxLogId,
  openLogsDatabaseReadOnly,
  queryLogs,
} from '@agent-state/state';

import { type FormatLogOptions, formatLogRow } from './format.js';
import type { OutputStream } from './io.js';

/** Rows read per query while catching up (the backfill with `all`, a burst while following). */
const PAGE_SIZE = 1000;

/**
 * Options of {@link tailLogs}.
 *
 * @example
 * ```ts
 * const options: TailLogsOptions = {
 *   path: '/home/me/.codex/logs_2.sqlite',
 *   query: { levels: ['WARN', 'ERROR'] },
 *   backfill: 200,
 *   pollMs: 500,
 *   follow: true,
 *   format: { format: 'normal', color: false },
 *   stdout: process.stdout,
 *   signal: controller.signal,
 * };
 * ```
 */
export interface TailLogsOptions {
  /** The SQLite file with a `logs` table (ours or Codex's); opened read-only, never written. */
  path: string;
  /** The filters; `afterId`, `limit` and `descending` are the tail's and are ignored here. */
  query: LogQuery;
  /** How many of the newest matching rows to print first (oldest first); `all`: every one. */
  backfill: number | 'all';
  /** Milliseconds between two looks for new rows. */
  pollMs: number;
  /** Keep printing new rows until `signal` aborts; `false` returns after the backfill. */
  follow: boolean;
  format: FormatLogOptions;
  stdout: OutputStream;
  signal?: AbortSignal | undefined;
}

/**
 * How a tail ended: `complete` (without `follow`, after the backfill), `stopped` (the signal
 * aborted) or `output-closed` (the reader of `stdout` went away: EPIPE).
 *
 * @example
 * ```ts
 * const result: TailResult = await tailLogs(options);
 * if (result.end === 'output-closed') process.exitCode = 0;
 * ```
 */
export interface TailResult {
  end: 'complete' | 'stopped' | 'output-closed';
  /** Rows written. */
  printed: number;
  /** The id after which the next poll would have looked (0 when nothing matched). */
  lastId: number;
}

/**
 * Prints the logs of a SQLite file and follows them, as Codex's `logs_client` does: first the
 * newest `backfill` matching rows, oldest first; then, every `pollMs`, the matching rows with an
 * id above the last one seen (when nothing was printed, above the highest matching id). Rows
 * written by other processes while it runs are printed as they are committed. It never writes to
 * the database. It resolves when `follow` is false and the backfill is printed, when `signal`
 * aborts, or quietly when `stdout` reports EPIPE (a reader such as `head` went away); database
 * errors reject (a database locked beyond the busy timeout while following is retried at the
 * next poll). Throws `NOT_FOUND` when the file does not exist.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * const result = await tailLogs({
 *   path: '/home/me/.codex/logs_2.sqlite',
 *   query: { levels: ['WARN', 'ERROR'] },
 *   backfill: 200,
 *   pollMs: 500,
 *   follow: true,
 *   format: { format: 'normal', color: process.stdout.isTTY === true },
 *   stdout: process.stdout,
 *   signal: controller.signal,
 * });
 * ```
 */
export async function tailLogs(options: TailLogsOptions): Promise<TailResult> {
  if (!existsSync(options.path)) {
    throw new AgentStateError(ErrorCode.NotFound, `log database ${options.path} not found`, {
      path: options.path,
    });
  }
  const { db, shape, close } = openLogsDatabaseReadOnly(options.path);
  const output = new Output(options.stdout, options.format, options.signal);
  const filters: LogQuery = {
    ...options.query,
    afterId: undefined,
    limit: undefined,
    descending: undefined,
  };
  let lastId = 0;
  const result = (): TailResult => ({ end: output.end(), printed: output.printed, lastId });
  try {
    // 1. The backfill: the newest rows, printed oldest first.
    if (options.backfill === 'all') {
      for (;;) {
        const rows = queryLogs(db, shape, { ...filters, afterId: lastId, limit: PAGE_SIZE });
        lastId = await output.print(rows, lastId);
        if (rows.length < PAGE_SIZE || output.stopped) break;
      }
    } else if (options.backfill > 0) {
      const rows = queryLogs(db, shape, {
        ...filters,
        limit: options.backfill,
        descending: true,
      }).reverse();
      lastId = await output.print(rows, lastId);
    }
    if (!options.follow || output.stopped) return result();

    // 2. Where following starts when nothing was printed.
    if (lastId === 0) lastId = maxLogId(db, shape, filters);

    // 3. Follow: the rows after the last id, every pollMs (at once while pages come full).
    while (!output.stopped) {
      let rows: LogRow[];
      try {
        rows = queryLogs(db, shape, { ...filters, afterId: lastId, limit: PAGE_SIZE });
      } catch (error) {
        if (!isAgentStateError(error) || error.code !== ErrorCode.StoreBusy) throw error;
        rows = [];
      }
      lastId = await output.print(rows, lastId);
      if (rows.length === PAGE_SIZE) await nextTurn();
      else await output.pause(options.pollMs);
    }
    return result();
  } finally {
    output.dispose();
    close();
  }
}

/**
 * The writing side of a tail: formats rows, respects back-pressure, and turns the signal and an
 * EPIPE on the stream into one stop signal.
 */
class Output {
  printed = 0;
  readonly #stream: OutputStream;
  readonly #format: FormatLogOptions;
  readonly #stop = new AbortController();
  readonly #external: AbortSignal | undefined;
  #closed = false;
  #failure: Error | undefined;

  constructor(stream: OutputStream, format: FormatLogOptions, signal: AbortSignal | undefined) {
    this.#stream = stream;
    this.#format = format;
    this.#external = signal;
    if (signal?.aborted === true) this.#stop.abort();
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    stream.on?.('error', this.#onError);
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  end(): TailResult['end'] {
    if (this.#failure) throw this.#failure;
    if (this.#closed) return 'output-closed';
    return this.stopped ? 'stopped' : 'complete';
  }

  /** Writes `rows` (unless stopped) and returns the highest id seen. */
  async print(rows: readonly LogRow[], lastId: number): Promise<number> {
    let highest = lastId;
    for (const row of rows) highest = Math.max(highest, row.id);
    if (rows.length === 0 || this.stopped) return highest;
    const text = rows.map((row) => `${formatLogRow(row, this.#format)}\n`).join('');
    const flowing = this.#stream.write(text);
    this.printed += rows.length;
    if (flowing === false && this.#stream.once !== undefined && !this.stopped) {
      await this.#drained();
    }
    return highest;
  }

  /** Waits `ms`, or less when stopped. */
  async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: this.#stop.signal });
    } catch (error) {
      if (!this.stopped) throw error;
    }
  }

  dispose(): void {
    this.#external?.removeEventListener('abort', this.#onAbort);
    this.#stream.off?.('error', this.#onError);
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#stop.signal.removeEventListener('abort', done);
        this.#stream.off?.('drain', done);
        resolve();
      };
      this.#stream.once?.('drain', done);
      this.#stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  readonly #onAbort = (): void => this.#stop.abort();

  readonly #onError = (error: Error): void => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') this.#closed = true;
    else this.#failure ??= error;
    this.#stop.abort();
  };
}
