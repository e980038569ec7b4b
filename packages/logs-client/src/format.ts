import type { LogRow } from '@agent-state/state';

/**
 * How rows are printed: `normal` (`{ts} {level} [{thread}] {target} - {message}`), `compact`
 * (`{HH:MM:SS} {level} {message}`) or `json` (one JSON object per line).
 *
 * @example
 * ```ts
 * const format: LogFormat = options.json ? 'json' : options.compact ? 'compact' : 'normal';
 * ```
 */
export type LogFormat = 'normal' | 'compact' | 'json';

/**
 * Options of {@link formatLogRow}.
 *
 * @example
 * ```ts
 * const options: FormatLogOptions = { format: 'normal', color: process.stdout.isTTY === true };
 * ```
 */
export interface FormatLogOptions {
  format: LogFormat;
  /** ANSI colors (never in `json`): levels colored, timestamp and target dimmed, message bold. */
  color: boolean;
}

/**
 * A row as `--json` prints it: snake_case like the `logs` table, `ts` in RFC 3339 with nanoseconds.
 *
 * @example
 * ```ts
 * const row = JSON.parse(line) as JsonLogRow;
 * row.ts; // '2026-11-21T06:12:04.552220384Z'
 * ```
 */
export interface JsonLogRow {
  id: number;
  ts: string;
  level: string;
  target: string;
  message: string | null;
  module_path: string | null;
  file: string | null;
  line: number | null;
  thread_id: string | null;
  process_uuid: string | null;
}

/**
 * How {@link formatLogTime} writes a time: RFC 3339 UTC with milliseconds
 * (`2026-11-21T06:12:04.552Z`), with nanoseconds (`2026-11-21T06:12:04.552220384Z`), or the
 * time of day only (`06:12:04`).
 *
 * @example
 * ```ts
 * const precision: TimePrecision = compact ? 'time-of-day' : 'milliseconds';
 * ```
 */
export type TimePrecision = 'milliseconds' | 'nanoseconds' | 'time-of-day';

/** The unix seconds RFC 3339 can write with a four-digit year: 0000-01-01 to 9999-12-31. */
const MIN_TS = -62_167_219_200;
const MAX_TS = 253_402_300_799;
const U32_LIMIT = 2 ** 32;

/**
 * Formats a row's `ts` (unix seconds) and `ts_nanos` (the sub-second part) in UTC. Values no date
 * can hold (a year beyond 9999, nanoseconds of a second or more) print as
 * `<ts>.<ts_nanos, 9 digits>Z`, as Codex's client does.
 *
 * @example
 * ```ts
 * formatLogTime(1795241524, 552220384, 'milliseconds'); // '2026-11-21T06:12:04.552Z'
 * formatLogTime(1795241524, 552220384, 'nanoseconds'); // '2026-11-21T06:12:04.552220384Z'
 * formatLogTime(1795241524, 552220384, 'time-of-day'); // '06:12:04'
 * ```
 */
export function formatLogTime(ts: number, tsNanos: number, precision: TimePrecision): string {
  const nanos = Number.isInteger(tsNanos) && tsNanos >= 0 && tsNanos < U32_LIMIT ? tsNanos : 0;
  if (!Number.isInteger(ts) || ts < MIN_TS || ts > MAX_TS || nanos >= 1e9) {
    return `${ts}.${String(tsNanos).padStart(9, '0')}Z`;
  }
  const iso = new Date(ts * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  switch (precision) {
    case 'time-of-day':
      return iso.slice(11, 19);
    case 'milliseconds':
      return `${iso.slice(0, 19)}.${String(Math.floor(nanos / 1e6)).padStart(3, '0')}Z`;
    case 'nanoseconds':
      return `${iso.slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
  }
}

/**
 * A row as `--json` prints it (see {@link JsonLogRow}).
 *
 * @example
 * ```ts
 * stdout.write(`${JSON.stringify(toJsonLogRow(row))}\n`);
 * ```
 */
export function toJsonLogRow(row: LogRow): JsonLogRow {
  return {
    id: row.id,
    ts: formatLogTime(row.ts, row.tsNanos, 'nanoseconds'),
    level: row.level,
    target: row.target,
    message: row.message,
    module_path: row.modulePath,
    file: row.file,
    line: row.line,
    thread_id: row.threadId,
    process_uuid: row.processUuid,
  };
}

/**
 * Formats one row as one output line (without the newline; a message with newlines spans several
 * lines, as logged). `normal`: `{ts} {level} [{thread}] {target} - {message}`, the time in RFC 3339
 * UTC with milliseconds, the level padded to 5, `-` for no thread, `""` for no message.
 * `compact`: `{HH:MM:SS} {level} {message}`. `json`: {@link JsonLogRow}. With `color`, the colors of
 * Codex's client: ERROR red, WARN yellow, INFO green, DEBUG blue, TRACE magenta (all bold),
 * timestamp and target dimmed, thread blue and dimmed, message bold; in a message containing
 * `ToolCall: apply_patch` the diff's `+` lines are green and `-` lines red.
 *
 * @example
 * ```ts
 * formatLogRow(row, { format: 'normal', color: false });
 * // '2026-11-21T06:12:04.552Z INFO  [-] codex_core::models_manager::manager - models cache: evaluating cache eligibility'
 * formatLogRow(row, { format: 'compact', color: false });
 * // '06:12:04 INFO  models cache: evaluating cache eligibility'
 * ```
 */
export function formatLogRow(row: LogRow, options: FormatLogOptions): string {
  if (options.format === 'json') return JSON.stringify(toJsonLogRow(row));
  const style = options.color ? ANSI : PLAIN;
  const level = style.level(row.level, row.level.padEnd(5));
  const message = style.message(row.message ?? '');
  if (options.format === 'compact') {
    return `${style.dim(formatLogTime(row.ts, row.tsNanos, 'time-of-day'))} ${level} ${message}`;
  }
  const ts = style.dim(formatLogTime(row.ts, row.tsNanos, 'milliseconds'));
  const thread = style.thread(row.threadId ?? '-');
  return `${ts} ${level} [${thread}] ${style.dim(row.target)} - ${message}`;
}

interface Style {
  dim(text: string): string;
  thread(text: string): string;
  level(level: string, text: string): string;
  message(text: string): string;
}

const PLAIN: Style = {
  dim: (text) => text,
  thread: (text) => text,
  level: (_level, text) => text,
  message: (text) => text,
};

// The escapes of owo-colors, which Codex's client uses: an outer style wraps the inner one.
const bold = (text: string): string => `\x1b[1m${text}\x1b[0m`;
const dimmed = (text: string): string => `\x1b[2m${text}\x1b[0m`;
const fg = (code: number, text: string): string => `\x1b[${code}m${text}\x1b[39m`;
const RED = 31;
const GREEN = 32;
const YELLOW = 33;
const BLUE = 34;
const MAGENTA = 35;

const LEVEL_COLORS: Readonly<Record<string, number>> = {
  ERROR: RED,
  WARN: YELLOW,
  INFO: GREEN,
  DEBUG: BLUE,
  TRACE: MAGENTA,
};

const ANSI: Style = {
  dim: dimmed,
  thread: (text) => dimmed(fg(BLUE, text)),
  level: (level, text) => {
    const color = LEVEL_COLORS[level.toUpperCase()];
    return bold(color === undefined ? text : fg(color, text));
  },
  message: (text) => {
    if (!text.includes('ToolCall: apply_patch')) return bold(text);
    return text
      .split('\n')
      .map((line) =>
        bold(line.startsWith('+') ? fg(GREEN, line) : line.startsWith('-') ? fg(RED, line) : line),
      )
      .join('\n');
  },
};
