import {
  ErrorCode,
  type IndexedThread,
  ManualClock,
  SEARCH_INDEX_NAME,
  type SearchDocument,
  type SearchDocumentKind,
} from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { sampleThread, sampleThreadId } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = 1_800_000_000_000;

/** A search document of kind `kind` at rollout line `line`, `line` seconds after T0. */
function doc(kind: SearchDocumentKind, line: number, text: string): SearchDocument {
  return { kind, turnId: `turn-${line}`, timeMs: T0 + line * 1000, line, ordinal: null, text };
}

function entry(
  n: number,
  documents: SearchDocument[],
  overrides: Parameters<typeof sampleThread>[1] = {},
): IndexedThread {
  return { metadata: sampleThread(n, overrides), derived: { [SEARCH_INDEX_NAME]: documents } };
}

/** Ids of the threads a search returns, best first. */
type Ids = string[];

/** The contract of `store.search` (see `SearchStore`): documents in, ranked threads out. */
export function describeSearchContract(factory: StoreContractFactory): void {
  describe('search', () => {
    const h = useContractStore(factory, () => new ManualClock(T0));
    const ids = async (query: string, options: object = {}): Promise<Ids> =>
      (await h.store.search.search({ query, ...options })).hits.map((hit) => hit.thread.id);

    const corpus = async () => {
      await h.store.index.write([
        entry(1, [
          doc('user_message', 3, 'Please migrate the settings database to the new schema'),
          doc('reasoning', 4, 'Planning the migration steps'),
          doc('tool_call', 5, 'sqlite3 state.db .schema\nCREATE TABLE threads (id TEXT)'),
          doc('agent_message', 7, 'The migration finished without errors.'),
        ]),
        entry(
          2,
          [
            doc('user_message', 3, 'Why does useStateDbOnly hide my threads?'),
            doc(
              'tool_call',
              5,
              'rg useStateDbOnly src/\nsrc/state/db.ts: const useStateDbOnly = true',
            ),
            doc('agent_message', 6, 'It reads src/state/db.ts only when the flag is set.'),
          ],
          { cwd: 'projects/app' },
        ),
        entry(
          3,
          [
            doc('user_message', 3, 'open packages/rollout/src/x.ts fails'),
            doc(
              'tool_call',
              4,
              "cat packages/rollout/src/x.ts\nError: ENOENT: no such file or directory, open 'x.ts'",
            ),
          ],
          { source: 'vscode' },
        ),
        entry(4, [doc('user_message', 3, 'archived talk about the settings migration')], {
          archivedAt: 1_700_000_100,
        }),
        entry(5, [doc('compaction', 9, 'Summary: we renamed the config flag')]),
      ]);
    };

    it('finds threads by their words, phrases and prefixes, best first', async () => {
      await corpus();
      expect(await ids('migration')).toEqual([sampleThreadId(1)]);
      expect((await ids('migrat*')).sort()).toEqual([sampleThreadId(1)]);
      expect(await ids('"new schema"')).toEqual([sampleThreadId(1)]);
      expect(await ids('"schema new"')).toEqual([]);
      expect(await ids('settings database')).toEqual([sampleThreadId(1)]);
      expect(await ids('renamed config')).toEqual([sampleThreadId(5)]);
      expect(await ids('nothing-matches-this')).toEqual([]);
    });

    it('takes OR, AND, NOT, -word and parentheses', async () => {
      await corpus();
      expect((await ids('ENOENT OR renamed')).sort()).toEqual([
        sampleThreadId(3),
        sampleThreadId(5),
      ]);
      expect(await ids('migration AND steps')).toEqual([sampleThreadId(1)]);
      // All words of a query match in one document (a message, a tool call), not across a thread.
      expect(await ids('migration AND sqlite3')).toEqual([]);
      expect(await ids('flag NOT renamed')).toEqual([sampleThreadId(2)]);
      expect(await ids('flag -renamed')).toEqual([sampleThreadId(2)]);
      expect((await ids('(ENOENT OR flag) src')).sort()).toEqual([
        sampleThreadId(2),
        sampleThreadId(3),
      ]);
    });

    it('finds code: paths, identifiers and error messages by the words they hold', async () => {
      await corpus();
      expect(await ids('packages/rollout/src/x.ts')).toEqual([sampleThreadId(3)]);
      expect(await ids('x.ts')).toEqual([sampleThreadId(3)]);
      expect(await ids('useStateDbOnly')).toEqual([sampleThreadId(2)]);
      expect(await ids('usestatedbonly')).toEqual([sampleThreadId(2)]);
      expect(await ids('use_state_db_only')).toEqual([sampleThreadId(2)]);
      expect(await ids('"ENOENT: no such file or directory"')).toEqual([sampleThreadId(3)]);
      expect(await ids('src/state/db.ts')).toEqual([sampleThreadId(2)]);
    });

    it('filters by archive state, cwd, source, role and time', async () => {
      await corpus();
      expect(await ids('migration')).toEqual([sampleThreadId(1)]);
      expect(await ids('migration', { archived: true })).toEqual([sampleThreadId(4)]);
      expect((await ids('migration', { archived: 'all' })).sort()).toEqual([
        sampleThreadId(1),
        sampleThreadId(4),
      ]);
      expect(await ids('src', { cwds: ['projects/app'] })).toEqual([sampleThreadId(2)]);
      expect(await ids('src', { sources: ['vscode'] })).toEqual([sampleThreadId(3)]);
      expect(await ids('useStateDbOnly', { roles: ['tool'] })).toEqual([sampleThreadId(2)]);
      expect(await ids('migration', { roles: ['tool'] })).toEqual([]);
      expect(await ids('migration', { roles: ['agent', 'reasoning'] })).toEqual([
        sampleThreadId(1),
      ]);
      expect(await ids('migration', { sinceMs: T0 + 5000 })).toEqual([sampleThreadId(1)]);
      const late = await h.store.search.search({ query: 'migration', sinceMs: T0 + 5000 });
      expect(late.hits[0]!.documents.map((d) => d.line)).toEqual([7]);
      expect(await ids('migration', { untilMs: T0 + 3000 })).toEqual([]);
      expect(await ids('migration', { untilMs: T0 + 3001 })).toEqual([sampleThreadId(1)]);
    });

    it('returns each thread with its best documents, snippets and highlights', async () => {
      await corpus();
      const page = await h.store.search.search({ query: 'migration', documentsPerThread: 1 });
      expect(page.totalThreads).toBe(1);
      const [hit] = page.hits;
      expect(hit!.thread).toEqual(sampleThread(1));
      expect(hit!.matches).toBe(3); // the user's "migrate", the reasoning and the answer
      expect(hit!.score).toBeGreaterThan(0);
      expect(hit!.documents).toHaveLength(1);
      const match = hit!.documents[0]!;
      expect(match).toMatchObject({ turnId: `turn-${match.line}`, ordinal: null });
      expect([3, 4, 7]).toContain(match.line);
      expect(match.highlights.length).toBeGreaterThan(0);
      for (const [start, end] of match.highlights) {
        expect(match.snippet.slice(start, end).toLowerCase()).toMatch(/^migrat/);
      }
      const two = await h.store.search.search({ query: 'migration OR ENOENT', limit: 1 });
      expect(two.hits).toHaveLength(1);
      expect(two.totalThreads).toBe(2);
    });

    it('rejects a query it cannot parse with INVALID_ARGUMENT, and takes any other text', async () => {
      await corpus();
      for (const query of ['NOT x', '"unclosed', 'a OR', '(a b', '', '   ', '* ', '\u0000\u0002']) {
        await expect(h.store.search.search({ query })).rejects.toMatchObject({
          code: ErrorCode.InvalidArgument,
          argument: 'query',
        });
      }
      for (const query of [
        'a:b',
        'NEAR(a b)',
        "'; DROP TABLE threads; --",
        '^start',
        'text:migration',
        'x)',
        '{a b}',
        '"a""b"',
        'émigré',
        'migration\u0000schema',
        '🙂 migration',
      ]) {
        await expect(h.store.search.search({ query })).resolves.toBeDefined();
      }
      await expect(
        h.store.search.search({ query: 'x', roles: ['robot' as 'user'] }),
      ).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
      await expect(h.store.search.search({ query: 'x', limit: 0 })).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
    });

    it('replaces a thread’s documents on every write, and drops them with the thread', async () => {
      await corpus();
      await h.store.index.write([entry(1, [doc('user_message', 3, 'something else entirely')])]);
      expect(await ids('migration')).toEqual([]);
      expect(await ids('entirely')).toEqual([sampleThreadId(1)]);
      expect(await h.store.search.documents(sampleThreadId(1))).toEqual([
        doc('user_message', 3, 'something else entirely'),
      ]);
      // A write without search records leaves the documents as they are.
      await h.store.index.write([{ metadata: sampleThread(1, { title: 'renamed' }) }]);
      expect(await ids('entirely')).toEqual([sampleThreadId(1)]);
      await h.store.threads.delete(sampleThreadId(1));
      expect(await ids('entirely')).toEqual([]);
      expect(await h.store.search.documents(sampleThreadId(1))).toEqual([]);
    });

    it('says which threads it covers', async () => {
      await h.store.threads.upsert(sampleThread(8)); // written without the indexer
      await corpus();
      expect(await h.store.search.coverage()).toEqual({ threads: 6, indexed: 5, documents: 11 });
      expect((await h.store.search.unindexed({ limit: 10 })).map((t) => t.id)).toEqual([
        sampleThreadId(8),
      ]);
      await h.store.index.write([entry(8, [])]);
      expect(await h.store.search.coverage()).toEqual({ threads: 6, indexed: 6, documents: 11 });
      expect(await h.store.search.unindexed({ limit: 10 })).toEqual([]);
      const other = await h.reopen();
      expect(await other.search.search({ query: 'ENOENT' })).toMatchObject({ totalThreads: 1 });
    });
  });
}
