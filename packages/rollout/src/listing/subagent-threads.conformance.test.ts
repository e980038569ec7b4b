import { copyFileSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import {
  type StateStore,
  type ThreadMetadata,
  appServerSource,
  openStateStore,
} from '@agent-state/state';
import {
  CODEX_SEED_COLUMNS,
  type CodexThreadRow,
  codexFixtureDir,
  copyCodexHome,
  loadExpectedThreads,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { runBackfill } from '../backfill/run-backfill.js';
import { plainRolloutPath } from '../paths/rollout-paths.js';
import { type ListThreadsOptions, type ListedThread, listThreads } from './list-threads.js';

// The lived-in 0.169.0 home: a sub-agent thread spawned by an IDE thread, and a fork by reference
// of a thread Codex materialized back to a plain rollout. Its other rollouts are `.jsonl.zst`:
// the checks below hold for every thread agent-state indexes or lists there, whichever they are,
// and name the four plain ones that must be among them.

const VERSION = 'v0.169.0-compressed';
const SUB_AGENT = '01a249b9-5f2b-71f1-a37d-01aa2bd12098';
const SPAWNER = '01a249b9-5eba-7de0-b66b-0557cb848718';
const FORK = '01a249b9-5d8c-7831-9016-775512eeb17e';
const FORKED = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';
const PLAIN = [SUB_AGENT, SPAWNER, FORK, FORKED];

/** The plain rollouts, relative to the home. */
const PLAIN_FILES = [
  'sessions/2026/12/06/rollout-2026-12-06T05-00-15-01a249b9-5f2b-71f1-a37d-01aa2bd12098.jsonl',
  'sessions/2026/12/06/rollout-2026-12-06T05-00-14-01a249b9-5eba-7de0-b66b-0557cb848718.jsonl',
  'sessions/2026/12/06/rollout-2026-12-06T05-00-14-01a249b9-5d8c-7831-9016-775512eeb17e.jsonl',
  'sessions/2026/11/21/rollout-2026-11-21T05-44-17-01a1fca2-4bd1-7ad3-bb16-62ea7a26679e.jsonl',
];

const SUB_AGENT_COLUMNS = ['thread_source', 'agent_nickname', 'agent_role'] as const;

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

/** A home with only the plain rollouts of the fixture (mtimes restored). */
function plainHome(): string {
  const home = temp.make('plain');
  const fixtureHome = join(codexFixtureDir(VERSION), 'home');
  for (const file of PLAIN_FILES) {
    mkdirSync(dirname(join(home, file)), { recursive: true });
    copyFileSync(join(fixtureHome, file), join(home, file));
  }
  copyFileSync(join(fixtureHome, 'session_index.jsonl'), join(home, 'session_index.jsonl'));
  const mtimes = JSON.parse(
    readFileSync(join(codexFixtureDir(VERSION), 'mtimes.json'), 'utf8'),
  ) as Record<string, { mtime_ms: number }>;
  for (const file of PLAIN_FILES) {
    const mtime = mtimes[file]!.mtime_ms / 1000;
    utimesSync(join(home, file), mtime, mtime);
  }
  return home;
}

async function backfilledStore(home: string): Promise<StateStore> {
  const store = await openStateStore({ home });
  stores.push(store);
  await runBackfill({ store, workers: 0 });
  return store;
}

async function all(options: Omit<ListThreadsOptions, 'cursor'>): Promise<ListedThread[]> {
  const items: ListedThread[] = [];
  let cursor: string | null = null;
  do {
    const page = await listThreads({ ...options, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Codex's row of a thread, for the columns our metadata determines. */
function asCodexRow(home: string, m: ThreadMetadata): Record<string, unknown> {
  return {
    id: m.id,
    rollout_path: relative(home, m.rolloutPath),
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    source: m.source,
    model_provider: m.modelProvider,
    cwd: m.cwd,
    title: m.title,
    sandbox_policy: m.sandboxPolicy,
    approval_mode: m.approvalMode,
    tokens_used: m.tokensUsed,
    archived: m.archivedAt === null ? 0 : 1,
    archived_at: m.archivedAt,
    git_sha: m.gitSha,
    git_branch: m.gitBranch,
    git_origin_url: m.gitOriginUrl,
    cli_version: m.cliVersion,
    first_user_message: m.firstUserMessage ?? '',
    thread_source: m.threadSource,
    agent_nickname: m.agentNickname,
    agent_role: m.agentRole,
  };
}

function pick(row: CodexThreadRow): Record<string, unknown> {
  return Object.fromEntries(
    [...CODEX_SEED_COLUMNS, ...SUB_AGENT_COLUMNS].map((column) => [column, row[column]]),
  );
}

/** One item of Codex's `thread/list` answer (0.169.0). */
interface CodexListItem {
  id: string;
  preview: string;
  source: unknown;
  modelProvider: string;
  cwd: string;
  createdAt: number;
  updatedAt: number;
  cliVersion: string;
  historyMode?: string;
  path: string;
  gitInfo: { sha: string | null; branch: string | null; originUrl: string | null } | null;
  name: string | null;
}

/** Our list item in the shape of Codex's (every field Codex reports that our items carry). */
function asCodexItem(home: string, t: ListedThread): Omit<CodexListItem, 'historyMode'> {
  const git = t.gitSha ?? t.gitBranch ?? t.gitOriginUrl;
  return {
    id: t.id,
    preview: t.preview,
    source: appServerSource(t.source),
    modelProvider: t.modelProvider,
    cwd: t.cwd,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    cliVersion: t.cliVersion,
    // Codex's thread/list names a compressed rollout by its plain path; its DB keeps the `.zst`.
    path: plainRolloutPath(relative(home, t.rolloutPath)),
    gitInfo:
      git === null ? null : { sha: t.gitSha, branch: t.gitBranch, originUrl: t.gitOriginUrl },
    name: t.name,
  };
}

/** Names in the home's session_index.jsonl that Codex's live thread/list showed (fixture README). */
const NAMED_IN_INDEX = new Map([['01a1fca2-5c8e-74b0-8fda-13bef72eecb4', 'IDE thread ✓']]);

function codexList(): { active: CodexListItem[]; archived: CodexListItem[] } {
  return JSON.parse(readFileSync(join(codexFixtureDir(VERSION), 'thread-list.json'), 'utf8')) as {
    active: CodexListItem[];
    archived: CodexListItem[];
  };
}

describe('a sub-agent thread and a fork by reference on the lived-in Codex 0.169.0 home', () => {
  it('backfills every thread it indexes to the row Codex’s own backfill stores, sub-agent columns included', async () => {
    const home = copyCodexHome(VERSION, temp.make('home'));
    const store = await backfilledStore(home);
    const expected = new Map(loadExpectedThreads(VERSION, 'backfill').map((r) => [r.id, r]));
    const rows = await store.threads.scan({ limit: 1000 });
    expect(rows.map((t) => t.id)).toEqual(expect.arrayContaining(PLAIN));
    for (const thread of rows) {
      const want = expected.get(thread.id);
      expect(want, thread.id).toBeDefined();
      expect(asCodexRow(home, thread)).toEqual(pick(want!));
    }
    expect(await store.threads.get(SUB_AGENT)).toMatchObject({
      threadSource: 'subagent',
      agentNickname: 'Peirce',
      agentRole: null,
      parentThreadId: SPAWNER,
      forkedFromId: null,
    });
    expect(await store.threads.get(FORK)).toMatchObject({
      forkedFromId: FORKED,
      parentThreadId: null,
    });
    expect((await store.threads.listSubAgents(SPAWNER)).map((t) => t.id)).toEqual([SUB_AGENT]);
  });

  it('lists what it lists exactly as Codex’s thread/list does: order, preview, source, fields', async () => {
    const home = copyCodexHome(VERSION, temp.make('home'));
    const store = await backfilledStore(home);
    const codex = codexList();
    for (const archived of [false, true]) {
      const ours = await all({ home, store, pageSize: 5, archived });
      if (!archived) expect(ours.map((t) => t.id)).toEqual(expect.arrayContaining(PLAIN));
      const ids = new Set(ours.map((t) => t.id));
      const want = (archived ? codex.archived : codex.active)
        .filter((item) => ids.has(item.id))
        .map(({ historyMode: _historyMode, ...item }) => ({
          ...item,
          // Codex's backfill never fills `name`; we read it from session_index.jsonl, as Codex's
          // live listing does.
          name: NAMED_IN_INDEX.get(item.id) ?? item.name,
        }));
      // Every thread Codex lists, compressed ones included.
      expect(ours.map((t) => t.id)).toEqual(
        (archived ? codex.archived : codex.active).map((item) => item.id),
      );
      expect(ours.map((t) => asCodexItem(home, t))).toEqual(want);
    }
    // Codex reports the sub-agent's source as `{"subAgent": {"thread_spawn": …}}`, literally.
    const subAgent = codex.active.find((item) => item.id === SUB_AGENT)!;
    expect(subAgent.source).toMatchObject({
      subAgent: { thread_spawn: { agent_nickname: 'Peirce' } },
    });
  });

  it('filters by source kind from the store and from the rollouts alike', async () => {
    const home = plainHome();
    const store = await backfilledStore(home);
    for (const from of [store, null]) {
      const ids = async (sources: string[]) =>
        (await all({ home, store: from, pageSize: 2, sources })).map((t) => t.id);
      expect(await ids(['subagent'])).toEqual([SUB_AGENT]);
      expect(await ids(['subAgentThreadSpawn'])).toEqual([SUB_AGENT]);
      expect(await ids(['subAgentReview', 'subAgentOther'])).toEqual([]);
      expect(await ids(['vscode'])).toEqual([SPAWNER, FORK]);
      expect(await ids(['exec', 'sub-agent'])).toEqual([SUB_AGENT, FORKED]);
      expect(await ids([])).toEqual([SUB_AGENT, SPAWNER, FORK, FORKED]);
      const [item] = await all({ home, store: from, pageSize: 5, sources: ['subAgent'] });
      expect(item).toMatchObject({
        sourceKind: 'subAgentThreadSpawn',
        threadSource: 'subagent',
        agentNickname: 'Peirce',
        agentRole: null,
        parentThreadId: SPAWNER,
        preview: 'list the TODO comments in this repository',
      });
      const fork = (await all({ home, store: from, pageSize: 5 })).find((t) => t.id === FORK);
      expect(fork).toMatchObject({ sourceKind: 'vscode', forkedFromId: FORKED });
    }
  });
});
