// Text formatting for people: one-line previews, terminal widths, times and paths. Everything
// here is pure (no streams, no environment) so the renderers stay testable. Counts, durations,
// sizes and costs come from @agent-state/rollout, so that they read the same in the web UI and
// in Markdown transcripts.

export { formatCount, formatDuration } from '@agent-state/rollout';

/** Shown in place of a newline when a multi-line text is printed on one line. */
export const NEWLINE_MARK = '⏎';

/** Shown where text was cut off. */
export const ELLIPSIS = '…';

/**
 * `text` on one line, safe to print on a terminal: newlines become {@link NEWLINE_MARK}, tabs
 * and carriage returns spaces, and every other control character (escape sequences included,
 * which a rollout could carry) is dropped.
 */
export function singleLine(text: string): string {
  return (
    text
      .replace(/\r\n|\n/g, NEWLINE_MARK)
      .replace(/[\t\r\v\f]/g, ' ')
      // C0 and C1 controls and DEL: never send them to a terminal.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
  );
}

/** Columns one code point takes on a terminal: 0 (combining), 1, or 2 (wide East Asian, emoji). */
function codePointWidth(codePoint: number): number {
  if (
    (codePoint >= 0x0300 && codePoint <= 0x036f) ||
    (codePoint >= 0x200b && codePoint <= 0x200f) ||
    (codePoint >= 0xfe00 && codePoint <= 0xfe0f)
  ) {
    return 0;
  }
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** How many terminal columns `text` (one line, no escapes) takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += codePointWidth(char.codePointAt(0) ?? 0);
  return width;
}

/** `text` cut to at most `width` columns, ending with {@link ELLIPSIS} when it was cut. */
export function truncateEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let result = '';
  let used = 0;
  for (const char of text) {
    const next = codePointWidth(char.codePointAt(0) ?? 0);
    if (used + next > width - 1) break;
    result += char;
    used += next;
  }
  return `${result}${ELLIPSIS}`;
}

/** `text` cut to at most `width` columns from the left (`…/nested dir`), for paths. */
export function truncateStart(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  const chars = [...text];
  let result = '';
  let used = 0;
  for (let index = chars.length - 1; index >= 0; index -= 1) {
    const char = chars[index]!;
    const next = codePointWidth(char.codePointAt(0) ?? 0);
    if (used + next > width - 1) break;
    result = char + result;
    used += next;
  }
  return `${ELLIPSIS}${result}`;
}

/** `text` padded with spaces to `width` columns (by display width, not by code units). */
export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** `path` with the user's home directory shown as `~` (`/home/ann/src` → `~/src`). */
export function tildePath(path: string, userHome: string | undefined): string {
  if (!userHome || userHome === '/') return path;
  const home = userHome.endsWith('/') ? userHome.slice(0, -1) : userHome;
  if (path === home) return '~';
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/**
 * Where a thread ran, for a table: its working directory with `~` for the user's home, or, for a
 * thread of a shared store (it has an `origin`), `host:cwd` as it is on that machine.
 */
export function threadPlace(
  thread: { cwd: string; origin?: { host: string } | undefined },
  userHome: string | undefined,
): string {
  return thread.origin ? `${thread.origin.host}:${thread.cwd}` : tildePath(thread.cwd, userHome);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/** Unix seconds as local time, `2026-11-21 05:44` (with `seconds`: `2026-11-21 05:44:08`). */
export function formatLocalTime(unixSeconds: number, options: { seconds?: boolean } = {}): string {
  const date = new Date(unixSeconds * 1000);
  if (Number.isNaN(date.getTime())) return String(unixSeconds);
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  return options.seconds === true ? `${day} ${time}:${pad2(date.getSeconds())}` : `${day} ${time}`;
}

/** Unix seconds as UTC, `2026-11-21T05:44:08Z`. */
export function formatIsoTime(unixSeconds: number): string {
  const date = new Date(unixSeconds * 1000);
  if (Number.isNaN(date.getTime())) return String(unixSeconds);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `1 rollout`, `2 rollouts`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** Quotes `value` for a POSIX shell when it holds anything beyond plain path characters. */
export function shellQuote(value: string): string {
  return /^[\w./~@%+=:,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A lease holder for people: `pid 1234 on host laptop`. */
export function formatHolder(holder: { host: string; pid: number }): string {
  return `pid ${holder.pid} on host ${singleLine(holder.host)}`;
}
