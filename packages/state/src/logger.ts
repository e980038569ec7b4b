/**
 * Severity of a log entry, lowest first. Stored upper-case (`"WARN"`) in the logs database.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'warn';
 * ```
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * All levels, lowest first.
 *
 * @example
 * ```ts
 * if (!LOG_LEVELS.includes(value as LogLevel)) {
 *   throw new InvalidArgumentError('--log-level', `expected one of ${LOG_LEVELS.join(', ')}`);
 * }
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
]);

/**
 * Structured context attached to a log entry. Well-known keys: `target` (the component, e.g.
 * `agent_state::backfill`), `threadId`, `path`, `error`.
 *
 * @example
 * ```ts
 * logger.warn('skipped malformed line', { path, line: 12 });
 * ```
 */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The one logging interface every agent-state component writes through. Implementations must
 * never throw into the caller and never block it. `child` returns a logger that adds `bindings`
 * to every entry (a component's `target`, a thread id).
 *
 * @example
 * ```ts
 * function work(options: { logger?: Logger }) {
 *   const log = (options.logger ?? noopLogger).child({ target: 'my_app::work' });
 *   log.info('started');
 * }
 * ```
 */
export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/**
 * A logger that discards everything: the default when no logger is given.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home, logger: noopLogger });
 * ```
 */
export const noopLogger: Logger = Object.freeze({
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
});

/**
 * One entry as seen by a {@link LogWriter}: the level, the message, and the merged bindings and
 * fields.
 *
 * @example
 * ```ts
 * const records: LogRecord[] = [];
 * const logger = createLogger((record) => records.push(record));
 * logger.child({ target: 'demo' }).warn('slow', { ms: 900 });
 * // records[0] = { level: 'warn', message: 'slow', fields: { target: 'demo', ms: 900 } }
 * ```
 */
export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/**
 * Receives every entry of a logger made by {@link createLogger}.
 *
 * @example
 * ```ts
 * const toStderr: LogWriter = ({ level, message, fields }) => {
 *   process.stderr.write(`${level.toUpperCase()} ${message} ${JSON.stringify(fields)}\n`);
 * };
 * const logger = createLogger(toStderr, { minLevel: 'warn' });
 * ```
 */
export type LogWriter = (record: LogRecord) => void;

/**
 * Builds a {@link Logger} on top of one function that receives each entry with its bindings
 * merged in. Entries below `minLevel` are dropped before the writer is called; a writer that
 * throws is ignored, so logging never breaks the caller.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const logger = createLogger((r) => lines.push(`${r.level} ${r.message}`), { minLevel: 'info' });
 * logger.child({ target: 'demo' }).info('hello'); // lines = ['info hello']
 * ```
 */
export function createLogger(
  write: LogWriter,
  options: { minLevel?: LogLevel; bindings?: LogFields } = {},
): Logger {
  const min = LOG_LEVELS.indexOf(options.minLevel ?? 'trace');
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    try {
      write({ level, message, fields: fields ? { ...bindings, ...fields } : bindings });
    } catch {
      // A logger must never throw into the code that logs.
    }
  };
  return {
    trace: (message, fields) => emit('trace', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (more) =>
      createLogger(write, {
        minLevel: options.minLevel ?? 'trace',
        bindings: { ...bindings, ...more },
      }),
  };
}
