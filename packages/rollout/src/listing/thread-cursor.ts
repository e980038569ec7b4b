import { InvalidArgumentError, type ThreadAnchor, isThreadId } from '@agent-state/state';

import { formatRfc3339Seconds } from '../extract/timestamps.js';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;
/** Largest |unix seconds| a JS `Date` holds. */
const MAX_DATE_SECONDS = 8_640_000_000_000;
const FILE_NAME_FORM = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/;

/**
 * Parses a thread-listing cursor, `<RFC3339>|<uuid>` (`2025-03-04T09:00:00Z|0199…`), into the
 * anchor it names: the sort value of the last item of the previous page in unix seconds (a
 * fraction is dropped) and its id (lowercase). The older file-name form of the time,
 * `2025-03-04T09-00-00|0199…` (read as UTC), is accepted too. The same anchor pages the state
 * store (`store.threads.list({ anchor })`), so file and database listings share cursors.
 *
 * Throws {@link InvalidArgumentError} (argument `cursor`) for anything else.
 *
 * @example
 * ```ts
 * parseThreadCursor('2025-03-04T09:00:00Z|0199a213-81c0-7800-8aa1-bbab2a035a53');
 * // { ts: 1741078800, id: '0199a213-81c0-7800-8aa1-bbab2a035a53' }
 * parseThreadCursor('2025-03-04T09-00-00|0199a213-81c0-7800-8aa1-bbab2a035a53'); // same anchor
 * ```
 */
export function parseThreadCursor(token: string): ThreadAnchor {
  if (typeof token !== 'string') {
    throw new InvalidArgumentError('cursor', `expected a string, got ${typeof token}`);
  }
  const bar = token.indexOf('|');
  if (bar === -1) {
    throw new InvalidArgumentError('cursor', `expected "<time>|<thread id>", got ${quote(token)}`);
  }
  const timePart = token.slice(0, bar);
  const idPart = token.slice(bar + 1);
  if (!isThreadId(idPart)) {
    throw new InvalidArgumentError(
      'cursor',
      `the part after "|" must be a thread id (UUID), got ${quote(idPart)}`,
    );
  }
  const ts = parseCursorTime(timePart);
  if (ts === undefined) {
    throw new InvalidArgumentError(
      'cursor',
      `the part before "|" must be an RFC 3339 time or YYYY-MM-DDThh-mm-ss, got ${quote(timePart)}`,
    );
  }
  return { ts, id: idPart.toLowerCase() };
}

/**
 * Formats an anchor as a thread-listing cursor: `<RFC3339 with whole seconds>|<id>`. Throws
 * {@link InvalidArgumentError} (argument `cursor`) when `ts` is not whole seconds or `id` is not a
 * UUID.
 *
 * @example
 * ```ts
 * formatThreadCursor({ ts: 1741078800, id: '0199a213-81c0-7800-8aa1-bbab2a035a53' });
 * // '2025-03-04T09:00:00Z|0199a213-81c0-7800-8aa1-bbab2a035a53'
 * const next = page.nextAnchor ? formatThreadCursor(page.nextAnchor) : null; // a DB page
 * ```
 */
export function formatThreadCursor(anchor: ThreadAnchor): string {
  if (!Number.isSafeInteger(anchor.ts)) {
    throw new InvalidArgumentError('cursor', `ts must be whole unix seconds, got ${anchor.ts}`);
  }
  if (!isThreadId(anchor.id)) {
    throw new InvalidArgumentError('cursor', `id must be a UUID, got ${quote(anchor.id)}`);
  }
  const time = Math.abs(anchor.ts) <= MAX_DATE_SECONDS ? formatRfc3339Seconds(anchor.ts) : '';
  if (!RFC3339.test(time)) {
    throw new InvalidArgumentError('cursor', `ts ${anchor.ts} is out of the RFC 3339 range`);
  }
  return `${time}|${anchor.id.toLowerCase()}`;
}

/** Unix seconds of a cursor's time part, validating every field; `undefined` when invalid. */
function parseCursorTime(value: string): number | undefined {
  const fileForm = FILE_NAME_FORM.exec(value);
  if (fileForm) return utcSeconds(fileForm.slice(1, 7).map(Number), 0);
  const rfc = RFC3339.exec(value);
  if (!rfc) return undefined;
  let offsetMinutes = 0;
  if (rfc[9] !== undefined) {
    const hours = Number(rfc[10]);
    const minutes = Number(rfc[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (rfc[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return utcSeconds(rfc.slice(1, 7).map(Number), offsetMinutes);
}

function utcSeconds(fields: number[], offsetMinutes: number): number | undefined {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields;
  // Date.UTC maps years 0–99 to 1900–1999; such cursors are not ours anyway.
  if (year < 100) return undefined;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return Math.floor(ms / 1000) - offsetMinutes * 60;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
