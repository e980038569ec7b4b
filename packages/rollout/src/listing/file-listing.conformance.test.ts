import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import { codexFixtureDir, copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ThreadFileItem, listThreadFiles } from './file-listing.js';

/** A thread object of Codex 0.100.0's `thread/list` answer. */
interface CodexListedThread {
  id: string;
  preview: string;
  modelProvider: string;
  createdAt: number;
  updatedAt: number;
  path: string;
  cwd: string;
  cliVersion: string;
  source: string;
  gitInfo: { sha: string | null; branch: string | null; originUrl: string | null } | null;
  turns: unknown[];
}

interface CodexThreadList {
  request: { params: { sourceKinds: string[]; modelProviders: string[]; limit: number } };
  active: CodexListedThread[];
  archived: CodexListedThread[];
}

/** The ten `sourceKinds` of the request, as Codex spells them (our filter takes them as they are). */
const ALL_KINDS_AS_SOURCES = [
  'cli',
  'vscode',
  'exec',
  'appServer',
  'subAgent',
  'subAgentReview',
  'subAgentCompact',
  'subAgentThreadSpawn',
  'subAgentOther',
  'unknown',
];

const temp = tempDirs();
let home = '';
let expected: CodexThreadList;

beforeAll(() => {
  home = copyCodexHome('v0.100.0', temp.make('home'));
  expected = JSON.parse(
    readFileSync(join(codexFixtureDir('v0.100.0'), 'thread-list.files.json'), 'utf8'),
  ) as CodexThreadList;
});
afterAll(() => temp.cleanup());

/** Our item in the shape of Codex's thread object. */
function asCodexThread(item: ThreadFileItem): Omit<CodexListedThread, 'turns'> {
  const hasGit = item.gitSha !== null || item.gitBranch !== null || item.gitOriginUrl !== null;
  return {
    id: item.id,
    preview: item.preview,
    modelProvider: item.modelProvider,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    path: relative(home, item.path).split(sep).join('/'),
    cwd: item.cwd,
    cliVersion: item.cliVersion,
    source: item.source,
    gitInfo: hasGit
      ? { sha: item.gitSha, branch: item.gitBranch, originUrl: item.gitOriginUrl }
      : null,
  };
}

async function listAll(options: {
  archived: boolean;
  sources: string[];
  pageSize: number;
}): Promise<{ items: ThreadFileItem[]; pages: number }> {
  const items: ThreadFileItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listThreadFiles({
      home,
      pageSize: options.pageSize,
      cursor,
      sortKey: 'created',
      archived: options.archived,
      sources: options.sources,
      modelProviders: [],
      defaultProvider: 'openai',
    });
    items.push(...page.items);
    expect(page.reachedScanCap).toBe(false);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 100);
  return { items, pages };
}

describe('listThreadFiles on the v0.100.0 Codex home equals Codex 0.100.0’s own file listing', () => {
  it('was given the request the fixture records', () => {
    expect(expected.request.params.sourceKinds).toEqual(ALL_KINDS_AS_SOURCES);
    expect(expected.request.params.limit).toBe(50);
    expect(expected.active.length + expected.archived.length).toBe(12);
  });

  describe.each([
    ['all ten source kinds', ALL_KINDS_AS_SOURCES],
    ['no source filter', []],
  ])('%s', (_label, sources) => {
    it.each([
      ['active', false],
      ['archived', true],
    ] as const)('%s threads, in Codex’s order, with the same fields', async (key, archived) => {
      const { items } = await listAll({ archived, sources, pageSize: 50 });
      const want = expected[key].map(({ turns: _turns, ...thread }) => thread);
      expect(items.map(asCodexThread)).toEqual(want);
    });
  });

  it.each([1, 3, 4])('gives the same threads in pages of %i', async (pageSize) => {
    for (const [key, archived] of [
      ['active', false],
      ['archived', true],
    ] as const) {
      const { items, pages } = await listAll({ archived, sources: [], pageSize });
      expect(items.map((item) => item.id)).toEqual(expected[key].map((thread) => thread.id));
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected[key].length / pageSize));
    }
  });

  it('shows the image-only and the blank first message with an empty preview', async () => {
    const { items } = await listAll({ archived: false, sources: [], pageSize: 50 });
    const byId = new Map(items.map((item) => [item.id, item]));
    for (const id of [
      '01a1fca2-2a95-79c3-94ee-70fd2c2fcf25',
      '01a1fca2-2b6e-75b0-90fe-0d8bf5a365d4',
    ]) {
      expect(byId.get(id)).toMatchObject({ firstUserMessage: null, preview: '' });
    }
  });

  it('keeps the raw session_meta timestamp next to the seconds', async () => {
    const { items } = await listAll({ archived: false, sources: [], pageSize: 50 });
    const first = items.find((item) => item.id === '01a1fca2-1d67-7971-8727-3cd36fd8d76f');
    expect(first).toMatchObject({
      createdAtRaw: '2026-11-21T05:44:05.234Z',
      createdAt: 1795239845,
      updatedAt: 1795239847,
    });
  });
});
