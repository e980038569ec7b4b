import { InvalidArgumentError, type ThreadAnchor, isThreadId } from '@agent-state/state';

import { formatRfc3339Seconds, parseRolloutTimestamp } from '../extract/timestamps.js';

/** Largest |unix seconds| a JS `Date` holds. */
const MAX_DATE_SECONDS = 8_640_000_000_000;

/**
 * Parses a thread-listing cursor, `<RFC3339>|<uuid>` (`2025-03-04T09:00:00Z|0199…`), into the
 * anchor it names: the sort value of the last item of the previous page in unix seconds (a
 * fraction is dropped) and its id (lowercase); a listing across homes of a shared store adds
 * `|<home id>`, the home of that item. The older file-name form of the time,
 * `2025-03-04T09-00-00|0199…` (read as UTC), is accepted too. The time is parsed strictly (a date
 * that does not exist, such as 30 February, is refused). The same anchor pages the state
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
  const parts = token.split('|');
  if (parts.length < 2 || parts.length > 3) {
    throw new InvalidArgumentError('cursor', `expected "<time>|<thread id>", got ${quote(token)}`);
  }
  const [timePart, idPart, homePart] = parts as [string, string, string | undefined];
  if (!isThreadId(idPart)) {
    throw new InvalidArgumentError(
      'cursor',
      `the part after "|" must be a thread id (UUID), got ${quote(idPart)}`,
    );
  }
  const ts = parseRolloutTimestamp(timePart);
  if (ts === undefined) {
    throw new InvalidArgumentError(
      'cursor',
      `the part before "|" must be an RFC 3339 time or YYYY-MM-DDThh-mm-ss, got ${quote(timePart)}`,
    );
  }
  const anchor: ThreadAnchor = { ts, id: idPart.toLowerCase() };
  if (homePart !== undefined) {
    if (!isThreadId(homePart)) {
      throw new InvalidArgumentError(
        'cursor',
        `the part after the thread id must be a home id (UUID), got ${quote(homePart)}`,
      );
    }
    anchor.homeId = homePart.toLowerCase();
  }
  return anchor;
}

/**
 * Formats an anchor as a thread-listing cursor: `<RFC3339 with whole seconds>|<id>`, and
 * `|<home id>` when the anchor has one (a listing across homes). Throws
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
  if (parseRolloutTimestamp(time) !== anchor.ts) {
    throw new InvalidArgumentError('cursor', `ts ${anchor.ts} is out of the RFC 3339 range`);
  }
  const cursor = `${time}|${anchor.id.toLowerCase()}`;
  if (anchor.homeId === undefined) return cursor;
  if (!isThreadId(anchor.homeId)) {
    throw new InvalidArgumentError('cursor', `homeId must be a UUID, got ${quote(anchor.homeId)}`);
  }
  return `${cursor}|${anchor.homeId.toLowerCase()}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
