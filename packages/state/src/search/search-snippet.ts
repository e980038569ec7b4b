// Snippets of search results, for every store backend: the words of a text as full-text
// tokenizers split them, the passage of a document around its matched words, and the marks a
// full-text engine's own snippet function puts around them. Pure: no database here.

/**
 * The mark a snippet function puts before a matched word (a control character no text holds).
 *
 * @example
 * ```ts
 * sql`snippet(search_fts, 0, ${OPEN_MARK}, ${CLOSE_MARK}, '…', ${SNIPPET_WORDS})`;
 * ```
 */
export const OPEN_MARK = '\u0002';
/**
 * The mark a snippet function puts after a matched word (see {@link OPEN_MARK}).
 *
 * @example
 * ```ts
 * const { snippet } = highlighted(`a ${OPEN_MARK}word${CLOSE_MARK}`); // 'a word'
 * ```
 */
export const CLOSE_MARK = '\u0003';

/**
 * Words of context in a snippet.
 *
 * @example
 * ```ts
 * buildSnippet(text, searchWords(text), matched, SNIPPET_WORDS);
 * ```
 */
export const SNIPPET_WORDS = 24;

/**
 * A word as the stores' tokenizers see one (SQLite's `unicode61`, the PostgreSQL store's word
 * split): a run of letters and digits, with the combining marks that belong to them (a decomposed
 * `é`). Everything else (spaces, punctuation, `/`, `_`, `.`) separates words.
 */
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/**
 * Where a word is in its text: `[start, end)` in UTF-16 code units.
 *
 * @example
 * ```ts
 * const word = (span: WordSpan) => text.slice(span.start, span.end);
 * ```
 */
export interface WordSpan {
  start: number;
  end: number;
}

/**
 * The words of `text` in order (see {@link WORD}); only those starting before `maxChars` when
 * given (a search index may index only the head of a very long document).
 *
 * @example
 * ```ts
 * searchWords('src/state/db.ts'); // spans of src, state, db, ts
 * ```
 */
export function searchWords(text: string, maxChars = Infinity): WordSpan[] {
  const spans: WordSpan[] = [];
  WORD.lastIndex = 0;
  for (let match = WORD.exec(text); match !== null; match = WORD.exec(text)) {
    if (match.index >= maxChars) break;
    spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}

/**
 * A passage of a document and where its matched words are in it.
 *
 * @example
 * ```ts
 * const { snippet, highlights }: Snippet = highlighted('the \u0002migration\u0003 ran');
 * ```
 */
export interface Snippet {
  /** A short passage of the text, `…` where it was cut. */
  snippet: string;
  /** `[start, end)` offsets in `snippet` of each matched word. */
  highlights: Array<[number, number]>;
}

/**
 * The passage of `text` of at most `maxWords` words that holds the most matched words, centred
 * on them, `…` where the text was cut; `matched` are indexes into `words` (from
 * {@link searchWords}). Without matches, the head of the text.
 *
 * @example
 * ```ts
 * const words = searchWords(text);
 * const { snippet, highlights } = buildSnippet(text, words, new Set([40]));
 * ```
 */
export function buildSnippet(
  text: string,
  words: readonly WordSpan[],
  matched: ReadonlySet<number>,
  maxWords = SNIPPET_WORDS,
): Snippet {
  const count = words.length;
  if (count <= maxWords) return cut(text, words, 0, count, matched);
  // The window with the most matches (the first of equals), by sliding it a word at a time.
  const hits = [...matched].filter((index) => index >= 0 && index < count).sort((a, b) => a - b);
  if (hits.length === 0) return cut(text, words, 0, maxWords, matched);
  let best = { start: 0, matches: -1 };
  let last = 0;
  for (let first = 0; first < hits.length; first += 1) {
    while (last < hits.length && hits[last]! < hits[first]! + maxWords) last += 1;
    if (last - first > best.matches) best = { start: first, matches: last - first };
  }
  const from = hits[best.start]!;
  const to = hits[best.start + best.matches - 1]!;
  // Centred: as many words of context before the first match as after the last.
  const spare = maxWords - (to - from + 1);
  const start = Math.max(0, Math.min(from - Math.floor(spare / 2), count - maxWords));
  return cut(text, words, start, start + maxWords, matched);
}

/** The text of words `[start, end)` (and what precedes or follows them at the ends of the text). */
function cut(
  text: string,
  words: readonly WordSpan[],
  start: number,
  end: number,
  matched: ReadonlySet<number>,
): Snippet {
  if (words.length === 0) {
    const head = text.slice(0, 200);
    return { snippet: head.length < text.length ? `${head}…` : head, highlights: [] };
  }
  const from = start === 0 ? 0 : words[start]!.start;
  const to = end >= words.length ? text.length : words[end - 1]!.end;
  const lead = start === 0 ? '' : '…';
  const highlights: Array<[number, number]> = [];
  for (let index = start; index < end; index += 1) {
    if (!matched.has(index)) continue;
    const word = words[index]!;
    highlights.push([lead.length + word.start - from, lead.length + word.end - from]);
  }
  const snippet = `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  return { snippet, highlights };
}

/**
 * A snippet marked by a full-text engine (matched words between {@link OPEN_MARK} and
 * {@link CLOSE_MARK}, as SQLite's `snippet()` writes it) without its marks, and where they were.
 *
 * @example
 * ```ts
 * highlighted('the \u0002migration\u0003 ran'); // { snippet: 'the migration ran', highlights: [[4, 13]] }
 * ```
 */
export function highlighted(marked: string): Snippet {
  const highlights: Array<[number, number]> = [];
  let snippet = '';
  let open = -1;
  for (const char of marked) {
    if (char === OPEN_MARK) open = snippet.length;
    else if (char === CLOSE_MARK) {
      if (open >= 0) highlights.push([open, snippet.length]);
      open = -1;
    } else snippet += char;
  }
  return { snippet, highlights };
}
