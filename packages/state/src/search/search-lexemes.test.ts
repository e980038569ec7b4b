import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

import { cachedStemmer, foldText, porterStem, searchLexemes } from './search-lexemes.js';

/** The terms SQLite's FTS5 indexes for each text, in order, with the store's own tokenizer. */
function fts5Terms(texts: readonly string[]): string[][] {
  const db = new Database(':memory:');
  try {
    db.exec(
      "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')",
    );
    db.exec("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')");
    const insert = db.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)');
    texts.forEach((text, index) => insert.run(index + 1, text));
    const terms = texts.map((): string[] => []);
    for (const row of db.prepare('SELECT doc, term FROM v ORDER BY doc, "offset"').all() as Array<{
      doc: number;
      term: string;
    }>) {
      terms[row.doc - 1]!.push(row.term);
    }
    return terms;
  } finally {
    db.close();
  }
}

const STEMS = [
  'migrat',
  'connect',
  'relat',
  'condition',
  'general',
  'hop',
  'tann',
  'fall',
  'fil',
  'fail',
  'agree',
  'sky',
  'happ',
  'formal',
  'sensitiv',
  'electr',
  'adjust',
  'depend',
  'adopt',
  'goodn',
  'rat',
  'val',
  'triplic',
  'hope',
  'bak',
  'controll',
  'roll',
  'call',
  'bowl',
  'ceas',
  'sing',
  'conflat',
  'troubl',
  'siz',
  'plaster',
  'bled',
  'motor',
  'cry',
  'by',
  'say',
  'feud',
  'generat',
  'oper',
  'analog',
  'vietnam',
  'predic',
  'radic',
  'allowanc',
  'infer',
  'airlin',
  'gyroscop',
  'defens',
  'bowdler',
  'homolog',
  'effect',
  'communism',
  'activ',
  'angular',
  'irritant',
  'replac',
  'adapt',
  'homologous',
  'revival',
  'sens',
  'probat',
  'cont',
  'rate',
  'e',
  'y',
  'ab',
  'ay',
];
const SUFFIXES = [
  '',
  's',
  'es',
  'ies',
  'sses',
  'ss',
  'ed',
  'eed',
  'ing',
  'ings',
  'ly',
  'y',
  'ational',
  'tional',
  'enci',
  'anci',
  'izer',
  'bli',
  'alli',
  'entli',
  'eli',
  'ousli',
  'ization',
  'ation',
  'ator',
  'alism',
  'iveness',
  'fulness',
  'ousness',
  'aliti',
  'iviti',
  'biliti',
  'logi',
  'icate',
  'ative',
  'alize',
  'iciti',
  'ical',
  'ful',
  'ness',
  'al',
  'ance',
  'ence',
  'er',
  'ic',
  'able',
  'ible',
  'ant',
  'ement',
  'ment',
  'ent',
  'ion',
  'sion',
  'tion',
  'ou',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
  'e',
  'll',
  'ated',
  'ating',
  'bled',
  'izing',
  'ering',
  'fully',
];

describe('search lexemes', () => {
  it('stems every word as SQLite’s FTS5 porter tokenizer does', () => {
    const words = STEMS.flatMap((stem) => SUFFIXES.map((suffix) => stem + suffix));
    const expected = fts5Terms(words);
    const mismatches = words.filter((word, i) => porterStem(word) !== expected[i]![0]);
    expect(mismatches).toEqual([]);
  });

  it('splits and folds text as unicode61 with remove_diacritics does', () => {
    const texts = [
      'Please migrate the settings database to the new schema',
      'rg useStateDbOnly src/\nsrc/state/db.ts: const useStateDbOnly = true',
      "cat packages/rollout/src/x.ts\nError: ENOENT: no such file or directory, open 'x.ts'",
      'Émigré naïve café CRÈME brûlée Ångström São Paulo',
      'snake_case_words and kebab-case-words, v1.2.3 and 3.14 and 0x1F',
      'x a bb ccc dddd 12 123 1234 abc123 123abc',
      'Привет мир, 日本語のテキスト, Ελληνικα σΣ ΟΔΟΣ.Χ',
      'tabs\tand\u0000control\u0002chars and "quotes" (parens) [brackets] {braces}',
      'a'.repeat(70) + 'ing ' + 'b'.repeat(62) + 'ing',
      'émigrés émigrées cafés généralisations',
      '𠀀abc def e\u0301migre\u0301 \u0301 x\u0301\u0302y ﬁle',
    ];
    expect(texts.map((text) => searchLexemes(text))).toEqual(fts5Terms(texts));
  });

  it('folds case and diacritics, and keeps stems across calls', () => {
    expect(foldText('Émigré İstanbul')).toBe('emigre istanbul');
    // Marks of every script, where remove_diacritics 2 takes Latin ones only.
    expect(foldText('Ελληνικά')).toBe('ελληνικα');
    // Emoji separate words (FTS5 takes those its Unicode 6.1 tables lack for letters).
    expect(searchLexemes('ship🙂it')).toEqual(['ship', 'it']);
    const stem = cachedStemmer(2);
    expect(['migration', 'migrate', 'migrations'].map(stem)).toEqual([
      'migrat',
      'migrat',
      'migrat',
    ]);
  });
});
