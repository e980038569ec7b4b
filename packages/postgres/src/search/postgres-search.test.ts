import { ErrorCode, SEARCH_INDEX_NAME, type SearchDocument } from '@agent-state/state';
import { RANKED_WINDOW } from '@agent-state/state/backend';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId } from '@agent-state/test-utils/store-contract';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';
import { INDEXED_CHARS } from './postgres-full-text.js';

const T0 = 1_800_000_000_000;

const doc = (line: number, text: string): SearchDocument => ({
  kind: 'user_message',
  turnId: null,
  timeMs: T0 + line,
  line,
  ordinal: line - 1,
  text,
});

// What the contract suite does not look at: the writer's batches and kept documents, the words
// PostgreSQL could not have found by itself, snippets, and homes kept apart.
describe.skipIf(!postgresAvailable())('PostgresSearch', () => {
  const stores = usePostgresStores(T0);
  const open = (options?: Parameters<typeof stores.open>[0]) => stores.open(options);

  const write = (store: PostgresStore, n: number, docs: SearchDocument[]) =>
    store.index.write([{ metadata: sampleThread(n), derived: { [SEARCH_INDEX_NAME]: docs } }]);
  const ids = async (store: PostgresStore, query: string) =>
    (await store.search.search({ query, archived: 'all', limit: 200 })).hits.map(
      (hit) => hit.thread.id,
    );
  const rowIds = async (store: PostgresStore) =>
    (
      await sql<{ id: string; line: number }>`SELECT id, line FROM search_documents
        WHERE home_id = ${store.homeId} ORDER BY id`.execute(store.context.db)
    ).rows.map((row) => ({ id: Number(row.id), line: row.line }));

  it('keeps the documents a grown rollout still has, and rewrites from the first change', async () => {
    const store = await open();
    await write(store, 1, [doc(1, 'one'), doc(2, 'two')]);
    const first = await rowIds(store);
    await write(store, 1, [doc(1, 'one'), doc(2, 'two'), doc(3, 'three')]); // a turn appended
    const grown = await rowIds(store);
    expect(grown.slice(0, 2)).toEqual(first);
    expect(grown).toHaveLength(3);
    await write(store, 1, [doc(1, 'one'), doc(2, 'TWO'), doc(3, 'three')]); // rewritten
    const rewritten = await rowIds(store);
    expect(rewritten[0]).toEqual(first[0]);
    expect(rewritten[1]!.id).toBeGreaterThan(grown[2]!.id);
    expect(rewritten.map((row) => row.line)).toEqual([1, 2, 3]);
    await write(store, 1, [doc(1, 'one')]); // shrunk
    expect(await rowIds(store)).toEqual([first[0]]);
    expect((await store.search.documents(sampleThreadId(1))).map((d) => d.text)).toEqual(['one']);
    expect(await store.search.coverage()).toMatchObject({ indexed: 1, documents: 1 });
  });

  it('finds words whatever their case, diacritics or form, and every word', async () => {
    const store = await open();
    await write(store, 1, [doc(1, 'Émigré naïve CAFÉ')]);
    await write(store, 2, [doc(1, 'it is the thing: no such file or directory')]);
    await write(store, 3, [doc(1, 'the emigre cafe, connected')]);
    expect((await ids(store, 'emigre')).sort()).toEqual([sampleThreadId(1), sampleThreadId(3)]);
    expect((await ids(store, 'Émigrés')).sort()).toEqual([sampleThreadId(1), sampleThreadId(3)]);
    expect(await ids(store, 'connecting')).toEqual([sampleThreadId(3)]);
    // No stop words: as in SQLite, `it`, `the`, `no` and `or` are words like any other.
    expect(await ids(store, 'it')).toEqual([sampleThreadId(2)]);
    expect((await ids(store, 'the')).sort()).toEqual([sampleThreadId(2), sampleThreadId(3)]);
    expect(await ids(store, '"no such file or directory"')).toEqual([sampleThreadId(2)]);
    expect(await ids(store, '"such no"')).toEqual([]);
  });

  it('stores text PostgreSQL cannot hold as near as it can, and indexes a long one’s head', async () => {
    const store = await open();
    const long = `${'word '.repeat(INDEXED_CHARS / 5)}beyond`;
    await write(store, 1, [doc(1, 'nul\u0000byte here'), doc(2, long), doc(3, '\ud800 lone')]);
    const docs = await store.search.documents(sampleThreadId(1));
    expect(docs.map((d) => d.text)).toEqual(['nul\uFFFDbyte here', long, '\uFFFD lone']);
    expect(await ids(store, 'byte')).toEqual([sampleThreadId(1)]);
    expect(await ids(store, 'lone')).toEqual([sampleThreadId(1)]);
    expect(await ids(store, 'beyond')).toEqual([]);
    // Written again unchanged: kept, not rewritten.
    const before = await rowIds(store);
    await write(store, 1, [doc(1, 'nul\u0000byte here'), doc(2, long), doc(3, '\ud800 lone')]);
    expect(await rowIds(store)).toEqual(before);
  });

  it('cuts a snippet around the words matched, stemmed and folded, with their highlights', async () => {
    const store = await open();
    const text = `${'filler '.repeat(60)}then the Migrations of src/State/db.ts ran ${'more '.repeat(60)}`;
    await write(store, 1, [doc(1, text)]);
    const page = await store.search.search({ query: 'migrate state/db', documentsPerThread: 1 });
    const match = page.hits[0]!.documents[0]!;
    expect(match.snippet.startsWith('…')).toBe(true);
    expect(match.snippet.endsWith('…')).toBe(true);
    expect(match.highlights.map(([start, end]) => match.snippet.slice(start, end))).toEqual([
      'Migrations',
      'State',
      'db',
    ]);
    expect(page.hits[0]!.score).toBeGreaterThan(0);
  });

  it('writes and searches a batch of many threads and documents', async () => {
    const store = await open();
    const threads = 300;
    await store.index.write(
      Array.from({ length: threads }, (_, i) => ({
        metadata: sampleThread(i + 1),
        derived: {
          [SEARCH_INDEX_NAME]: Array.from({ length: 10 }, (_, j) =>
            doc(j + 1, `common word ${j} of thread${i + 1} ${'pad '.repeat(200)}`),
          ),
        },
      })),
    );
    expect(await store.search.coverage()).toEqual({
      threads,
      indexed: threads,
      documents: threads * 10,
    });
    expect(await ids(store, 'thread77')).toEqual([sampleThreadId(77)]);
    // More matches than the first window: the newest ranked first, as many as give the limit.
    const page = await store.search.search({ query: 'common', limit: 5 });
    expect(page.hits).toHaveLength(5);
    expect(page.rankedAll).toBe(threads * 10 <= RANKED_WINDOW);
    const all = await store.search.search({ query: 'common', limit: 200 });
    expect(all.hits).toHaveLength(200);
    expect(all.hits[0]!.matches).toBe(10);
  });

  it('finds the same newest matches walking the newest documents as reading the index', async () => {
    // Two homes of 2,500 documents, more than a window: "common" is in every one, so that a walk
    // fills the window; the other words and filters thin it out, down to what no walk fills.
    const kinds = ['user_message', 'agent_message', 'tool_call'] as const;
    const [mine, theirs] = [await open(), await open()];
    for (const [h, store] of [mine, theirs].entries()) {
      await store.index.write(
        Array.from({ length: 250 }, (_, i) => ({
          metadata: sampleThread(i + 1, {
            cwd: `/home/user/projects/p${i % 3}`,
            archivedAt: i % 5 === 0 ? 1_700_000_999 : null,
            createdAt: 1_700_000_000 + i * 2 + h,
          }),
          derived: {
            [SEARCH_INDEX_NAME]: Array.from({ length: 10 }, (_, j) => ({
              ...doc(
                j + 1,
                `common word${j} ${i % 2 ? 'odd' : 'even'} home${h} t${i} ${j === 9 ? 'the last one' : 'one the last'}`,
              ),
              kind: kinds[(i + j) % 3]!,
              timeMs: T0 + i * 10 + j,
            })),
          },
        })),
      );
    }
    await sql`ANALYZE search_documents`.execute(mine.context.db);
    const across = await open({ acrossHomes: true });
    const queries: Array<Omit<Parameters<PostgresStore['search']['search']>[0], 'limit'>> = [
      { query: 'common' },
      { query: 'common', archived: 'all' },
      { query: 'common', archived: true },
      { query: 'common', cwds: ['/home/user/projects/p1'] },
      { query: 'common', roles: ['agent'] },
      { query: 'common', sinceMs: T0 + 1_000, untilMs: T0 + 2_000 },
      { query: 'odd word3' },
      { query: '"the last one"' },
      { query: 'word9 OR t7*' },
      { query: 'common -even' },
      { query: 't249' },
      { query: 'absent' },
    ];
    for (const store of [mine, across]) {
      for (const options of queries) {
        const pages = [];
        for (const readBy of ['walk', 'index', 'estimates'] as const) {
          store.search.readBy = readBy;
          pages.push(await store.search.search({ ...options, limit: 30 }));
        }
        const [walked, indexed, chosen] = pages;
        expect(walked, JSON.stringify(options)).toEqual(indexed);
        expect(chosen).toEqual(indexed);
      }
    }
    // The window was full: the walk stopped before the oldest documents.
    mine.search.readBy = 'walk';
    const common = await mine.search.search({ query: 'common', archived: 'all' });
    expect(common.rankedAll).toBe(false);
    expect(common.totalThreads).toBe(RANKED_WINDOW / 10);
  });

  it('keeps homes apart, reads them together across homes, and writes only to its own', async () => {
    const mine = await open();
    const theirs = await open();
    await write(mine, 1, [doc(1, 'shared word mine')]);
    await write(theirs, 1, [doc(1, 'shared word theirs')]);
    await write(theirs, 2, [doc(1, 'only theirs')]);
    expect(await ids(mine, 'shared')).toEqual([sampleThreadId(1)]);
    expect(await ids(mine, 'theirs')).toEqual([]);
    expect((await mine.search.documents(sampleThreadId(1))).map((d) => d.text)).toEqual([
      'shared word mine',
    ]);
    expect(await mine.search.coverage()).toEqual({ threads: 1, indexed: 1, documents: 1 });

    const across = await open({ acrossHomes: true });
    const page = await across.search.search({ query: 'shared' });
    expect(page.hits.map((hit) => hit.thread.id)).toEqual([sampleThreadId(1), sampleThreadId(1)]);
    expect(page.totalThreads).toBe(2);
    expect((await across.search.coverage()).indexed).toBeGreaterThanOrEqual(3);
    await expect(
      across.index.write([{ metadata: sampleThread(5), derived: { [SEARCH_INDEX_NAME]: [] } }]),
    ).rejects.toMatchObject({ code: ErrorCode.StoreIo });
  });

  it('drops a thread’s documents when the thread goes, by any delete', async () => {
    const store = await open();
    await write(store, 1, [doc(1, 'gone soon')]);
    await write(store, 2, [doc(1, 'stays')]);
    await sql`DELETE FROM threads WHERE home_id = ${store.homeId}
      AND id = ${sampleThreadId(1)}`.execute(store.context.db);
    expect(await store.search.documents(sampleThreadId(1))).toEqual([]);
    expect(await store.search.coverage()).toEqual({ threads: 1, indexed: 1, documents: 1 });
    expect(await store.checkIntegrity()).toEqual([]);
  });
});
