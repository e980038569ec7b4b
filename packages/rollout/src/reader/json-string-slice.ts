// Reading the start and the end of a long JSON string in place, without parsing the line that
// holds it: a tool output of megabytes costs a search document two small decodes, not a parse.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LETTER_U = 0x75;
/** Bytes one character of a JSON string can take (`\uXXXX`), and a margin for the cut. */
const MAX_BYTES_PER_CHAR = 6;
const MARGIN_BYTES = 12;

/** Whether the backslashes right before `at` (not before `start`) are an even number. */
function evenBackslashesBefore(bytes: Buffer, start: number, at: number): boolean {
  let count = 0;
  for (let i = at - 1; i >= start && bytes[i] === BACKSLASH; i -= 1) count += 1;
  return count % 2 === 0;
}

/**
 * The offset of the `"` that closes the JSON string whose text starts at `start` (just after its
 * opening quote), or -1 when the buffer ends first.
 */
export function jsonStringEnd(bytes: Buffer, start: number): number {
  let at = start;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote === -1) return -1;
    if (evenBackslashesBefore(bytes, start, quote)) return quote;
    at = quote + 1;
  }
}

/** The first `chars` characters (UTF-16 code units) of the JSON string text `[start, end)`. */
export function jsonStringHead(bytes: Buffer, start: number, end: number, chars: number): string {
  let stop = Math.min(end, start + chars * MAX_BYTES_PER_CHAR + MARGIN_BYTES);
  // Not inside a UTF-8 sequence, nor inside an escape.
  while (stop > start && stop < end && (bytes[stop]! & 0xc0) === 0x80) stop -= 1;
  if (stop < end) stop = escapeBoundary(bytes, start, stop, 'back');
  return decode(bytes, start, stop).slice(0, chars);
}

/** The last `chars` characters (UTF-16 code units) of the JSON string text `[start, end)`. */
export function jsonStringTail(bytes: Buffer, start: number, end: number, chars: number): string {
  let from = Math.max(start, end - chars * MAX_BYTES_PER_CHAR - MARGIN_BYTES);
  while (from < end && (bytes[from]! & 0xc0) === 0x80) from += 1;
  if (from > start) from = escapeBoundary(bytes, start, from, 'forward');
  const text = decode(bytes, from, end);
  return text.slice(Math.max(0, text.length - chars));
}

/**
 * `at`, or the nearest offset (before it or after it) that does not fall inside an escape
 * sequence (`\n`, `\"`, `\uXXXX`) of the string that starts at `start`.
 */
function escapeBoundary(
  bytes: Buffer,
  start: number,
  at: number,
  direction: 'back' | 'forward',
): number {
  // Among the hex digits of `\uXXXX` (2 to 5 bytes after its backslash).
  for (let q = at - 1; q >= Math.max(start + 1, at - 4); q -= 1) {
    if (
      bytes[q] === LETTER_U &&
      bytes[q - 1] === BACKSLASH &&
      evenBackslashesBefore(bytes, start, q - 1)
    ) {
      return direction === 'back' ? q - 1 : q + 5;
    }
  }
  // Right after the backslash of a two-character escape.
  if (!evenBackslashesBefore(bytes, start, at)) {
    if (direction === 'back') return at - 1;
    return bytes[at] === LETTER_U ? at + 5 : at + 1;
  }
  return at;
}

function decode(bytes: Buffer, start: number, end: number): string {
  return JSON.parse(`"${bytes.toString('utf8', start, end)}"`) as string;
}
