import { randomUUID } from 'node:crypto';

import { type Clock, systemClock } from '../clock.js';
import type { LogFields, LogLevel, Logger } from '../logger.js';
import type { LogEntry } from './log-entry.js';
import { LOG_WRITE_BUSY_TIMEOUT_MS, type LogsStore } from './logs-store.js';

/**
 * Options of {@link createLogSink}.
 *
 * @example
 * ```ts
 * const options: LogSinkOptions = { store: logs, minLevel: 'info', queueCapacity: 50_000 };
 * ```
 */
export interface LogSinkOptions {
  store: LogsStore;
  /** Identifies this process's rows (default `pid:<pid>:<uuid>`, as Codex). */
  processUuid?: string | undefined;
  /** Entries below this level are not stored (default `debug`). */
  minLevel?: LogLevel | undefined;
  /** Most entries waiting to be written; more are dropped and counted (default 10,000). */
  queueCapacity?: number | undefined;
  /** Entries that trigger a write as soon as they are queued (default 512). */
  batchSize?: number | undefined;
  /** Longest an entry waits before it is written, ms (default 250). */
  flushIntervalMs?: number | undefined;
  /**
   * Prune by age and size (see `LogsStore.prune`) when the sink starts and then this often, ms
   * (default one hour; 0: never). A prune is skipped when any process recorded one in the logs
   * database less than this long ago, so short-lived processes do not all prune.
   */
  pruneIntervalMs?: number | undefined;
  /**
   * How long one batch write waits for another process's lock before the batch is counted as
   * dropped, ms (default 200): logging never stalls its process.
   */
  writeBusyTimeoutMs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * A logger that writes to the logs database, and its controls. Logging never blocks or throws:
 * entries join a bounded queue that is written in batches (when full enough, and at least every
 * `flushIntervalMs`); when the queue is full, or a write meets a lock held by another process for
 * longer than `writeBusyTimeoutMs`, entries are dropped and counted in `dropped`. The sink also
 * keeps the database pruned (see `pruneIntervalMs`).
 *
 * @example
 * ```ts
 * const logs = await openLogsStore({ home });
 * const sink = createLogSink({ store: logs });
 * const store = await openStateStore({ home, logger: sink.logger });
 * // …
 * await sink.close(); // writes what is queued
 * logs.close();
 * ```
 */
export interface LogSink {
  readonly logger: Logger;
  /** The `process_uuid` of this sink's rows. */
  readonly processUuid: string;
  /**
   * Entries dropped because the queue was full or a write failed. Each write (batch, timer,
   * `flush`, `close`) also records new drops in the logs database, per process, where
   * `readLogsHealth` and `agent-state doctor` find them.
   */
  readonly dropped: number;
  /** Entries written so far. */
  readonly written: number;
  /** Writes everything queued now. */
  flush(): Promise<void>;
  /**
   * Writes what is queued, stops the timers, and stops a prune in progress after its current
   * short transaction (the next prune, in any process, goes on with the rest); later entries
   * are dropped.
   */
  close(): Promise<void>;
}

const DEFAULTS = {
  queueCapacity: 10_000,
  batchSize: 512,
  flushIntervalMs: 250,
  pruneIntervalMs: 3_600_000,
};

/**
 * Creates a {@link LogSink}: a {@link Logger} whose entries land in the logs database with the
 * process uuid and, when the fields or bindings carry one, the thread id (`threadId`). A
 * `target` binding becomes the row's target; other fields are appended to the message as
 * `key=value`.
 *
 * @example
 * ```ts
 * const sink = createLogSink({ store: logs, minLevel: 'info' });
 * sink.logger.child({ target: 'my_agent::turn', threadId }).info('turn started', { turn: 3 });
 * ```
 */
export function createLogSink(options: LogSinkOptions): LogSink {
  const clock = options.clock ?? systemClock;
  const processUuid = options.processUuid ?? `pid:${process.pid}:${randomUUID()}`;
  const capacity = options.queueCapacity ?? DEFAULTS.queueCapacity;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  const store = options.store;
  const busyTimeoutMs = options.writeBusyTimeoutMs ?? LOG_WRITE_BUSY_TIMEOUT_MS;
  let queue: LogEntry[] = [];
  let dropped = 0;
  let written = 0;
  let closed = false;
  let scheduled = false;
  /** Of `dropped`, how many are recorded in the database. */
  let recorded = 0;

  // The flush timer runs only while entries wait: an idle process (a watcher) is never woken.
  let flushTimer: NodeJS.Timeout | undefined;
  const flushEvery = options.flushIntervalMs ?? DEFAULTS.flushIntervalMs;
  const armFlush = (): void => {
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(write, flushEvery);
    flushTimer.unref();
  };
  const write = (): void => {
    scheduled = false;
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        store.insert(batch, { busyTimeoutMs });
        written += batch.length;
      } catch {
        // The database is locked (beyond the short timeout), full or gone: these entries are
        // lost, and counted.
        dropped += batch.length;
      }
    }
    recordDrops();
  };
  // Drops not yet recorded in the database go there, so they outlive the process (`doctor`
  // reports them); when that write fails too, they are tried again on the next write.
  const recordDrops = (): void => {
    const count = dropped - recorded;
    if (count === 0) return;
    try {
      store.recordDroppedEntries({ processUuid, count, busyTimeoutMs });
      recorded += count;
    } catch {
      // Best effort, like pruning.
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(write);
  };

  const minLevel = LEVEL_RANK[options.minLevel ?? 'debug'];
  const push = (
    level: LogLevel,
    message: string,
    bound: Bound,
    fields: LogFields | undefined,
  ): void => {
    if (LEVEL_RANK[level] < minLevel) return;
    if (closed || queue.length >= capacity) {
      dropped += 1;
      return;
    }
    queue.push(toEntry(clock.now(), level, message, bound, fields, processUuid));
    if (queue.length >= batchSize) schedule();
    else armFlush();
  };
  const logger: Logger = new SinkLogger(push, bind(ROOT, {}));

  // Pruning: once now (unless another process did within the interval), then on the interval,
  // in short transactions with pauses between them, one prune at a time.
  const pruneEvery = options.pruneIntervalMs ?? DEFAULTS.pruneIntervalMs;
  let pruning: Promise<void> | undefined;
  // `close` stops a prune after its transaction in progress; the next prune does the rest.
  const stopPruning = new AbortController();
  const prune = (): void => {
    if (pruning !== undefined || closed) return;
    pruning = store
      .prune({ minIntervalMs: pruneEvery, busyTimeoutMs, signal: stopPruning.signal })
      .then(
        () => undefined,
        // Pruning is best effort; it runs again on the interval (or in the next process).
        () => undefined,
      )
      .finally(() => {
        pruning = undefined;
      });
  };
  let pruneTimer: NodeJS.Timeout | undefined;
  if (pruneEvery > 0) {
    prune();
    pruneTimer = setInterval(prune, pruneEvery);
    pruneTimer.unref();
  }

  return {
    logger,
    processUuid,
    get dropped() {
      return dropped;
    },
    get written() {
      return written;
    },
    flush: async () => write(),
    close: async () => {
      closed = true;
      clearTimeout(flushTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      stopPruning.abort();
      write();
      await pruning;
    },
  };
}

/** What a logger's bindings contribute to each row, computed once per `child()`. */
interface Bound {
  target: string | null;
  threadId: string | null;
  /** The other bindings as ` key=value` text. */
  extra: string;
}

const ROOT: Bound = { target: null, threadId: null, extra: '' };

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
};
const LEVEL_NAME: Readonly<Record<LogLevel, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

type Push = (level: LogLevel, message: string, bound: Bound, fields: LogFields | undefined) => void;

/**
 * The sink's logger. Unlike a generic logger it never merges field objects per call: a child
 * folds its bindings into {@link Bound} once, and each call only formats its own fields.
 */
class SinkLogger implements Logger {
  readonly #push: Push;
  readonly #bound: Bound;

  constructor(push: Push, bound: Bound) {
    this.#push = push;
    this.#bound = bound;
  }

  trace(message: string, fields?: LogFields): void {
    this.#push('trace', message, this.#bound, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.#push('debug', message, this.#bound, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#push('info', message, this.#bound, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#push('warn', message, this.#bound, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#push('error', message, this.#bound, fields);
  }

  child(bindings: LogFields): Logger {
    return new SinkLogger(this.#push, bind(this.#bound, bindings));
  }
}

function bind(parent: Bound, bindings: LogFields): Bound {
  let { target, threadId, extra } = parent;
  for (const key in bindings) {
    const value = bindings[key];
    if (value === undefined) continue;
    if (key === 'target' && typeof value === 'string') target = value;
    else if (key === 'threadId' && typeof value === 'string') threadId = value;
    else extra += ` ${key}=${formatValue(value)}`;
  }
  return { target, threadId, extra };
}

function toEntry(
  ms: number,
  level: LogLevel,
  message: string,
  bound: Bound,
  fields: LogFields | undefined,
  processUuid: string,
): LogEntry {
  let { target, threadId } = bound;
  let text = bound.extra === '' ? message : message + bound.extra;
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      if (key === 'target' && typeof value === 'string') target = value;
      else if (key === 'threadId' && typeof value === 'string') threadId = value;
      else text += ` ${key}=${formatValue(value)}`;
    }
  }
  return {
    ts: Math.floor(ms / 1000),
    tsNanos: Math.round((ms % 1000) * 1_000_000),
    level: LEVEL_NAME[level],
    target: target ?? 'agent_state',
    message: text,
    modulePath: target,
    file: null,
    line: null,
    threadId,
    processUuid,
  };
}

function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return /[\s"]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
