import { existsSync } from 'node:fs';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

import {
  AgentStateError,
  type Clock,
  ErrorCode,
  type LogQuery,
  type LogRow,
  isAgentStateError,
  maxLogId,
  openLogsDatabaseReadOnly,
  queryLogs,
  systemClock,
} from '@agent-state/state';

import { type FormatLogOptions, formatLogRow } from './format.js';
import type { OutputStream } from './io.js';

/** Rows read per query while catching up (the backfill with `all`, a burst while following). */
const PAGE_SIZE = 1000;

/**
 * How long after the end of `query.to` a tail keeps following: rows are written a moment after
 * they are stamped (a sink flushes every 250 ms, today's Codex every 2 s).
 */
const LATE_ROWS_MS = 5000;

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
  /**
   * Keep printing new rows until `signal` aborts, the reader of `stdout` goes away, or
   * `query.to` is past (new rows could no longer match); `false` returns after the backfill.
   */
  follow: boolean;
  format: FormatLogOptions;
  stdout: OutputStream;
  signal?: AbortSignal | undefined;
  /** Now, to know when `query.to` is past (default: the system clock). */
  clock?: Clock | undefined;
}

/**
 * How a tail ended: `complete` (without `follow`, after the backfill; with it, once `query.to`
 * is past), `stopped` (the signal aborted) or `output-closed` (the reader of `stdout` went away:
 * EPIPE, or the stream was closed).
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
  /** The highest id of the table when the tail last looked: the next poll reads the rows after it. */
  lastId: number;
}

/**
 * Prints the logs of a SQLite file and follows them, as Codex's `logs_client` does: first the
 * newest `backfill` matching rows, oldest first; then, every `pollMs`, the matching rows written
 * since. Each look first reads the table's highest id M (whatever the filters), then the matching
 * rows after the previous M up to this one: no row is printed twice or skipped, and a rare
 * filter never makes a poll rescan the rows it already passed. Rows written by other processes
 * while it runs are printed as they are committed. It never writes to the database. It resolves
 * when `follow` is false and the backfill is printed; when `query.to` is past (after printing the
 * rows that match, and a moment for late writes); when `signal` aborts; or quietly when `stdout`
 * reports EPIPE or is closed (checked on every poll). Database errors reject (a database locked
 * beyond the busy timeout while following is retried at the next poll). Throws `NOT_FOUND` when
 * the file does not exist.
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
  const clock = options.clock ?? systemClock;
  const filters: LogQuery = {
    ...options.query,
    afterId: undefined,
    untilId: undefined,
    limit: undefined,
    descending: undefined,
  };
  /** The rows up to this id were looked at (printed when they matched). */
  let lastId = 0;
  const result = (): TailResult => ({ end: output.end(), printed: output.printed, lastId });
  /** The rows after `lastId` up to `until` that match, at most a page, oldest first. */
  const page = (until: number): LogRow[] =>
    queryLogs(db, shape, { ...filters, afterId: lastId, untilId: until, limit: PAGE_SIZE });
  try {
    // 1. The backfill: the newest rows up to the table's highest id now, printed oldest first.
    const highest = maxLogId(db, shape, {});
    if (options.backfill === 'all') {
      for (;;) {
        const rows = page(highest);
        await output.print(rows);
        if (rows.length < PAGE_SIZE || output.stopped) break;
        lastId = rows[rows.length - 1]!.id;
      }
    } else if (options.backfill > 0) {
      const rows = queryLogs(db, shape, {
        ...filters,
        untilId: highest,
        limit: options.backfill,
        descending: true,
      }).reverse();
      await output.print(rows);
    }
    lastId = highest;
    if (!options.follow || output.stopped) return result();

    // 2. Follow: every pollMs (at once while pages come full), the rows after the last look up
    // to the table's highest id now.
    while (!output.stopped) {
      let rows: LogRow[] = [];
      try {
        const until = maxLogId(db, shape, {});
        rows = page(until);
        lastId = rows.length === PAGE_SIZE ? rows[rows.length - 1]!.id : until;
      } catch (error) {
        if (!isAgentStateError(error) || error.code !== ErrorCode.StoreBusy) throw error;
      }
      await output.print(rows);
      if (rows.length === PAGE_SIZE) {
        await nextTurn();
        continue;
      }
      if (filters.to !== undefined && clock.now() >= (filters.to + 1) * 1000 + LATE_ROWS_MS) {
        break; // no row written from now on can match
      }
      await output.pause(options.pollMs);
    }
    return result();
  } finally {
    output.dispose();
    close();
  }
}

/**
 * The writing side of a tail: formats rows, respects back-pressure, and turns the signal, an
 * EPIPE on the stream and the stream's closing into one stop signal.
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
    stream.on?.('close', this.#onClose);
  }

  /** True once stopped; also notices a stream that was closed without telling (each poll asks). */
  get stopped(): boolean {
    if (!this.#stop.signal.aborted && isClosed(this.#stream)) this.#onClose();
    return this.#stop.signal.aborted;
  }

  end(): TailResult['end'] {
    if (this.#failure) throw this.#failure;
    if (this.#closed) return 'output-closed';
    return this.stopped ? 'stopped' : 'complete';
  }

  /** Writes `rows` (unless stopped). */
  async print(rows: readonly LogRow[]): Promise<void> {
    if (rows.length === 0 || this.stopped) return;
    const text = rows.map((row) => `${formatLogRow(row, this.#format)}\n`).join('');
    const flowing = this.#stream.write(text);
    this.printed += rows.length;
    if (flowing === false && this.#stream.once !== undefined && !this.stopped) {
      await this.#drained();
    }
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
    this.#stream.off?.('close', this.#onClose);
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

  // A stream whose `on` ignores the event name hands errors here too: they stay errors.
  readonly #onClose = (error?: unknown): void => {
    if (error instanceof Error) {
      this.#onError(error);
      return;
    }
    this.#closed = true;
    this.#stop.abort();
  };

  readonly #onError = (error: Error): void => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') this.#closed = true;
    else this.#failure ??= error;
    this.#stop.abort();
  };
}

/** Whether a Node stream says it can take no more writes (destroyed, ended or not writable). */
function isClosed(stream: OutputStream): boolean {
  return stream.destroyed === true || stream.writableEnded === true || stream.writable === false;
}
