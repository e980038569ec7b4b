import { randomUUID } from 'node:crypto';

import { type Clock, systemClock } from '../clock.js';
import { type LogFields, type LogLevel, type Logger, createLogger } from '../logger.js';
import type { LogEntry } from './log-entry.js';
import type { LogsStore } from './logs-store.js';

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
  /** Identifies this process's rows (default `pid:<pid>:<uuid>`, as the reference). */
  processUuid?: string | undefined;
  /** Entries below this level are not stored (default `debug`). */
  minLevel?: LogLevel | undefined;
  /** Most entries waiting to be written; more are dropped and counted (default 10,000). */
  queueCapacity?: number | undefined;
  /** Entries that trigger a write as soon as they are queued (default 512). */
  batchSize?: number | undefined;
  /** Longest an entry waits before it is written, ms (default 250). */
  flushIntervalMs?: number | undefined;
  /** Run age and size pruning this often, ms (default one hour; 0: never). */
  pruneIntervalMs?: number | undefined;
  clock?: Clock | undefined;
}

/**
 * A logger that writes to the logs database, and its controls. Logging never blocks or throws:
 * entries join a bounded queue that is written in batches (when full enough, and at least every
 * `flushIntervalMs`); when the queue is full, entries are dropped and counted in `dropped`.
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
  /** Entries dropped because the queue was full or a write failed. */
  readonly dropped: number;
  /** Entries written so far. */
  readonly written: number;
  /** Writes everything queued now. */
  flush(): Promise<void>;
  /** Writes what is queued and stops the timers; later entries are dropped. */
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
  let queue: LogEntry[] = [];
  let dropped = 0;
  let written = 0;
  let closed = false;
  let scheduled = false;

  const write = (): void => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    try {
      store.insert(batch);
      written += batch.length;
    } catch {
      // The database is locked, full or gone: these entries are lost, and counted.
      dropped += batch.length;
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(write);
  };

  const logger = createLogger(
    ({ level, message, fields }) => {
      if (closed || queue.length >= capacity) {
        dropped += 1;
        return;
      }
      queue.push(toEntry(clock, level, message, fields, processUuid));
      if (queue.length >= batchSize) schedule();
    },
    { minLevel: options.minLevel ?? 'debug' },
  );

  const flushTimer = setInterval(write, options.flushIntervalMs ?? DEFAULTS.flushIntervalMs);
  flushTimer.unref();
  const pruneEvery = options.pruneIntervalMs ?? DEFAULTS.pruneIntervalMs;
  const prune = (): void => {
    try {
      store.pruneOlderThan();
      store.prunePartitions();
    } catch {
      // Pruning is best effort; it runs again later.
    }
  };
  const pruneTimer = pruneEvery > 0 ? setInterval(prune, pruneEvery) : undefined;
  pruneTimer?.unref();

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
      clearInterval(flushTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      write();
    },
  };
}

function toEntry(
  clock: Clock,
  level: LogLevel,
  message: string,
  fields: LogFields,
  processUuid: string,
): LogEntry {
  const ms = clock.now();
  const { target, threadId, ...rest } = fields as { target?: unknown; threadId?: unknown };
  const extra = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return {
    ts: Math.floor(ms / 1000),
    tsNanos: Math.round((ms % 1000) * 1_000_000),
    level: level.toUpperCase(),
    target: typeof target === 'string' ? target : 'agent_state',
    message: extra.length > 0 ? `${message} ${extra.join(' ')}` : message,
    modulePath: typeof target === 'string' ? target : null,
    file: null,
    line: null,
    threadId: typeof threadId === 'string' ? threadId : null,
    processUuid,
  };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s|"/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
