const pad = (value: number): string => String(value).padStart(2, '0');

/** `2026-11-21 05:44`, local time, of a date; `''` for an invalid one. */
function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `2026-11-21 05:44` (local time) of unix seconds. */
export function formatUnixTime(seconds: number): string {
  return formatDate(new Date(seconds * 1000));
}

/** `2026-11-21 05:44` (local time) of an ISO 8601 time; `''` for `null` or a bad value. */
export function formatIsoTime(iso: string | null): string {
  return iso === null ? '' : formatDate(new Date(iso));
}
