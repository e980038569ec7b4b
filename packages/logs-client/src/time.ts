import { type Clock, InvalidArgumentError } from '@agent-state/state';

/**
 * Options of {@link parseTimeArgument}.
 *
 * @example
 * ```ts
 * const options: ParseTimeOptions = { flag: '--since', clock: systemClock };
 * ```
 */
export interface ParseTimeOptions {
  /** The flag the value came from, named in the error. */
  flag: string;
  /**
   * When given, relative times (`30s`, `10m`, `2h`, `1d`, `1w`, `1h30m`, also written `-10m`) and
   * `now` are accepted too, counted back from this clock (`--since` / `--until`).
   */
  clock?: Clock | undefined;
}

const UNIX_SECONDS = /^[+-]?\d+$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const RELATIVE = /^-?(?:\d+[smhdw])+$/;
const RELATIVE_PART = /(\d+)([smhdw])/g;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
};

/**
 * Turns a time argument into unix seconds, as Codex's `logs_client` does for `--from` / `--to`: an
 * integer is unix seconds (negative allowed), else an RFC 3339 date-time (`2026-11-21T06:12:04Z`,
 * `2026-11-21 07:12:04.5+01:00`; the offset is honoured, sub-seconds are dropped). With
 * `options.clock`, relative times count back from now (`10m` = ten minutes ago) and `now` is now.
 * Anything else throws an `InvalidArgumentError` naming `options.flag` (the CLI exits 2).
 *
 * @example
 * ```ts
 * parseTimeArgument('1795241524', { flag: '--from' }); // 1795241524
 * parseTimeArgument('2026-11-21T06:12:04.552Z', { flag: '--from' }); // 1795241524
 * parseTimeArgument('10m', { flag: '--since', clock: new ManualClock(1_795_242_124_000) }); // 1795241524
 * parseTimeArgument('yesterday', { flag: '--since' }); // throws: invalid --since: expected …
 * ```
 */
export function parseTimeArgument(value: string, options: ParseTimeOptions): number {
  const text = value.trim();
  if (UNIX_SECONDS.test(text)) {
    const seconds = Number(text);
    if (!Number.isSafeInteger(seconds)) {
      throw new InvalidArgumentError(options.flag, `unix seconds out of range: ${value}`);
    }
    return seconds;
  }
  const match = RFC3339.exec(text);
  if (match) return rfc3339Seconds(match, value, options.flag);
  if (options.clock !== undefined) {
    const nowSeconds = Math.floor(options.clock.now() / 1000);
    if (text.toLowerCase() === 'now') return nowSeconds;
    if (RELATIVE.test(text)) {
      const seconds = nowSeconds - relativeSeconds(text);
      if (!Number.isSafeInteger(seconds)) {
        throw new InvalidArgumentError(options.flag, `relative time out of range: ${value}`);
      }
      return seconds;
    }
  }
  const expected =
    options.clock === undefined
      ? 'expected RFC 3339 (2026-11-21T06:12:04Z) or unix seconds'
      : 'expected a relative time (30s, 10m, 2h, 1d), now, RFC 3339 (2026-11-21T06:12:04Z) or unix seconds';
  throw new InvalidArgumentError(options.flag, `${expected}, got ${JSON.stringify(value)}`);
}

function rfc3339Seconds(match: RegExpExecArray, value: string, flag: string): number {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [, , , , , , , sign, offsetHours, offsetMinutes] = match;
  const invalid = (what: string): InvalidArgumentError =>
    new InvalidArgumentError(flag, `invalid ${what} in ${JSON.stringify(value)}`);
  if (month < 1 || month > 12) throw invalid('month');
  if (day < 1 || day > daysInMonth(year, month)) throw invalid('day');
  if (hour > 23) throw invalid('hour');
  if (minute > 59) throw invalid('minute');
  // 60 is a leap second; like chrono, it counts as the second before.
  if (second > 60) throw invalid('second');
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), 0);
  let seconds = date.getTime() / 1000;
  if (sign !== undefined) {
    const hours = Number(offsetHours);
    const minutes = Number(offsetMinutes);
    if (hours > 23 || minutes > 59) throw invalid('offset');
    seconds -= (sign === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  return seconds;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * A duration written as `logs --since` takes it, a whole number and a unit (`s`, `m`, `h`, `d`,
 * `w`), or several (`1h30m`), to seconds. Throws `InvalidArgumentError` naming `flag` otherwise.
 *
 * @example
 * ```ts
 * parseDurationArgument('7d', { flag: '--compress-after' }); // 604800
 * parseDurationArgument('1h30m', { flag: '--every' }); // 5400
 * ```
 */
export function parseDurationArgument(value: string, options: { flag: string }): number {
  const text = value.trim();
  const seconds = RELATIVE.test(text) && !text.startsWith('-') ? relativeSeconds(text) : Number.NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new InvalidArgumentError(
      options.flag,
      `expected a duration: a whole number and a unit, s, m, h, d or w (7d, 1h30m), got ${JSON.stringify(value)}`,
    );
  }
  return seconds;
}

function relativeSeconds(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(RELATIVE_PART)) {
    total += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
  }
  return total;
}
