// The words a search index holds, as SQLite's FTS5 tokenizer `porter unicode61 remove_diacritics 2`
// makes them, for store backends whose own full-text engine would split, fold or stem otherwise
// (PostgreSQL's parser keeps `src/state/db.ts` whole and drops no diacritics; its Snowball stemmer
// is not Porter's). A backend that indexes these lexemes and searches for the lexemes of the
// query's words finds what the SQLite store finds. Pure.

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

// Porter's stemmer as FTS5's `porter` tokenizer runs it: on the UTF-8 bytes of a folded word of 3
// to 64 bytes (others pass through), `y` a vowel after a consonant, each step trying the one rule
// whose suffix ends the word first (chosen by the word's last but one letter) and applying it when
// its condition holds.

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
    return stemBytes(word);
  }
  // As FTS5 does: on the UTF-8 bytes (every byte of a multi-byte letter a consonant). The rules
  // only cut ASCII suffixes, so the stem is whole UTF-8 again.
  const bytes = Buffer.from(word, 'utf8');
  if (bytes.length < MIN_STEMMED_BYTES || bytes.length > MAX_STEMMED_BYTES) return word;
  return Buffer.from(stemBytes(bytes.toString('latin1')), 'latin1').toString('utf8');
}

type Condition = (stem: string) => boolean;

/** `[suffix, condition, replacement]`: the rules of a step, by the word's last but one letter. */
type Rules = Readonly<Record<string, ReadonlyArray<readonly [string, Condition | null, string]>>>;

function isVowel(char: string | undefined, yIsVowel: boolean): boolean {
  return (
    char === 'a' ||
    char === 'e' ||
    char === 'i' ||
    char === 'o' ||
    char === 'u' ||
    (yIsVowel && char === 'y')
  );
}

/**
 * Skips a run of consonants then of vowels ([C]V…) from `start`, and returns the index after the
 * consonant that follows them, or 0 when the word ends first: one VC of Porter's measure.
 */
function vowelConsonant(
  word: string,
  start: number,
  end: number,
  previousConsonant: boolean,
): number {
  let consonant = previousConsonant;
  let i = start;
  for (; i < end; i += 1) {
    consonant = !isVowel(word[i], consonant);
    if (!consonant) break;
  }
  for (i += 1; i < end; i += 1) {
    consonant = !isVowel(word[i], consonant);
    if (consonant) return i + 1;
  }
  return 0;
}

/** m > 0 */
const measureOver0: Condition = (stem) => vowelConsonant(stem, 0, stem.length, false) !== 0;
/** m > 1 */
const measureOver1: Condition = (stem) => {
  const n = vowelConsonant(stem, 0, stem.length, false);
  return n !== 0 && vowelConsonant(stem, n, stem.length, true) !== 0;
};
/** m = 1 */
const measureIs1: Condition = (stem) => {
  const n = vowelConsonant(stem, 0, stem.length, false);
  return n !== 0 && vowelConsonant(stem, n, stem.length, true) === 0;
};
/** *o: ends consonant, vowel, consonant, the last not w, x or y. */
const endsCvc: Condition = (stem) => {
  const last = stem[stem.length - 1];
  if (last === 'w' || last === 'x' || last === 'y') return false;
  let mask = 0;
  let consonant = false;
  for (let i = 0; i < stem.length; i += 1) {
    consonant = !isVowel(stem[i], consonant);
    mask = ((mask << 1) | (consonant ? 1 : 0)) & 7;
  }
  return mask === 5;
};
/** *v*: holds a vowel (`y` one after the first letter). */
const hasVowel: Condition = (stem) => {
  for (let i = 0; i < stem.length; i += 1) if (isVowel(stem[i], i > 0)) return true;
  return false;
};
/** m > 1 and ends in s or t. */
const measureOver1EndingSorT: Condition = (stem) => {
  const last = stem[stem.length - 1];
  return (last === 's' || last === 't') && measureOver1(stem);
};

const STEP_1B: Rules = {
  e: [
    ['eed', measureOver0, 'ee'],
    ['ed', hasVowel, ''],
  ],
  n: [['ing', hasVowel, '']],
};
/** Of step 1b, the rules after which the word is tidied (`ed`, `ing`). */
const STEP_1B_TIDIED = new Set(['ed', 'ing']);
const STEP_1B2: Rules = {
  a: [['at', null, 'ate']],
  b: [['bl', null, 'ble']],
  i: [['iz', null, 'ize']],
};
const STEP_2: Rules = {
  a: [
    ['ational', measureOver0, 'ate'],
    ['tional', measureOver0, 'tion'],
  ],
  c: [
    ['enci', measureOver0, 'ence'],
    ['anci', measureOver0, 'ance'],
  ],
  e: [['izer', measureOver0, 'ize']],
  g: [['logi', measureOver0, 'log']],
  l: [
    ['bli', measureOver0, 'ble'],
    ['alli', measureOver0, 'al'],
    ['entli', measureOver0, 'ent'],
    ['eli', measureOver0, 'e'],
    ['ousli', measureOver0, 'ous'],
  ],
  o: [
    ['ization', measureOver0, 'ize'],
    ['ation', measureOver0, 'ate'],
    ['ator', measureOver0, 'ate'],
  ],
  s: [
    ['alism', measureOver0, 'al'],
    ['iveness', measureOver0, 'ive'],
    ['fulness', measureOver0, 'ful'],
    ['ousness', measureOver0, 'ous'],
  ],
  t: [
    ['aliti', measureOver0, 'al'],
    ['iviti', measureOver0, 'ive'],
    ['biliti', measureOver0, 'ble'],
  ],
};
const STEP_3: Rules = {
  a: [['ical', measureOver0, 'ic']],
  s: [['ness', measureOver0, '']],
  t: [
    ['icate', measureOver0, 'ic'],
    ['iciti', measureOver0, 'ic'],
  ],
  u: [['ful', measureOver0, '']],
  v: [['ative', measureOver0, '']],
  z: [['alize', measureOver0, 'al']],
};
const STEP_4: Rules = {
  a: [['al', measureOver1, '']],
  c: [
    ['ance', measureOver1, ''],
    ['ence', measureOver1, ''],
  ],
  e: [['er', measureOver1, '']],
  i: [['ic', measureOver1, '']],
  l: [
    ['able', measureOver1, ''],
    ['ible', measureOver1, ''],
  ],
  n: [
    ['ant', measureOver1, ''],
    ['ement', measureOver1, ''],
    ['ment', measureOver1, ''],
    ['ent', measureOver1, ''],
  ],
  o: [
    ['ion', measureOver1EndingSorT, ''],
    ['ou', measureOver1, ''],
  ],
  s: [['ism', measureOver1, '']],
  t: [
    ['ate', measureOver1, ''],
    ['iti', measureOver1, ''],
  ],
  u: [['ous', measureOver1, '']],
  v: [['ive', measureOver1, '']],
  z: [['ize', measureOver1, '']],
};

/**
 * One step: the first rule (by the last but one letter) whose suffix ends the word, leaving at
 * least a letter, is applied if its condition holds on the rest; no other rule is tried. Returns
 * the word and the suffix of the rule applied (`undefined`: none).
 */
function step(word: string, rules: Rules): [string, string | undefined] {
  for (const [suffix, condition, replacement] of rules[word[word.length - 2] ?? ''] ?? []) {
    if (word.length <= suffix.length || !word.endsWith(suffix)) continue;
    const stem = word.slice(0, word.length - suffix.length);
    if (condition !== null && !condition(stem)) return [word, undefined];
    return [stem + replacement, suffix];
  }
  return [word, undefined];
}

/** Porter's steps on a word of one-byte characters (ASCII, or UTF-8 read as Latin-1). */
function stemBytes(input: string): string {
  let word = input;
  // Step 1a: plurals.
  if (word.endsWith('s')) {
    const n = word.length;
    if (word[n - 2] === 'e') {
      word =
        (n > 4 && word[n - 4] === 's' && word[n - 3] === 's') || (n > 3 && word[n - 3] === 'i')
          ? word.slice(0, -2)
          : word.slice(0, -1);
    } else if (word[n - 2] !== 's') {
      word = word.slice(0, -1);
    }
  }
  // Step 1b: -eed, -ed, -ing, then tidying what -ed and -ing leave.
  const [afterStep1b, applied] = step(word, STEP_1B);
  word = afterStep1b;
  if (applied !== undefined && STEP_1B_TIDIED.has(applied)) {
    const [afterStep1b2, grown] = step(word, STEP_1B2);
    word = afterStep1b2;
    if (grown === undefined) {
      const last = word[word.length - 1];
      if (
        !isVowel(last, false) &&
        last !== 'l' &&
        last !== 's' &&
        last !== 'z' &&
        last === word[word.length - 2]
      ) {
        word = word.slice(0, -1);
      } else if (measureIs1(word) && endsCvc(word)) {
        word += 'e';
      }
    }
  }
  // Step 1c: y → i after a vowel.
  if (word.endsWith('y') && hasVowel(word.slice(0, -1))) word = `${word.slice(0, -1)}i`;
  // Steps 2 to 4: suffixes.
  [word] = step(word, STEP_2);
  [word] = step(word, STEP_3);
  [word] = step(word, STEP_4);
  // Step 5a: a final e.
  if (word.endsWith('e')) {
    const stem = word.slice(0, -1);
    if (measureOver1(stem) || (measureIs1(stem) && !endsCvc(stem))) word = stem;
  }
  // Step 5b: a final double l.
  if (word.length > 1 && word.endsWith('ll') && measureOver1(word.slice(0, -1))) {
    word = word.slice(0, -1);
  }
  return word;
}
