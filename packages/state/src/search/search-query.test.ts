import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { identifierParts, spellIdentifiers } from './identifier-parts.js';
import { parseSearchQuery } from './search-query.js';
import { toFts5 } from './sqlite-fts-query.js';

const fts = (text: string) => toFts5(parseSearchQuery(text));

describe('parseSearchQuery', () => {
  it('reads words, phrases, prefixes and operators as search boxes do', () => {
    expect(parseSearchQuery('migration')).toEqual({
      type: 'term',
      text: 'migration',
      prefix: false,
    });
    expect(parseSearchQuery('migr*')).toEqual({ type: 'term', text: 'migr', prefix: true });
    expect(parseSearchQuery('"state db"')).toEqual({
      type: 'phrase',
      text: 'state db',
      prefix: false,
    });
    expect(parseSearchQuery('a b')).toEqual({
      type: 'and',
      children: [
        { type: 'term', text: 'a', prefix: false },
        { type: 'term', text: 'b', prefix: false },
      ],
    });
    expect(parseSearchQuery('a OR b AND c')).toMatchObject({
      type: 'or',
      children: [{ type: 'term', text: 'a' }, { type: 'and' }],
    });
    expect(parseSearchQuery('a -b -"c d"')).toMatchObject({
      type: 'not',
      include: { type: 'term', text: 'a' },
      exclude: { type: 'or', children: [{ text: 'b' }, { type: 'phrase', text: 'c d' }] },
    });
    expect(parseSearchQuery('(a OR b) NOT c')).toMatchObject({
      type: 'not',
      include: { type: 'or' },
      exclude: { text: 'c' },
    });
    // Lower-case operators are words; a lone "-" or "*"-free punctuation is dropped.
    expect(parseSearchQuery('cats and dogs')).toMatchObject({
      type: 'and',
      children: [{}, {}, {}],
    });
    expect(parseSearchQuery('fix -- it')).toMatchObject({ type: 'and', children: [{}, {}] });
    // A ")" that closes nothing belongs to the word.
    expect(parseSearchQuery('useState()')).toEqual({
      type: 'term',
      text: 'useState()',
      prefix: false,
    });
  });

  it('names the problem of a query it cannot take', () => {
    const problems: Array<[string, RegExp]> = [
      ['"unclosed', /unclosed quote/],
      ['(a b', /unclosed parenthesis/],
      ['a OR', /OR needs words on both sides/],
      ['OR a', /OR needs words on both sides/],
      ['a AND', /AND needs words on both sides/],
      ['NOT a', /NOT needs words before it/],
      ['-a', /cannot only exclude/],
      ['a NOT', /NOT needs words after it/],
      ['*', /prefix needs letters or digits/],
      ['', /nothing to search for/],
      ['-- ...', /nothing to search for/],
    ];
    for (const [query, message] of problems) {
      expect(() => parseSearchQuery(query), query).toThrow(
        expect.objectContaining({
          code: ErrorCode.InvalidArgument,
          argument: 'query',
          message: expect.stringMatching(message) as string,
        }),
      );
    }
  });
});

describe('toFts5', () => {
  it('quotes every term, so no text is read as FTS5 syntax', () => {
    expect(fts('a:b NEAR(x) ^y')).toBe('("a:b" AND "NEAR(x)" AND "^y")');
    expect(fts('say "he said ""hi"""')).toMatch(/^\("say" AND /);
    // Quotes inside a word start a phrase: " OR " is a phrase of the word "or", not an operator.
    expect(fts('x" OR "y')).toBe('("x" AND " OR " AND "y")');
    expect(fts('migr*')).toBe('"migr"*');
    expect(fts('a -b')).toBe('("a" NOT "b")');
  });

  it('also matches a camel-case identifier as its words', () => {
    expect(fts('useStateDbOnly')).toBe('("useStateDbOnly" OR "use State Db Only")');
    expect(fts('useState*')).toBe('"useState"*');
    expect(fts('plain')).toBe('"plain"');
  });
});

describe('identifier parts', () => {
  it('spells camel-case identifiers as words, one per line', () => {
    expect(identifierParts('const useStateDbOnly = parseJSON(HTTPServer) and plain words')).toBe(
      'use State Db Only\nparse JSON\nHTTP Server',
    );
    expect(identifierParts('nothing here')).toBe('');
    expect(spellIdentifiers('src/useStateDb.ts')).toBe('src/use State Db.ts');
  });
});
