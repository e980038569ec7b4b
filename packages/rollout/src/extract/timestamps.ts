/** The file-name form, `2026-11-21T05-44-05` (taken as UTC). */
const FILE_NAME_FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/;

/**
 * RFC 3339 as chrono's `parse_from_rfc3339` reads it: a 4-digit year, `T`, `t` or a space between
 * date and time, any number of fraction digits, and `Z`, `z` or an offset of at most ±23:59.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const SECONDS_PER_DAY = 86_400;

/**
 * Parses a rollout timestamp to whole unix seconds, strictly: RFC 3339
 * (`2026-11-21T05:44:05.123Z`, `2026-11-21T06:44:05+01:00`) or the file-name form
 * `2026-11-21T05-44-05` (taken as UTC, as Codex does). Every field must be in range and the date
 * must exist (`2026-02-30` does not; 29 February only in leap years); years have exactly four
 * digits, and `0000`–`0099` are those years, not 1900–1999. A fraction is dropped (the time is
 * rounded down to its second); a leap second (`:60`) is refused. `undefined` for anything else,
 * so that callers fall back as Codex does when chrono refuses a time (to the file name for a
 * `session_meta` time). Listing cursors are parsed with it too.
 *
 * @example
 * ```ts
 * parseRolloutTimestamp('2026-11-21T05-44-05'); // 1795239845
 * parseRolloutTimestamp('2026-11-21T05:44:05.123Z'); // 1795239845
 * parseRolloutTimestamp('2026-02-30T00:00:00Z'); // undefined: there is no 30 February
 * ```
 */
export function parseRolloutTimestamp(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const fileForm = FILE_NAME_FORM.exec(value);
  if (fileForm) return civilSeconds(fileForm);
  const rfc = RFC3339.exec(value);
  if (!rfc) return undefined;
  let offsetMinutes = 0;
  if (rfc[7] !== undefined) {
    const hours = Number(rfc[8]);
    const minutes = Number(rfc[9]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (rfc[7] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const local = civilSeconds(rfc);
  return local === undefined ? undefined : local - offsetMinutes * 60;
}

/**
 * Unix seconds of the date and time in `fields[1..6]` (year, month, day, hour, minute, second),
 * read as UTC; `undefined` when a field is out of range or the date does not exist.
 */
function civilSeconds(fields: RegExpExecArray): number | undefined {
  // Field by field (no array of them): listings parse every rollout name of a folder.
  const year = Number(fields[1]);
  const month = Number(fields[2]);
  const day = Number(fields[3]);
  const hour = Number(fields[4]);
  const minute = Number(fields[5]);
  const second = Number(fields[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
 * `days_from_civil`), exact for every year, unlike `Date.UTC`, which maps years 0–99 to 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Formats unix seconds as RFC 3339 with whole seconds (`2026-11-21T05:44:05Z`), the form of
 * listing cursors and DB timestamps.
 *
 * @example
 * ```ts
 * formatRfc3339Seconds(1795239845); // '2026-11-21T05:44:05Z'
 * ```
 */
export function formatRfc3339Seconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Formats a time as a rollout line timestamp: UTC with exactly three fraction digits and `Z`.
 *
 * @example
 * ```ts
 * formatLineTimestamp(new Date(0)); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function formatLineTimestamp(date: Date): string {
  return date.toISOString();
}
