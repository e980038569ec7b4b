import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { codexFixtureDir, tempDirs } from '@agent-state/test-utils';
import type { ThreadSearchHit } from '@agent-state/rollout';
import { type AgentStateStore, buildThreadMetadata, openStateStore } from '@agent-state/state';
import picocolors from 'picocolors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { backfilledHome, codexHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import { displayWidth, formatLocalTime } from '../../format.js';
import { type SearchReport, highlightedSnippet, renderSearchResults } from './search.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Threads of the v0.169.0 fixture home (Codex's own `thread/list`). */
const LS_LA = '01a1fca2-4fed-7240-b63a-7bbeef5ab15d'; // "RUN: ls -la", plain-c
const IDE_LS = '01a1fca2-5c8e-74b0-8fda-13bef72eecb4'; // named "IDE thread ✓": "List the files here.\nRUN: ls", repo-a
const TWO_PLUS_TWO = '01a1fca2-4ee0-7530-9878-cefb9fb59b3d'; // archived: "What is 2+2? Answer briefly."
const RECURSION = '01a1fca2-53fc-76e0-8b92-101a077348df'; // archived: "Explain recursion in one short paragraph."
const SUMMARIZE = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e'; // "Summarize the purpose of this repository…"

async function search(home: string, args: readonly string[]) {
  return runCliJson<SearchReport>(['--home', home, 'search', '--json', ...args]);
}

const hitIds = (report: SearchReport) => report.hits.map((hit) => hit.thread.id);

/** Runs `change` on the store of `home` (as another process would), then closes it. */
async function withHomeStore(home: string, change: (store: AgentStateStore) => Promise<void>) {
  const store = await openStateStore({ home });
  try {
    await change(store);
  } finally {
    await store.close();
  }
}

/**
 * Leaves a store's rows without their search documents, as a store indexed by a release without
 * search has them (a row written without the indexer has none).
 */
async function emptySearchIndex(home: string): Promise<void> {
  await withHomeStore(home, async (store) => {
    for (const thread of await store.threads.scan({ limit: 1000 })) {
      await store.threads.delete(thread.id);
      await store.threads.upsert(thread);
    }
  });
}

describe('agent-state search (one backfilled v0.169.0 home)', () => {
  // These tests only read: one backfill serves them all.
  const shared = tempDirs();
  let home: string;
  beforeAll(async () => {
    home = await backfilledHome(shared, 'v0.169.0');
  });
  afterAll(() => shared.cleanup());

  it('finds a user prompt by its phrase, the thread that holds it first', async () => {
    const { exitCode, stderr, json } = await search(home, ['"RUN: ls -la"']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(hitIds(json)[0]).toBe(LS_LA);
    expect(json.hits[0]!.documents[0]).toMatchObject({
      kind: 'user_message',
      role: 'user',
      line: 9,
      snippet: 'RUN: ls -la',
    });

    const archived = await search(home, ['What is 2+2? Answer briefly.', '--archived']);
    expect(hitIds(archived.json)[0]).toBe(TWO_PLUS_TWO);
  });

  it('joins the words of the query with spaces', async () => {
    const { json } = await search(home, ['What', 'is', '2+2?', '--archived']);
    expect(json.query).toBe('What is 2+2?');
    expect(hitIds(json)).toEqual([TWO_PLUS_TWO]);
  });

  it('finds a command in a tool call with --role tool, and only tool documents', async () => {
    const { json } = await search(home, ['ls', '--role', 'tool']);
    expect(hitIds(json)).toEqual(expect.arrayContaining([LS_LA, IDE_LS]));
    const documents = json.hits.flatMap((hit) => hit.documents);
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.every((doc) => doc.role === 'tool' && doc.kind === 'tool_call')).toBe(true);
    const lsLa = json.hits.find((hit) => hit.thread.id === LS_LA)!;
    expect(lsLa.documents[0]).toMatchObject({ line: 12 });
    expect(lsLa.documents[0]!.snippet).toContain('ls -la');

    const agentOnly = await search(home, ['drwxr', '--role', 'agent', '--role', 'user']);
    expect(agentOnly.json.hits).toEqual([]);
  });

  it('does not search what Codex injects (base instructions, environment context)', async () => {
    // The words are in the rollouts, in what Codex itself wrote for the model.
    const rollouts = join(codexFixtureDir('v0.169.0'), 'home', 'sessions', '2026', '11', '21');
    const text = readdirSync(rollouts)
      .map((name) => readFileSync(join(rollouts, name), 'utf8'))
      .join('\n');
    for (const word of ['environment_context', 'sandboxing']) {
      expect(text).toContain(word);
      const { exitCode, json } = await search(home, [word, '--all']);
      expect(exitCode).toBe(ExitCode.Ok);
      expect(json.hits).toEqual([]);
      expect(json.totalThreads).toBe(0);
    }
  });

  it('searches active threads by default, archived ones with --archived, both with --all', async () => {
    expect((await search(home, ['recursion'])).json.hits).toEqual([]);
    expect(hitIds((await search(home, ['recursion', '--archived'])).json)).toEqual([RECURSION]);
    expect(hitIds((await search(home, ['recursion', '--all'])).json)).toEqual([RECURSION]);
    expect(hitIds((await search(home, ['"RUN: ls -la"', '--archived'])).json)).toEqual([]);

    // The mock model answers plain prompts `Mock answer to: <prompt>`.
    const all = hitIds((await search(home, ['"Mock answer to"', '--all', '--limit', '200'])).json);
    expect(all).toEqual(expect.arrayContaining([TWO_PLUS_TWO, RECURSION, SUMMARIZE]));
    const active = hitIds((await search(home, ['"Mock answer to"', '--limit', '200'])).json);
    expect(active).toContain(SUMMARIZE);
    expect(active).not.toContain(TWO_PLUS_TWO);
    expect(active).not.toContain(RECURSION);
  });

  it('narrows to working directories with --cwd, and to source kinds with --source', async () => {
    const all = hitIds((await search(home, ['ls'])).json);
    expect(all).toEqual(expect.arrayContaining([LS_LA, IDE_LS]));
    const repoA = await search(home, ['ls', '--cwd', '/home/user/projects/repo-a']);
    expect(hitIds(repoA.json)).toEqual([IDE_LS]);
    const both = await search(home, [
      'ls',
      '--cwd',
      '/home/user/projects/repo-a',
      '--cwd',
      '/home/user/projects/plain-c',
    ]);
    expect(new Set(hitIds(both.json))).toEqual(new Set([LS_LA, IDE_LS]));
    expect(hitIds((await search(home, ['ls', '--source', 'vscode'])).json)).toEqual([IDE_LS]);
    expect(hitIds((await search(home, ['ls', '--source', 'exec'])).json)).toEqual([LS_LA]);
  });

  it('filters by when the matching message was written with --since and --until', async () => {
    // Every thread of the fixture was written on 2026-11-21 between 05:44 and 05:45 UTC.
    const since = await search(home, ['"RUN: ls -la"', '--since', '2026-11-21T05:44:00Z']);
    expect(hitIds(since.json)).toEqual([LS_LA]);
    const later = await search(home, ['"RUN: ls -la"', '--since', '2026-11-21T05:45:00Z']);
    expect(later.json.hits).toEqual([]);
    const until = await search(home, ['"RUN: ls -la"', '--until', '1795239800']);
    expect(until.json.hits).toEqual([]);
    const before = await search(home, ['"RUN: ls -la"', '--until', 'now']);
    expect(hitIds(before.json)).toEqual([LS_LA]);
  });

  it('prints one JSON document: the query, the count, the coverage and the hits', async () => {
    const { stdout, json } = await search(home, ['ls', '--limit', '1']);
    expect(stdout.trim().startsWith('{')).toBe(true);
    expect(Object.keys(json)).toEqual(['query', 'totalThreads', 'rankedAll', 'coverage', 'hits']);
    expect(json.query).toBe('ls');
    expect(json.totalThreads).toBeGreaterThanOrEqual(2);
    expect(json.hits).toHaveLength(1);
    expect(json.coverage).toEqual({
      complete: true,
      threads: 14,
      indexed: 14,
      backfill: 'complete',
    });
    const [hit] = json.hits;
    expect(Object.keys(hit!)).toEqual(['thread', 'score', 'matches', 'documents']);
    // The thread as `threads list --json` items carry it.
    expect(hit!.thread).toMatchObject({
      rolloutPath: expect.stringContaining(join(home, 'sessions')) as unknown,
      sourceKind: expect.any(String) as unknown,
      preview: expect.any(String) as unknown,
    });
    expect(hit!.thread).toHaveProperty('name');
    for (const doc of hit!.documents) {
      expect(Object.keys(doc)).toEqual([
        'kind',
        'role',
        'turnId',
        'timeMs',
        'line',
        'ordinal',
        'snippet',
        'highlights',
        'score',
      ]);
      for (const [start, end] of doc.highlights) {
        expect(doc.snippet.slice(start, end).toLowerCase()).toBe('ls');
      }
    }
    const named = await search(home, ['"List the files here"']);
    expect(named.json.hits[0]!.thread).toMatchObject({ id: IDE_LS, name: 'IDE thread ✓' });
  });

  it('prints each thread with its snippets and lines, then how many matched', async () => {
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'search', 'ls']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(stdout).not.toContain('\u001b[');
    const lines = stdout.trimEnd().split('\n');
    const header = lines.find((line) => line.endsWith(LS_LA))!;
    expect(header).toBe(
      `RUN: ls -la  ${formatLocalTime(1795239858)}  /home/user/projects/plain-c  ${LS_LA}`,
    );
    const below = lines.slice(lines.indexOf(header) + 1);
    expect(below).toContain('    user      line 9     RUN: ls -la');
    expect(
      below.find((line) => line.startsWith('    tool      line 12    ls -la total 12')),
    ).toBeDefined();
    expect(lines).toContain(
      `IDE thread ✓  ${formatLocalTime(1795239861)}  /home/user/projects/repo-a  ${IDE_LS}`,
    );
    expect(lines.at(-1)).toBe('2 matching threads');

    const limited = await runCli(['--home', home, 'search', 'ls', '--limit', '1']);
    expect(limited.stdout.trimEnd().split('\n').at(-1)).toBe(
      '1 of 2 matching threads (--limit shows more)',
    );
  });

  it('says so when nothing matches, and exits 0', async () => {
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'search', 'xylophone']);
    expect({ exitCode, stdout, stderr }).toEqual({
      exitCode: ExitCode.Ok,
      stdout: 'no matching threads\n',
      stderr: '',
    });
  });

  it('highlights the matched words on a terminal only, and never with NO_COLOR', async () => {
    const tty = await runCli(['--home', home, 'search', '"RUN: ls -la"'], captureIo({ tty: true }));
    expect(tty.stdout).toContain(
      picocolors.createColors(true).bold(picocolors.createColors(true).yellow('RUN: ls -la')),
    );
    const noColor = await runCli(
      ['--home', home, 'search', '"RUN: ls -la"'],
      captureIo({ tty: true, env: { NO_COLOR: '1' } }),
    );
    expect(noColor.stdout).not.toContain('\u001b[');
    expect(noColor.stdout).toContain('RUN: ls -la');
  });

  it.each([
    ['NOT x', 'invalid query: NOT needs words before it'],
    ['"unclosed', 'invalid query: unclosed quote'],
    ['-only', 'invalid query: a search cannot only exclude'],
    ['a OR', 'invalid query: OR needs words on both sides'],
  ])('exits 2 on the query %j with a one-line message', async (query, message) => {
    // After `--`, so that commander does not take `-only` for an option.
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'search', '--', query]);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
    expect(stderr.startsWith(`agent-state: ${message}`)).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/fts5|SQLITE_|syntax error/);
  });

  it.each([
    [[], "missing required argument 'query'"],
    [
      ['x', '--role', 'system'],
      "option '--role <role>' argument 'system' is invalid. expected one of user, agent, tool, reasoning.",
    ],
    [['x', '--archived', '--all'], "option '--archived' cannot be used with option '--all'"],
    [
      ['x', '--limit', '201'],
      "option '--limit <n>' argument '201' is invalid. expected an integer from 1 to 200.",
    ],
    [['x', '--since', 'yesterday'], "option '--since <time>' argument 'yesterday' is invalid"],
    [['x', '--source', 'nope'], "option '--source <kind>' argument 'nope' is invalid"],
  ])('exits 2 on %j, naming the flag in one line', async (args, message) => {
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'search', ...args]);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('(see `agent-state search --help`)');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('agent-state search (coverage)', () => {
  it('indexes a home never indexed before searching it', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'search', '"RUN: ls -la"']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain(LS_LA);
    expect(stderr).toBe(''); // nothing left out, so no note
    await withHomeStore(home, async (store) => {
      expect((await store.backfill.get()).status).toBe('complete');
    });
  });

  it('--reindex indexes the threads of a store whose search index is empty', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    await emptySearchIndex(home);

    const before = await search(home, ['"RUN: ls -la"']);
    expect(before.json.hits).toEqual([]);
    expect(before.json.coverage).toEqual({
      complete: false,
      threads: 14,
      indexed: 0,
      backfill: 'complete',
    });
    expect(before.stderr).toBe(
      'agent-state: 14 threads are not indexed for search yet: run `agent-state search --reindex`\n',
    );

    // On a terminal, its progress is drawn on stderr, and erased once done.
    const reindexed = await runCli(
      ['--home', home, 'search', '--reindex'],
      captureIo({ tty: true, env: { NO_COLOR: '1' } }),
    );
    expect(reindexed.exitCode).toBe(ExitCode.Ok);
    expect(reindexed.stdout).toBe('search index: 14 threads indexed\n');
    expect(reindexed.stderr).toContain('\rindexing for search [....................] 0/14 threads');
    expect(reindexed.stderr.endsWith('\r\u001b[K')).toBe(true);

    const after = await search(home, ['"RUN: ls -la"']);
    expect(after.stderr).toBe('');
    expect(after.json.coverage.complete).toBe(true);
    expect(hitIds(after.json)).toEqual([LS_LA]);

    const nothingLeft = await runCliJson<SearchReport>([
      '--home',
      home,
      'search',
      '--reindex',
      '--json',
    ]);
    expect(nothingLeft.json).toEqual({ reindex: { indexed: 0, failed: [] } });

    const again = await search(home, ['--reindex', 'recursion', '--all']);
    expect(again.json.reindex).toEqual({ indexed: 0, failed: [] });
    expect(hitIds(again.json)).toEqual([RECURSION]);

    // --rebuild indexes every thread again, and finds the same.
    const rebuilt = await search(home, ['--rebuild', 'recursion', '--all']);
    expect(rebuilt.json.reindex).toEqual({ indexed: 14, failed: [] });
    expect(rebuilt.json.hits).toEqual(again.json.hits);
  });

  it('--reindex with a query prints the summary on stderr, then the results', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    await emptySearchIndex(home);
    const { exitCode, stdout, stderr } = await runCli([
      '--home',
      home,
      'search',
      '--reindex',
      '"RUN: ls -la"',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('agent-state: search index: 14 threads indexed\n');
    expect(stdout).toContain(LS_LA);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 matching thread');
  });

  it('indexes a new rollout the store does not know yet before searching, as threads list does', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    // The store forgets a thread, as if Codex had written it after the backfill.
    await withHomeStore(home, async (store) => {
      await store.threads.delete(LS_LA);
    });
    const { json, stderr } = await search(home, ['"RUN: ls -la"']);
    expect(stderr).toBe('');
    expect(hitIds(json)).toEqual([LS_LA]);
  });

  it('searches the legacy rollouts of Codex 0.100.0', async () => {
    const home = await backfilledHome(temp, 'v0.100.0');
    const { json } = await search(home, ['"List the files here"']);
    expect(json.hits[0]!.thread).toMatchObject({
      id: '01a1fca2-290e-7023-a2aa-62c446d63b1d',
      name: 'IDE thread ✓',
    });
    expect(json.coverage.complete).toBe(true);
  });

  it('searches compressed rollouts (Codex 0.169.0, .jsonl.zst)', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const { json } = await search(home, ['"RUN: ls -la"']);
    expect(hitIds(json)).toEqual([LS_LA]);
    expect(json.hits[0]!.thread.rolloutPath.endsWith('.jsonl.zst')).toBe(true);
    const todo = await search(home, ['TODO', 'comments']);
    expect(hitIds(todo.json)).toContain('01a249b9-5f2b-71f1-a37d-01aa2bd12098');
  });

  it('exits 3 on a home that does not exist', async () => {
    const home = join(temp.make('parent'), 'missing');
    const { exitCode, stderr } = await runCli(['--home', home, 'search', 'x']);
    expect(exitCode).toBe(ExitCode.NotFound);
    expect(stderr).toBe(`agent-state: home ${home} not found\n`);
  });
});

describe('highlightedSnippet', () => {
  const colors = picocolors.createColors(true);

  it('marks each range, puts the snippet on one line and drops control characters', () => {
    const snippet = 'run ls\n  then\u001b[31m ls -la';
    const at = (word: string, from = 0) => snippet.indexOf(word, from);
    const highlights: Array<[number, number]> = [
      [at('ls'), at('ls') + 2],
      [at('ls', at('ls') + 1), at('ls', at('ls') + 1) + 2],
    ];
    expect(highlightedSnippet({ snippet, highlights }, picocolors.createColors(false))).toBe(
      'run ls then[31m ls -la',
    );
    expect(highlightedSnippet({ snippet, highlights }, colors)).toBe(
      `run ${colors.bold(colors.yellow('ls'))} then[31m ${colors.bold(colors.yellow('ls'))} -la`,
    );
  });
});

describe('renderSearchResults', () => {
  const colors = picocolors.createColors(false);
  const hit = (overrides: {
    name?: string | null;
    title?: string;
    cwd?: string;
  }): ThreadSearchHit => ({
    thread: {
      ...buildThreadMetadata(
        {
          id: LS_LA,
          rolloutPath: '/h/sessions/r.jsonl',
          createdAt: 1795239845,
          updatedAt: 1795239900,
          source: 'cli',
          cwd: overrides.cwd ?? '/home/ann/src/app',
        },
        { defaultProvider: 'openai' },
      ),
      title: overrides.title ?? 'a title',
      name: overrides.name ?? null,
      preview: 'a preview',
      sourceKind: 'cli',
    },
    score: 1,
    matches: 5,
    documents: [
      {
        kind: 'user_message',
        role: 'user',
        turnId: null,
        timeMs: 1795239900000,
        line: 7,
        ordinal: null,
        snippet: 'the word',
        highlights: [[4, 8]],
        score: 1,
      },
    ],
  });

  it('prefers the name, shows the home as ~ and says how many more messages matched', () => {
    const lines = renderSearchResults([hit({ name: 'My name' })], {
      totalThreads: 1,
      colors,
      userHome: '/home/ann',
    });
    expect(lines).toEqual([
      `My name  ${formatLocalTime(1795239900)}  ~/src/app  ${LS_LA}`,
      '    user      line 7     the word',
      '    … 4 more matches',
      '',
      '1 matching thread',
    ]);
  });

  it('cuts the header to the width on a terminal, the title at its end and the directory at its start', () => {
    const [header] = renderSearchResults(
      [hit({ title: `long ${'x'.repeat(200)}`, cwd: `/srv/${'deep/'.repeat(30)}repo` })],
      { totalThreads: 1, colors, width: 100 },
    );
    expect(displayWidth(header!)).toBeLessThanOrEqual(100);
    expect(header).toMatch(
      new RegExp(`^long x+…  ${formatLocalTime(1795239900)}  …[a-z/]*/repo  ${LS_LA}$`),
    );
    const [whole] = renderSearchResults([hit({ title: `long ${'x'.repeat(200)}` })], {
      totalThreads: 1,
      colors,
    });
    expect(whole).toContain('x'.repeat(200));
  });
});
