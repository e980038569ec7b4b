import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { type StateStore, openStateStore } from '@agent-state/state';
import { type CodexFixtureVersion, copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { runBackfill } from '../backfill/run-backfill.js';
import { reindexSearch } from './reindex-search.js';
import { type SearchThreadsOptions, searchThreads } from './search-threads.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function backfilled(version: CodexFixtureVersion) {
  const home = copyCodexHome(version, temp.make(version));
  const store = await openStateStore({ home });
  stores.push(store);
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  const search = async (query: string, options: Partial<SearchThreadsOptions> = {}) =>
    searchThreads({ store, home, query, ...options });
  const ids = async (query: string, options: Partial<SearchThreadsOptions> = {}) =>
    (await search(query, options)).hits.map((hit) => hit.thread.id.slice(0, 13));
  return { home, store, search, ids };
}

function rawText(home: string): string {
  const read = (dir: string): string =>
    readdirSync(dir)
      .map((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? read(path) : readFileSync(path, 'utf8');
      })
      .join('\n');
  return read(join(home, 'sessions'));
}

describe('searchThreads on homes written by Codex', () => {
  for (const [version, ids] of [
    [
      'v0.100.0',
      {
        multiline: '01a1fca2-21c0',
        cat: '01a1fca2-237f',
        ls: '01a1fca2-290e',
        recursion: '01a1fca2-22e1',
      },
    ],
    [
      'v0.169.0',
      {
        multiline: '01a1fca2-5289',
        cat: '01a1fca2-5537',
        ls: '01a1fca2-5c8e',
        recursion: '01a1fca2-53fc',
      },
    ],
  ] as const) {
    it(`ranks the thread of a prompt's phrase first, and finds commands and their output (${version})`, async () => {
      const h = await backfilled(version);
      expect((await h.ids('"multi-line prompt"'))[0]).toBe(ids.multiline);
      expect((await h.ids('cat README', { roles: ['tool'] }))[0]).toBe(ids.cat);
      expect(await h.ids('"No such file or directory"', { roles: ['tool'] })).toEqual([ids.cat]);
      expect(await h.ids('main.py', { roles: ['tool'] })).toEqual([ids.ls]);
      const hit = (await h.search('"multi-line prompt"')).hits[0]!;
      expect(hit.documents[0]).toMatchObject({ role: 'user', kind: 'user_message' });
      expect(hit.thread).toMatchObject({
        preview: expect.stringContaining('multi-line') as string,
      });
    });

    it(`finds nothing in Codex's instructions and injected context (${version})`, async () => {
      const h = await backfilled(version);
      const raw = rawText(h.home);
      // Base instructions are elided in the fixtures; the injected permission text, environment
      // context and AGENTS.md are not.
      const injected = ['sandboxing', 'environment_context', 'current_date', 'AGENTS.md', 'elided'];
      const present = injected.filter((word) => raw.toLowerCase().includes(word.toLowerCase()));
      expect(present.length).toBeGreaterThanOrEqual(4);
      for (const word of present) {
        expect(await h.ids(word, { archived: 'all' }), word).toEqual([]);
      }
    });

    it(`filters by archive state, cwd, source, role and time (${version})`, async () => {
      const h = await backfilled(version);
      expect(await h.ids('recursion')).toEqual([]);
      expect(await h.ids('recursion', { archived: true })).toEqual([ids.recursion]);
      expect(await h.ids('recursion', { archived: 'all' })).toEqual([ids.recursion]);
      expect(await h.ids('pwd', { cwds: ['/home/user/projects/plain-d/nested dir'] })).toEqual([
        ids.multiline,
      ]);
      expect(await h.ids('pwd', { cwds: ['/home/user/projects/repo-a'] })).toEqual([]);
      expect(await h.ids('ls', { sources: ['vscode'] })).toEqual([ids.ls]);
      expect((await h.ids('ls', { sources: ['exec'] })).includes(ids.ls)).toBe(false);
      expect(await h.ids('README', { roles: ['reasoning'] })).toEqual([]);
      const all = await h.search('answer', { archived: 'all', limit: 50 });
      const times = all.hits.flatMap((hit) => hit.documents.map((d) => d.timeMs)).sort();
      const middle = times[Math.floor(times.length / 2)]!;
      for (const hit of (await h.search('answer', { archived: 'all', sinceMs: middle })).hits) {
        expect(hit.documents.every((d) => d.timeMs >= middle)).toBe(true);
      }
      for (const hit of (await h.search('answer', { archived: 'all', untilMs: middle })).hits) {
        expect(hit.documents.every((d) => d.timeMs < middle)).toBe(true);
      }
    });
  }

  it('shows user-set names and says when the index does not cover every thread', async () => {
    const h = await backfilled('v0.169.0');
    const named = await h.search('ls', { sources: ['vscode'] });
    expect(named.hits[0]!.thread.name).toBe('IDE thread ✓');
    expect(named.coverage).toEqual({
      complete: true,
      threads: 14,
      indexed: 14,
      backfill: 'complete',
    });

    // As a store indexed by a release without search: rows written without their documents.
    for (const thread of await h.store.threads.scan({ limit: 100 })) {
      await h.store.threads.delete(thread.id);
      await h.store.threads.upsert(thread);
    }
    const before = await h.search('ls', { sources: ['vscode'] });
    expect(before.hits).toEqual([]);
    expect(before.coverage).toMatchObject({ complete: false, threads: 14, indexed: 0 });

    const progress: number[] = [];
    const result = await reindexSearch({
      store: h.store,
      workers: 0,
      onProgress: (p) => progress.push(p.done),
    });
    expect(result).toEqual({ indexed: 14, failed: [] });
    expect(progress).toEqual([14]);
    const after = await h.search('ls', { sources: ['vscode'] });
    expect(after).toEqual(named);
    // Nothing left to do, and a full rebuild gives the same index.
    expect(await reindexSearch({ store: h.store })).toEqual({ indexed: 0, failed: [] });
    expect(await reindexSearch({ store: h.store, all: true })).toEqual({ indexed: 14, failed: [] });
    expect(await h.search('ls', { sources: ['vscode'] })).toEqual(named);
  });

  it('says so while the backfill has not finished', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('fresh'));
    const store = await openStateStore({ home });
    stores.push(store);
    const result = await searchThreads({ store, home, query: 'ls' });
    expect(result).toMatchObject({ hits: [], coverage: { complete: false, backfill: 'pending' } });
  });

  it('searches compressed rollouts and forks by reference like plain ones', async () => {
    const h = await backfilled('v0.169.0-compressed');
    expect(await h.ids('"multi-line prompt"')).toEqual(['01a1fca2-5289']);
    expect(await h.ids('"Continue in a fork"')).toEqual(['01a249b9-5d8c']);
    // The fork's inherited history belongs to its parent: the parent's prompt finds only it.
    expect(await h.ids('"Summarize the purpose"')).toEqual(['01a1fca2-4bd1']);
    expect((await h.ids('TODO comments', { roles: ['user'] })).sort()).toEqual([
      '01a249b9-5eba',
      '01a249b9-5f2b',
    ]);
  });
});
