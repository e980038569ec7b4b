// The words a search index holds, as SQLite's FTS5 tokenizer `porter unicode61 remove_diacritics 2`
// makes them, for store backends whose own full-text engine would split, fold or stem otherwise
// (PostgreSQL's parser keeps `src/state/db.ts` whole and drops no diacritics; its Snowball stemmer
// is not Porter's). A backend that indexes these lexemes and searches for the lexemes of the
// query's words finds what the SQLite store finds. Pure.

import { stemmer } from 'stemmer';

const NON_ASCII = /[^\p{ASCII}]/u;
const MARKS = /\p{M}+/gu;
/** A word character: a letter, a digit, or a combining mark (of a decomposed `é`). */
const WORD_CHARACTER = /^[\p{L}\p{N}\p{M}]$/u;

/**
 * Whether each UTF-16 code unit below 0x10000 is a word character: 1 yes, 2 no, 0 not looked up
 * yet (a lookup table, filled as characters are met: a Unicode property test per character of
 * every document would cost more than all the rest of the tokenizing).
 */
const BMP_WORD = new Uint8Array(0x10000);
for (let code = 0; code < 0x80; code += 1) {
  BMP_WORD[code] = /[A-Za-z0-9]/.test(String.fromCharCode(code)) ? 1 : 2;
}
/** The same for characters beyond the BMP (emoji are not words, CJK extensions are). */
const ASTRAL_WORD = new Map<number, boolean>();

function isWordCharacter(code: number, text: string, at: number): boolean {
  if (code < 0xd800 || code > 0xdfff) {
    let known = BMP_WORD[code]!;
    if (known === 0) {
      known = WORD_CHARACTER.test(String.fromCharCode(code)) ? 1 : 2;
      BMP_WORD[code] = known;
    }
    return known === 1;
  }
  const point = text.codePointAt(at)!;
  let known = ASTRAL_WORD.get(point);
  if (known === undefined) {
    known = WORD_CHARACTER.test(String.fromCodePoint(point));
    ASTRAL_WORD.set(point, known);
  }
  return known;
}

/**
 * Text as the tokenizer compares it: lower case, without diacritics (`Émigré` → `emigre`).
 * Letters are decomposed, stripped of their marks and composed again (so Hangul syllables come
 * back whole). A final sigma is a sigma, as SQLite folds it, whatever follows the word. Broader
 * than `remove_diacritics 2` in one way: marks of every script go, not only Latin ones (`ά` is
 * `α`), so a word typed without them finds more, never less.
 *
 * @example
 * ```ts
 * foldText('Émigré'); // 'emigre'
 * ```
 */
export function foldText(text: string): string {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? foldLower(lower) : lower;
}

/** {@link foldText} of text already in lower case and not all ASCII. */
function foldLower(lower: string): string {
  return lower.normalize('NFD').replace(MARKS, '').normalize('NFC').replaceAll('ς', 'σ');
}

/**
 * Calls `visit` with each word of a text, in order, folded ({@link foldText}) but not stemmed:
 * words split as `unicode61` splits them, at anything that is neither a letter nor a digit
 * (`src/state/db.ts` is `src`, `state`, `db`, `ts`). A word never holds a space, a quote, a
 * backslash, a colon or a NUL.
 *
 * @example
 * ```ts
 * forEachWord('Émigré src/', (word) => console.log(word)); // emigre, src
 * ```
 */
export function forEachWord(text: string, visit: (word: string) => void): void {
  const lower = text.toLowerCase();
  const length = lower.length;
  let start = -1;
  let ascii = true;
  for (let at = 0; at <= length; at += 1) {
    const code = at < length ? lower.charCodeAt(at) : 0x20;
    const word = code < 0x80 ? BMP_WORD[code] === 1 : isWordCharacter(code, lower, at);
    if (word) {
      if (start < 0) {
        start = at;
        ascii = true;
      }
      if (code >= 0x80) {
        ascii = false;
        // The second half of a surrogate pair belongs to the character just tested.
        if (code >= 0xd800 && code <= 0xdbff) at += 1;
      }
    } else if (start >= 0) {
      const raw = lower.slice(start, at);
      const folded = ascii ? raw : foldLower(raw);
      // A word of marks alone folds to nothing: not a word.
      if (folded !== '') visit(folded);
      start = -1;
    }
  }
}

/**
 * Calls `visit` with the lexeme of each word of a text, in order (the `n`-th word at position
 * `n`): its words ({@link forEachWord}) stemmed by `stem` (by default {@link porterStem}).
 *
 * @example
 * ```ts
 * forEachLexeme('Migrating src/', porterStem, (lexeme) => console.log(lexeme)); // migrat, src
 * ```
 */
export function forEachLexeme(
  text: string,
  stem: (word: string) => string,
  visit: (lexeme: string) => void,
): void {
  forEachWord(text, (word) => visit(stem(word)));
}

/**
 * The lexemes of a text in order, one per word (see {@link forEachLexeme}). `stem` caches stems
 * across calls when given ({@link cachedStemmer}: a batch of documents repeats its words).
 *
 * @example
 * ```ts
 * searchLexemes('Migrating src/state/db.ts'); // ['migrat', 'src', 'state', 'db', 'ts']
 * ```
 */
export function searchLexemes(text: string, stem: (word: string) => string = porterStem): string[] {
  const lexemes: string[] = [];
  forEachLexeme(text, stem, (lexeme) => lexemes.push(lexeme));
  return lexemes;
}

/**
 * A stemmer that remembers the stems it made (up to `size` words, then it starts over): words
 * repeat across a batch of documents far more than they differ.
 *
 * @example
 * ```ts
 * const stem = cachedStemmer();
 * const lexemes = documents.map((doc) => searchLexemes(doc.text, stem));
 * ```
 */
export function cachedStemmer(size = 200_000): (word: string) => string {
  let cache = new Map<string, string>();
  return (word) => {
    let stem = cache.get(word);
    if (stem === undefined) {
      if (cache.size >= size) cache = new Map();
      stem = porterStem(word);
      cache.set(word, stem);
    }
    return stem;
  };
}

// Porter's stemmer (the `stemmer` package) as FTS5's `porter` tokenizer runs it: on the UTF-8
// bytes of a folded word of 3 to 64 bytes, others passing through. The test compares it with
// FTS5's own output.

const MAX_STEMMED_BYTES = 64;
const MIN_STEMMED_BYTES = 3;

/**
 * A folded word's stem, as SQLite's FTS5 `porter` tokenizer stems it (`migration` and `migrate`
 * → `migrat`, `settings` → `set`); words under 3 or over 64 bytes are kept as they are.
 *
 * @example
 * ```ts
 * porterStem('databases'); // 'databas'
 * ```
 */
export function porterStem(word: string): string {
  // No rule touches a word that ends in a digit (numbers, hashes, versions): the common case of
  // words that never repeat.
  const last = word.charCodeAt(word.length - 1);
  if (last >= 0x30 && last <= 0x39) return word;
  if (!NON_ASCII.test(word)) {
    if (word.length < MIN_STEMMED_BYTES || word.length > MAX_STEMMED_BYTES) return word;
    return stemmer(word);
  }
  // As FTS5 does: on the UTF-8 bytes (every byte of a multi-byte letter a consonant). The rules
  // only cut ASCII suffixes, so the stem is whole UTF-8 again.
  const bytes = Buffer.from(word, 'utf8');
  if (bytes.length < MIN_STEMMED_BYTES || bytes.length > MAX_STEMMED_BYTES) return word;
  // Each byte of a multi-byte letter becomes a private-use character, which no case mapping
  // touches and the stemmer takes for a consonant; the stem's bytes come back from them.
  let spelled = '';
  for (const byte of bytes) spelled += String.fromCharCode(byte < 0x80 ? byte : 0xe000 + byte);
  const stem = stemmer(spelled);
  const out: number[] = [];
  for (let i = 0; i < stem.length; i += 1) {
    const code = stem.charCodeAt(i);
    out.push(code >= 0xe000 ? code - 0xe000 : code);
  }
  return Buffer.from(out).toString('utf8');
}
