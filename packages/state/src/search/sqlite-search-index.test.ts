import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { seededRandom, tempDirs } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId } from '@agent-state/test-utils/store-contract';

import { ManualClock } from '../clock.js';
import { stateDbPath } from '../paths/home.js';
import { openStateStore } from '../store/state-store.js';
import type { SearchDocument } from './search-document.js';
import { SEARCH_INDEX_NAME } from './sqlite-search-index.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const doc = (line: number, text: string): SearchDocument => ({
  kind: 'user_message',
  turnId: null,
  timeMs: 1_800_000_000_000 + line,
  line,
  ordinal: line - 1,
  text,
});

async function open() {
  const home = temp.make('home');
  const store = await openStateStore({ home, clock: new ManualClock(1_800_000_000_000) });
  const write = (docs: SearchDocument[]) =>
    store.index.write([{ metadata: sampleThread(1), derived: { [SEARCH_INDEX_NAME]: docs } }]);
  const rowIds = () => {
    const db = new Database(stateDbPath(home), { readonly: true });
    try {
      return db.prepare('SELECT id, line FROM search_documents ORDER BY id').all() as Array<{
        id: number;
        line: number;
      }>;
    } finally {
      db.close();
    }
  };
  return { home, store, write, rowIds };
}

describe('the SQLite search index', () => {
  it('keeps the documents a grown rollout still has, and rewrites from the first change', async () => {
    const { store, write, rowIds } = await open();
    await write([doc(1, 'one'), doc(2, 'two')]);
    const first = rowIds();
    await write([doc(1, 'one'), doc(2, 'two'), doc(3, 'three')]); // a turn appended
    const grown = rowIds();
    expect(grown.slice(0, 2)).toEqual(first);
    expect(grown).toHaveLength(3);
    await write([doc(1, 'one'), doc(2, 'TWO'), doc(3, 'three')]); // rewritten behind our back
    const rewritten = rowIds();
    expect(rewritten[0]).toEqual(first[0]);
    expect(rewritten.map((row) => row.line)).toEqual([1, 2, 3]);
    expect((await store.search.search({ query: 'two' })).hits).toHaveLength(1);
    expect((await store.search.documents(sampleThreadId(1))).map((d) => d.text)).toEqual([
      'one',
      'TWO',
      'three',
    ]);
    await write([doc(1, 'one')]); // cut short
    expect(rowIds()).toEqual([first[0]]);
    expect(await store.checkIntegrity()).toEqual([]);
    await store.close();
  });

  it('reports a full-text index out of step with its documents', async () => {
    const { home, store, write } = await open();
    await write([doc(1, 'alpha beta')]);
    await store.close();
    const db = new Database(stateDbPath(home));
    db.exec('DROP TRIGGER search_documents_delete; DELETE FROM search_documents;');
    db.close();
    const reopened = await openStateStore({ home });
    expect(await reopened.checkIntegrity()).toEqual([
      expect.stringMatching(/^search index: .*agent-state search --rebuild/),
    ]);
    await reopened.close();
  });

  it('answers any query text with results or a usage error, never a database error', async () => {
    const { store, write } = await open();
    await write([doc(1, 'alpha "beta" (gamma) NOT delta-epsilon x.ts useStateDb ü')]);
    const random = seededRandom(7);
    const pieces = [
      'alpha',
      'beta',
      '"',
      '(',
      ')',
      '*',
      '-',
      'AND',
      'OR',
      'NOT',
      'NEAR',
      ':',
      '^',
      '+',
      '{',
      '}',
      ' ',
      ' ',
      'x.ts',
      'ü',
      '\u0000',
      "'",
      ';',
      'useStateDb',
    ];
    for (let i = 0; i < 500; i += 1) {
      const length = 1 + Math.floor(random() * 8);
      const query = Array.from({ length }, () => pieces[Math.floor(random() * pieces.length)]).join(
        '',
      );
      try {
        await store.search.search({ query });
      } catch (error) {
        expect(error, query).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'query' });
      }
    }
    await store.close();
  });

  it('ranks the newest matches of a very common word, widening to fill the page', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home, clock: new ManualClock(1_800_000_000_000) });
    // 60 threads of 50 documents each, all with the word: more than the first window ranks.
    for (let n = 1; n <= 60; n += 1) {
      const docs = Array.from({ length: 50 }, (_, i) => doc(i + 1, `common word ${n}-${i}`));
      await store.index.write([
        {
          metadata: sampleThread(n, { cwd: n === 1 ? '/oldest' : '/w' }),
          derived: { [SEARCH_INDEX_NAME]: docs },
        },
      ]);
    }
    const page = await store.search.search({ query: 'common', limit: 5 });
    expect(page.rankedAll).toBe(false);
    expect(page.hits).toHaveLength(5);
    // The newest documents were ranked: the threads written last.
    expect(page.hits.every((hit) => Number.parseInt(hit.thread.id.slice(-4), 16) > 20)).toBe(true);
    expect(page.totalThreads).toBeGreaterThanOrEqual(40);
    expect(page.totalThreads).toBeLessThan(60);
    // A filter that leaves the window without a thread widens it to every match.
    const oldest = await store.search.search({ query: 'common', cwds: ['/oldest'] });
    expect(oldest).toMatchObject({ totalThreads: 1, rankedAll: true });
    expect(oldest.hits[0]!.matches).toBe(50);
    // A rare word is ranked over all its matches.
    expect(await store.search.search({ query: '"1-7"' })).toMatchObject({ rankedAll: true });
    await store.close();
  });

  it('rejects search records of the wrong shape, naming the thread and record', async () => {
    const { store } = await open();
    for (const bad of [
      null,
      { kind: 'poem', text: 'x' },
      { ...doc(1, 'x'), line: 0 },
      { ...doc(1, 'x'), text: 3 },
    ]) {
      await expect(
        store.index.write([
          { metadata: sampleThread(2), derived: { [SEARCH_INDEX_NAME]: [doc(1, 'ok'), bad] } },
        ]),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(`record 1 of thread ${sampleThreadId(2)}`) as string,
      });
    }
    expect(await store.threads.count()).toBe(0);
    await store.close();
  });
});
