// What the PostgreSQL store indexes and searches for: tsvectors and tsqueries built here from the
// lexemes SQLite's FTS5 would index (`searchLexemes` of `@agent-state/state`: `unicode61`'s split
// and folding, Porter's stems), not by the server's text search parser and dictionaries. So the
// store finds what the SQLite store finds: PostgreSQL's parser keeps `src/state/db.ts` or `x.ts`
// whole, lowercases by the database's locale and drops no diacritics, and its `english` Snowball
// stemmer is not Porter's. No text search configuration is used, hence no stop words: `english`
// would drop `the`, `no`, `or`, `such`… (a search for `it` would find nothing, and "ENOENT: no
// such file or directory" would match any two words in place of "no such"); SQLite indexes every
// word, and so does this store. Building the tsvectors here is also the faster path: the server
// receives them in binary and only copies them, at about half the cost of `to_tsvector` for the
// whole insert of a document.
import type { SearchQuery } from '@agent-state/state';
import {
  cachedStemmer,
  foldText,
  forEachWord,
  porterStem,
  searchLexemes,
  spellIdentifiers,
} from '@agent-state/state/backend';

/**
 * Characters of a document's text that are indexed: beyond this, a very long document (a pasted
 * log) is stored whole but searchable by its head only. A tsvector holds at most 1 MB of lexemes
 * and positions: 80,000 characters of three bytes at most, with their positions, and the
 * identifier parts stay under it whatever the text.
 *
 * @example
 * ```ts
 * const words = searchWords(text, INDEXED_CHARS); // the words a snippet can show highlighted
 * ```
 */
export const INDEXED_CHARS = 80_000;
/** Characters of the identifier parts indexed (see {@link INDEXED_CHARS}). */
const INDEXED_PART_CHARS = 20_000;
/** Longest lexeme, in characters: a tsvector refuses lexemes over 2,047 bytes. */
const MAX_LEXEME_CHARS = 500;

/** A lexeme as stored and searched: cut to {@link MAX_LEXEME_CHARS}. */
function indexed(lexeme: string): string {
  return lexeme.length > MAX_LEXEME_CHARS ? lexeme.slice(0, MAX_LEXEME_CHARS) : lexeme;
}

/** A lexeme as a quoted operand of tsquery input (quotes doubled, `\` escaped). */
function quoted(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The last position a tsvector stores: later words are all at it. */
const MAX_POSITION = 16_383;
/** Positions a tsvector keeps per lexeme. */
const MAX_POSITIONS = 256;
/** The type OID of `tsvector` (a built-in type: the same on every server). */
const TSVECTOR_OID = 3614;

/**
 * The lexemes met so far, each with an id, its text and its UTF-8 bytes (NUL-terminated, as a
 * binary tsvector holds them), and the lexeme of each folded word met: documents of a home share
 * most of their words, so each is stemmed and encoded once. Forgets everything past
 * {@link MAX_WORDS} words (a long-lived process meets ever new hashes and numbers), between two
 * documents.
 */
class Lexicon {
  #idOfWord = new Map<string, number>();
  #idOfLexeme = new Map<string, number>();
  bytes: Buffer[] = [];

  /** The id of a folded word's lexeme. */
  idOf(word: string): number {
    let id = this.#idOfWord.get(word);
    if (id === undefined) {
      const lexeme = indexed(porterStem(word));
      id = this.#idOfLexeme.get(lexeme);
      if (id === undefined) {
        id = this.bytes.length;
        this.#idOfLexeme.set(lexeme, id);
        this.bytes.push(Buffer.from(`${lexeme}\0`, 'utf8'));
      }
      this.#idOfWord.set(word, id);
    }
    return id;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Starts over when it holds too many words. */
  trim(): boolean {
    if (this.#idOfWord.size < MAX_WORDS) return false;
    this.#idOfWord = new Map();
    this.#idOfLexeme = new Map();
    this.bytes = [];
    return true;
  }
}

/** Words a {@link Lexicon} remembers before it starts over. */
const MAX_WORDS = 250_000;

/**
 * Builds documents' tsvectors as one `tsvector[]` in PostgreSQL's binary format, to pass as a
 * query parameter (`pg` sends a Buffer in binary): the server then reads each tsvector as it is
 * (`tsvectorrecv`), which costs it a fraction of `to_tsvector`, or of parsing the same tsvectors
 * as text. A document's tsvector holds the lexemes of its text (the first {@link INDEXED_CHARS})
 * at positions 1, 2, …, then those of its identifier parts (`parts`, one identifier a line), a
 * position left empty before each identifier so that no phrase runs from one into the next; text
 * and parts weigh the same, like SQLite's two columns. Positions past 16,383 are all 16,383, and a
 * lexeme keeps its first 256, as `to_tsvector` does.
 *
 * The format: the array's header (one dimension, no nulls, the element type, its length, lower
 * bound 1), then each element's length and its tsvector: the number of lexemes, then each lexeme
 * NUL-terminated, its number of positions and the positions (16 bits, weight D). The server sorts
 * the lexemes.
 *
 * @example
 * ```ts
 * const vectors = new TsvectorArrayBuilder(docs.length);
 * for (const doc of docs) vectors.add(doc.text, doc.parts);
 * await sql`SELECT * FROM unnest(${vectors.finish()}::tsvector[])`.execute(db);
 * ```
 */
export class TsvectorArrayBuilder {
  readonly #out: BinaryWriter;
  readonly #count: number;
  #added = 0;
  // For the document being added, by lexeme id: the document it was last met in, and its slot.
  #seenIn = new Int32Array(1024);
  #slotOf = new Int32Array(1024);
  // By slot (the document's lexemes in the order met): its id, its positions' count, the last.
  #ids = new Int32Array(256);
  #counts = new Int32Array(256);
  #lasts = new Int32Array(256);
  // Positions as linked lists: by slot the first and last entry, by entry its position and next.
  #firsts = new Int32Array(256);
  #tails = new Int32Array(256);
  #positions = new Int32Array(1024);
  #next = new Int32Array(1024);

  /**
   * A builder of an array of `count` tsvectors, `bytesHint` about their text's length.
   *
   * @example
   * ```ts
   * const vectors = new TsvectorArrayBuilder(docs.length, totalChars);
   * ```
   */
  constructor(count: number, bytesHint = count * 256) {
    this.#count = count;
    this.#out = new BinaryWriter(20 + bytesHint);
    this.#out.int32(1);
    this.#out.int32(0);
    this.#out.int32(TSVECTOR_OID);
    this.#out.int32(count);
    this.#out.int32(1);
  }

  /**
   * Appends the tsvector of a document: its text, and its identifier parts (`identifierParts`).
   *
   * @example
   * ```ts
   * vectors.add(doc.text, identifierParts(doc.text));
   * ```
   */
  add(text: string, parts: string): void {
    if (this.#added === this.#count) throw new Error('more tsvectors than the array was built for');
    this.#added += 1;
    if (lexicon.trim()) this.#seenIn.fill(0);
    const documentMark = this.#added;
    let slots = 0;
    let entries = 0;
    let position = 0;
    const add = (word: string) => {
      position += 1;
      const at = position < MAX_POSITION ? position : MAX_POSITION;
      const id = lexicon.idOf(word);
      if (id >= this.#seenIn.length) {
        this.#seenIn = grown(this.#seenIn, id + 1);
        this.#slotOf = grown(this.#slotOf, id + 1);
      }
      let slot: number;
      if (this.#seenIn[id] !== documentMark) {
        this.#seenIn[id] = documentMark;
        slot = slots;
        slots += 1;
        if (slot >= this.#ids.length) {
          this.#ids = grown(this.#ids, slot + 1);
          this.#counts = grown(this.#counts, slot + 1);
          this.#lasts = grown(this.#lasts, slot + 1);
          this.#firsts = grown(this.#firsts, slot + 1);
          this.#tails = grown(this.#tails, slot + 1);
        }
        this.#slotOf[id] = slot;
        this.#ids[slot] = id;
        this.#counts[slot] = 0;
        this.#firsts[slot] = -1;
      } else {
        slot = this.#slotOf[id]!;
        if (this.#counts[slot] === MAX_POSITIONS || this.#lasts[slot] === at) return;
      }
      if (entries >= this.#positions.length) {
        this.#positions = grown(this.#positions, entries + 1);
        this.#next = grown(this.#next, entries + 1);
      }
      this.#positions[entries] = at;
      this.#next[entries] = -1;
      if (this.#firsts[slot] === -1) this.#firsts[slot] = entries;
      else this.#next[this.#tails[slot]!] = entries;
      this.#tails[slot] = entries;
      this.#counts[slot] = this.#counts[slot]! + 1;
      this.#lasts[slot] = at;
      entries += 1;
    };
    forEachWord(text.length > INDEXED_CHARS ? text.slice(0, INDEXED_CHARS) : text, add);
    if (parts !== '') {
      for (const line of parts.slice(0, INDEXED_PART_CHARS).split('\n')) {
        position += 1;
        forEachWord(line, add);
      }
    }
    const out = this.#out;
    const lengthAt = out.reserve(4);
    const start = out.offset;
    out.int32(slots);
    for (let slot = 0; slot < slots; slot += 1) {
      out.bytes(lexicon.bytes[this.#ids[slot]!]!);
      out.uint16(this.#counts[slot]!);
      for (let entry = this.#firsts[slot]!; entry !== -1; entry = this.#next[entry]!) {
        out.uint16(this.#positions[entry]!);
      }
    }
    out.int32At(lengthAt, out.offset - start);
  }

  /**
   * The array, once every document is added.
   *
   * @example
   * ```ts
   * await sql`SELECT * FROM unnest(${vectors.finish()}::tsvector[])`.execute(trx);
   * ```
   */
  finish(): Buffer {
    if (this.#added !== this.#count)
      throw new Error('fewer tsvectors than the array was built for');
    return this.#out.result();
  }
}

/** The lexicon every builder shares (a process writes one home's documents, in batches). */
const lexicon = new Lexicon();

function grown(array: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(Math.max(array.length * 2, size));
  bigger.set(array);
  return bigger;
}

/** Bytes written in order into a buffer that grows as needed. */
class BinaryWriter {
  #buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.#buffer = Buffer.allocUnsafe(size);
  }

  #room(bytes: number): void {
    if (this.offset + bytes <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.offset + bytes));
    this.#buffer.copy(bigger, 0, 0, this.offset);
    this.#buffer = bigger;
  }

  reserve(bytes: number): number {
    this.#room(bytes);
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  int32(value: number): void {
    this.#room(4);
    this.offset = this.#buffer.writeInt32BE(value, this.offset);
  }

  int32At(at: number, value: number): void {
    this.#buffer.writeInt32BE(value, at);
  }

  uint16(value: number): void {
    this.#room(2);
    this.#buffer[this.offset] = value >>> 8;
    this.#buffer[this.offset + 1] = value & 0xff;
    this.offset += 2;
  }

  bytes(value: Buffer): void {
    this.#room(value.length);
    value.copy(this.#buffer, this.offset);
    this.offset += value.length;
  }

  result(): Buffer {
    return this.#buffer.subarray(0, this.offset);
  }
}

/**
 * A search query as PostgreSQL is to run it (see {@link toTsquery}).
 *
 * @example
 * ```ts
 * const { tsquery, lexemes, prefixes }: PostgresTextQuery = toTsquery(parseSearchQuery('migr*'));
 * ```
 */
export interface PostgresTextQuery {
  /** The query, as the text `tsquery_in` reads. */
  tsquery: string;
  /** The lexemes it looks for (not those it excludes), to highlight in snippets. */
  lexemes: ReadonlySet<string>;
  /** The prefixes it looks for (not those it excludes), to highlight in snippets. */
  prefixes: readonly string[];
}

/**
 * A parsed query as a tsquery: each term or phrase the phrase (`<->`) of its lexemes (a path or
 * a snake-case name is the phrase of its words, as in SQLite), `:*` on the last one of a prefix
 * (stemmed first, as FTS5 stems a prefix), and the operators as `&`, `|`, `!`. Lexemes are quoted,
 * so nothing typed can be read as tsquery syntax, and the text goes to the server as a parameter.
 * A camel-case term also matches the phrase of its words (`useStateDbOnly` finds
 * `use_state_db_only`, and the identifier parts indexed beside the text).
 *
 * @example
 * ```ts
 * toTsquery(parseSearchQuery('migr* -sqlite')).tsquery; // "('migr':* & !'sqlite')"
 * ```
 */
export function toTsquery(query: SearchQuery): PostgresTextQuery {
  const lexemes = new Set<string>();
  const prefixes: string[] = [];
  const write = (node: SearchQuery, positive: boolean): string => {
    switch (node.type) {
      case 'term': {
        const exact = phrase(node.text, node.prefix, positive);
        const spelled = node.prefix ? node.text : spellIdentifiers(node.text);
        return spelled === node.text ? exact : `(${exact} | ${phrase(spelled, false, positive)})`;
      }
      case 'phrase':
        return phrase(node.text, node.prefix, positive);
      case 'and':
      case 'or':
        return `(${node.children.map((child) => write(child, positive)).join(node.type === 'and' ? ' & ' : ' | ')})`;
      case 'not':
        return `(${write(node.include, positive)} & !${write(node.exclude, false)})`;
    }
  };
  const phrase = (text: string, prefix: boolean, positive: boolean): string => {
    const words = searchLexemes(text).map(indexed);
    // parseSearchQuery keeps only terms with a letter or a digit, so there is a lexeme; a blank
    // one (which no document holds) keeps the query well formed should that ever change.
    if (words.length === 0) return quoted(' ');
    const operands = words.map((word, index) => {
      const last = prefix && index === words.length - 1;
      if (positive) {
        if (last) prefixes.push(word);
        else lexemes.add(word);
      }
      return last ? `${quoted(word)}:*` : quoted(word);
    });
    return operands.length === 1 ? operands[0]! : `(${operands.join(' <-> ')})`;
  };
  return { tsquery: write(query, true), lexemes, prefixes };
}

/** Stems of the words of the snippets cut (the words of a home's documents repeat). */
const snippetStem = cachedStemmer(50_000);

/**
 * Whether a word of a document (as `searchWords` spans it) is one the query looks for.
 *
 * @example
 * ```ts
 * const hit = matchesQuery('Migrations', toTsquery(parseSearchQuery('migrate'))); // true
 * ```
 */
export function matchesQuery(word: string, query: PostgresTextQuery): boolean {
  const lexeme = indexed(snippetStem(foldText(word)));
  return query.lexemes.has(lexeme) || query.prefixes.some((prefix) => lexeme.startsWith(prefix));
}
