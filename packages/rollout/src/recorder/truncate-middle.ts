/**
 * Codex's byte-budget truncation of persisted text (`truncate_text` with a bytes policy): text of at
 * most `maxBytes` UTF-8 bytes is kept as it is; longer text keeps a head of at most ⌊maxBytes / 2⌋
 * bytes and a tail of at most the other half, both cut on character boundaries, joined by
 * `…N chars truncated…` where N counts the characters (code points) left out. The marker comes on
 * top of the budget, as in Codex.
 *
 * @example
 * ```ts
 * truncateMiddleChars('😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n', 20);
 * // '😀😀…21 chars truncated…with text\n'
 * ```
 */
export function truncateMiddleChars(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  const headBudget = Math.floor(maxBytes / 2);
  const tailBudget = maxBytes - headBudget;
  // The head ends where a character starts (so it holds whole characters only); the tail starts
  // at the first character that begins inside its budget.
  let headEnd = headBudget;
  while (headEnd > 0 && isContinuation(bytes[headEnd])) headEnd -= 1;
  let tailStart = bytes.length - tailBudget;
  while (tailStart < bytes.length && isContinuation(bytes[tailStart])) tailStart += 1;
  let omitted = 0;
  for (let at = headEnd; at < tailStart; at += 1) if (!isContinuation(bytes[at])) omitted += 1;
  return (
    bytes.toString('utf8', 0, headEnd) +
    `…${omitted} chars truncated…` +
    bytes.toString('utf8', tailStart)
  );
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}
