// The few text forms the problems of a doctor report are written with (the CLI prints the same
// forms in its other output).

import { formatRfc3339Seconds } from '../extract/timestamps.js';

/** `1 rollout`, `2 rollouts`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** Quotes `value` for a POSIX shell when it holds anything beyond plain path characters. */
export function shellQuote(value: string): string {
  return /^[\w./~@%+=:,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Folds a (possibly multi-line) message into one line. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

/** Unix seconds as UTC, `2026-11-21T05:44:08Z` (a value that is no time, as it is). */
export function isoTime(unixSeconds: number): string {
  const valid = !Number.isNaN(new Date(unixSeconds * 1000).getTime());
  return valid ? formatRfc3339Seconds(unixSeconds) : String(unixSeconds);
}

/**
 * A lease holder for people, `pid 1234 on host laptop`, on one line and without control
 * characters (a host name comes from the store, which anything may have written).
 */
export function formatHolder(holder: { host: string; pid: number }): string {
  const host = holder.host
    .replace(/\r\n|\n/g, '⏎')
    .replace(/[\t\r\v\f]/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return `pid ${holder.pid} on host ${host}`;
}
