import { parseSearchQuery } from '@agent-state/state';
import { porterStem, searchLexemes } from '@agent-state/state/backend';
import { postgresAvailable, startTestPostgres, type TestPostgres } from '@agent-state/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { binaryArray } from '../indexing/postgres-binary-arrays.js';
import {
  INDEXED_CHARS,
  TsvectorArrayBuilder,
  matchesQuery,
  toTsquery,
} from './postgres-full-text.js';

const tsquery = (text: string) => toTsquery(parseSearchQuery(text)).tsquery;

describe('toTsquery', () => {
  it('writes terms, phrases, prefixes and operators over the lexemes SQLite would search', () => {
    expect(tsquery('migration')).toBe("'migrat'");
    expect(tsquery('migrat*')).toBe("'migrat':*");
    expect(tsquery('"new schema"')).toBe("('new' <-> 'schema')");
    expect(tsquery('"state d"*')).toBe("('state' <-> 'd':*)");
    expect(tsquery('settings database')).toBe("('set' & 'databas')");
    expect(tsquery('ENOENT OR renamed')).toBe("('enoent' | 'renam')");
    expect(tsquery('flag -renamed')).toBe("('flag' & !'renam')");
    expect(tsquery('(ENOENT OR flag) src')).toBe("(('enoent' | 'flag') & 'src')");
    expect(tsquery('src/state/db.ts')).toBe("('src' <-> 'state' <-> 'db' <-> 'ts')");
    // A camel-case term is also the phrase of its words.
    expect(tsquery('useStateDbOnly')).toBe(
      "('usestatedbonli' | ('us' <-> 'state' <-> 'db' <-> 'onli'))",
    );
    // Diacritics go, stop words stay.
    expect(tsquery('Émigré the it')).toBe("('emigr' & 'the' & 'it')");
  });

  it('never lets typed text through as tsquery syntax', () => {
    for (const text of [
      "'; DROP TABLE threads; --",
      'a:b',
      "it's",
      'a\\b',
      '"a""b"',
      'x & y | !z <-> w',
    ]) {
      const written = tsquery(text);
      // Every operand is a quoted lexeme of letters and digits; the rest is our own syntax.
      expect(written.replace(/'[\p{L}\p{N}]+'(:\*)?/gu, '')).toMatch(/^[\s()&|!<\->]*$/u);
    }
  });

  it('says which words of a document to highlight: the query’s, not those it excludes', () => {
    const query = toTsquery(parseSearchQuery('migrat* "new schema" -sqlite'));
    expect(
      ['Migrations', 'NEW', 'schemas', 'sqlite', 'other'].map((w) => matchesQuery(w, query)),
    ).toEqual([true, true, true, false, false]);
  });
});

// The tsvectors built here, as the server reads them back.
describe.skipIf(!postgresAvailable())('TsvectorArrayBuilder', () => {
  let server: TestPostgres | undefined;
  let client: pg.Client | undefined;
  beforeAll(async () => {
    server = await startTestPostgres();
    client = new pg.Client({ connectionString: await server.createDatabase() });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.stop();
  });

  async function vectors(documents: ReadonlyArray<[string, string]>): Promise<string[]> {
    const builder = new TsvectorArrayBuilder(documents.length);
    for (const [text, parts] of documents) builder.add(text, parts);
    const { rows } = await client!.query<{ words: string }>(
      'SELECT words::text AS words FROM unnest($1::tsvector[]) WITH ORDINALITY AS v(words, n) ORDER BY n',
      [builder.finish()],
    );
    return rows.map((row) => row.words);
  }

  /** The tsvector text PostgreSQL would print for lexemes at positions 1, 2, … */
  function expected(lexemes: readonly string[]): string {
    const positions = new Map<string, number[]>();
    lexemes.forEach((lexeme, index) => {
      const list = positions.get(lexeme) ?? [];
      list.push(index + 1);
      positions.set(lexeme, list);
    });
    return [...positions]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([lexeme, list]) => `'${lexeme}':${list.join(',')}`)
      .join(' ');
  }

  it('holds each word’s lexeme at its position, as the server reads it', async () => {
    const texts = [
      'Please migrate the settings database to the new schema; the migration ran.',
      "cat packages/rollout/src/x.ts\nError: ENOENT: no such file or directory, open 'x.ts'",
      'Émigré naïve café — 日本語 Привет',
      '',
      '!!! ... ???',
    ];
    const read = await vectors(texts.map((text) => [text, '']));
    // PostgreSQL orders lexemes by their bytes.
    expect(read).toEqual(texts.map((text) => expected(searchLexemes(text))));
  });

  it('puts identifier parts after the text, an empty position before each', async () => {
    const [read] = await vectors([['x useStateDb', 'use State Db\nHTTP Server']]);
    expect(read).toBe("'db':6 'http':8 'server':9 'state':5 'us':4 'usestatedb':2 'x':1");
  });

  it('keeps 256 positions a lexeme and reads positions past 16,383 as 16,383', async () => {
    const [read] = await vectors([[`${'x '.repeat(20_000)}end`, 'last Word']]);
    const { rows } = await client!.query<{ lexeme: string; positions: number[] }>(
      "SELECT lexeme, positions FROM unnest($1::tsvector) WHERE lexeme IN ('x', 'end', 'last')",
      [read],
    );
    const byLexeme = new Map(rows.map((row) => [row.lexeme, row.positions]));
    expect(byLexeme.get('x')).toHaveLength(256);
    expect(byLexeme.get('end')).toEqual([16_383]);
    expect(byLexeme.get('last')).toEqual([16_383]);
  });

  it('indexes the head of a very long document, and cuts very long words', async () => {
    const text = `${'a '.repeat(INDEXED_CHARS / 2)}tail ${'z'.repeat(3_000)}`;
    const [read] = await vectors([
      [text, ''],
      [`${'q'.repeat(3_000)} ok`, ''],
    ]);
    expect(read).not.toContain('tail');
    const [, long] = await vectors([
      ['x', ''],
      [`${'q'.repeat(3_000)} ok`, ''],
    ]);
    expect(long).toBe(`'ok':2 '${'q'.repeat(500)}':1`);
  });

  it('matches the queries SQLite’s lexemes would match', async () => {
    const [read] = await vectors([['The migration of src/state/db.ts finished', 'use State Db']]);
    const matches = async (text: string) =>
      (
        await client!.query<{ hit: boolean }>('SELECT $1::tsvector @@ $2::tsquery AS hit', [
          read,
          tsquery(text),
        ])
      ).rows[0]!.hit;
    expect(await matches('migrate')).toBe(true);
    expect(await matches('migrat*')).toBe(true);
    expect(await matches('"state db"')).toBe(true);
    expect(await matches('src/state/db.ts')).toBe(true);
    expect(await matches('useStateDb')).toBe(true);
    expect(await matches('"db use"')).toBe(false); // no phrase from the text into the parts
    expect(await matches('the -finished')).toBe(false);
    expect(porterStem('finished')).toBe('finish');
  });

  it('writes binary arrays of text and integers, nulls included', async () => {
    const { rows } = await client!.query<{ t: string | null; i: number | null; b: string | null }>(
      'SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS u(t, i, b)',
      [
        binaryArray('text', ['é', null, '']),
        binaryArray('int4', [1, -2, null]),
        binaryArray('int8', [2 ** 40, null, 0]),
      ],
    );
    expect(rows).toEqual([
      { t: 'é', i: 1, b: String(2 ** 40) },
      { t: null, i: -2, b: null },
      { t: '', i: null, b: '0' },
    ]);
  });
});
