import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidArgumentError } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { parseRolloutTimestamp } from '../extract/timestamps.js';
import {
  type ListThreadFilesOptions,
  type ThreadFileItem,
  type ThreadFilesPage,
  listThreadFiles,
} from './file-listing.js';
import { parseThreadCursor } from './thread-cursor.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** `Uuid::from_u128(n)`, as Codex tests name their threads. */
const u = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;
const INTERACTIVE = ['cli', 'vscode'];

interface SessionFile {
  /** File-name time `YYYY-MM-DDThh-mm-ss`, also the meta and line timestamps (as in Codex's tests). */
  ts: string;
  id: string;
  numRecords?: number;
  source?: unknown;
  modelProvider?: string;
  /** Unix seconds; default the file-name time. */
  mtime?: number;
  archived?: boolean;
  /** Lines written instead of the default session_meta + user_message. */
  lines?: unknown[];
  cwd?: string;
  /** Folder relative to the home, instead of `sessions/YYYY/MM/DD` or `archived_sessions`. */
  dir?: string;
}

/** Codex's `write_session_file_with_provider`: a session_meta, a user message, N junk records. */
function writeSessionFile(home: string, file: SessionFile): string {
  const [date = ''] = file.ts.split('T');
  const [year = '', month = '', day = ''] = date.split('-');
  const dir = join(
    home,
    file.dir ?? (file.archived ? 'archived_sessions' : join('sessions', year, month, day)),
  );
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rollout-${file.ts}-${file.id}.jsonl`);
  const payload: Record<string, unknown> = {
    id: file.id,
    timestamp: file.ts,
    cwd: file.cwd ?? '.',
    originator: 'test_originator',
    cli_version: 'test_version',
    base_instructions: null,
  };
  if (file.source !== undefined) payload.source = file.source;
  if (file.modelProvider !== undefined) payload.model_provider = file.modelProvider;
  const lines = file.lines ?? [
    { timestamp: file.ts, type: 'session_meta', payload },
    {
      timestamp: file.ts,
      type: 'event_msg',
      payload: { type: 'user_message', message: 'Hello from user', kind: 'plain' },
    },
  ];
  const records = Array.from({ length: file.numRecords ?? 0 }, (_, index) => ({
    record_type: 'response',
    index,
  }));
  writeFileSync(path, [...lines, ...records].map((line) => `${JSON.stringify(line)}\n`).join(''));
  const mtime = file.mtime ?? seconds(file.ts);
  utimesSync(path, mtime, mtime);
  return path;
}

function seconds(ts: string): number {
  const value = parseRolloutTimestamp(ts);
  if (value === undefined) throw new Error(`bad ts ${ts}`);
  return value;
}

function list(
  home: string,
  options: Partial<ListThreadFilesOptions> = {},
): Promise<ThreadFilesPage> {
  return listThreadFiles({
    home,
    pageSize: 10,
    sortKey: 'created',
    sources: INTERACTIVE,
    defaultProvider: 'test-provider',
    ...options,
  });
}

const ids = (page: ThreadFilesPage) => page.items.map((item) => item.id);

describe('listThreadFiles (Codex rollout/tests.rs)', () => {
  it('lists the latest first (test_list_conversations_latest_first)', async () => {
    const home = temp.make('home');
    const days = ['2025-01-01T12-00-00', '2025-01-02T12-00-00', '2025-01-03T12-00-00'];
    const paths = days.map((ts, i) =>
      writeSessionFile(home, {
        ts,
        id: u(i + 1),
        numRecords: 3,
        source: 'vscode',
        modelProvider: 'test-provider',
      }),
    );
    const page = await list(home);
    const expected = (i: number): ThreadFileItem => ({
      path: paths[i]!,
      id: u(i + 1),
      firstUserMessage: 'Hello from user',
      preview: 'Hello from user',
      cwd: '.',
      gitSha: null,
      gitBranch: null,
      gitOriginUrl: null,
      source: 'vscode',
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      parentThreadId: null,
      forkedFromId: null,
      modelProvider: 'test-provider',
      cliVersion: 'test_version',
      createdAtRaw: days[i]!,
      createdAt: seconds(days[i]!),
      updatedAt: seconds(days[i]!),
    });
    expect(page).toEqual({
      items: [expected(2), expected(1), expected(0)],
      nextCursor: null,
      nextAnchor: null,
      numScannedFiles: 3,
      reachedScanCap: false,
    });
  });

  it('pages with a cursor (test_pagination_cursor)', async () => {
    const home = temp.make('home');
    for (let day = 1; day <= 5; day += 1) {
      writeSessionFile(home, { ts: `2025-03-0${day}T09-00-00`, id: u(day), source: 'vscode' });
    }
    const page1 = await list(home, { pageSize: 2 });
    expect(ids(page1)).toEqual([u(5), u(4)]);
    expect(page1.nextCursor).toBe(`2025-03-04T09:00:00Z|${u(4)}`);
    expect(parseThreadCursor(page1.nextCursor!)).toEqual(
      parseThreadCursor(`2025-03-04T09-00-00|${u(4)}`),
    );
    expect(page1.nextAnchor).toEqual(parseThreadCursor(page1.nextCursor!));
    expect(page1.numScannedFiles).toBe(3); // the peeked third file counts

    const page2 = await list(home, { pageSize: 2, cursor: page1.nextCursor });
    expect(ids(page2)).toEqual([u(3), u(2)]);
    expect(parseThreadCursor(page2.nextCursor!)).toEqual(
      parseThreadCursor(`2025-03-02T09-00-00|${u(2)}`),
    );
    expect(page2.numScannedFiles).toBe(5);

    const page3 = await list(home, { pageSize: 2, cursor: page2.nextCursor });
    expect(ids(page3)).toEqual([u(1)]);
    expect(page3.nextCursor).toBeNull();
    expect(page3.numScannedFiles).toBe(5);
  });

  it('accepts the legacy file-name cursor form and cursors of a DB page', async () => {
    const home = temp.make('home');
    for (let day = 1; day <= 5; day += 1) {
      writeSessionFile(home, { ts: `2025-03-0${day}T09-00-00`, id: u(day), source: 'vscode' });
    }
    const legacy = await list(home, { pageSize: 2, cursor: `2025-03-04T09-00-00|${u(4)}` });
    expect(ids(legacy)).toEqual([u(3), u(2)]);
    const fromDb = await list(home, { pageSize: 2, cursor: `2025-03-04T09:00:00Z|${u(4)}` });
    expect(ids(fromDb)).toEqual([u(3), u(2)]);
  });

  it('orders same-second files by id and pages them stably (test_stable_ordering_same_second_pagination)', async () => {
    const home = temp.make('home');
    const ts = '2025-07-01T00-00-00';
    for (const n of [1, 2, 3]) writeSessionFile(home, { ts, id: u(n), source: 'vscode' });
    const page1 = await list(home, { pageSize: 2 });
    expect(ids(page1)).toEqual([u(3), u(2)]);
    expect(parseThreadCursor(page1.nextCursor!)).toEqual(parseThreadCursor(`${ts}|${u(2)}`));
    expect(page1.numScannedFiles).toBe(3);
    const page2 = await list(home, { pageSize: 2, cursor: page1.nextCursor });
    expect(ids(page2)).toEqual([u(1)]);
    expect(page2.nextCursor).toBeNull();
    expect(page2.numScannedFiles).toBe(3);
  });

  it('scans past the head for the user event (test_list_threads_scans_past_head_for_user_event)', async () => {
    const home = temp.make('home');
    const ts = '2025-01-01T12-00-00';
    const metas = Array.from({ length: 12 }, (_, i) => ({
      timestamp: ts,
      type: 'session_meta',
      payload: {
        id: i === 0 ? u(1) : u(100 + i),
        timestamp: ts,
        cwd: '.',
        originator: 'test_originator',
        cli_version: 'test_version',
        source: 'vscode',
        model_provider: 'test-provider',
      },
    }));
    const user = {
      timestamp: ts,
      type: 'event_msg',
      payload: { type: 'user_message', message: 'Hello from user', kind: 'plain' },
    };
    writeSessionFile(home, { ts, id: u(1), lines: [...metas, user] });
    const page = await list(home);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ id: u(1), firstUserMessage: 'Hello from user' });
  });

  it('filters by source (test_source_filter_excludes_non_matching_sessions)', async () => {
    const home = temp.make('home');
    writeSessionFile(home, { ts: '2025-08-02T10-00-00', id: u(1), source: 'cli' });
    writeSessionFile(home, { ts: '2025-08-01T10-00-00', id: u(2), source: 'exec' });
    const interactive = await list(home, { sources: INTERACTIVE });
    expect(ids(interactive)).toEqual([u(1)]);
    expect(interactive.items[0]!.source).toBe('cli');
    expect(ids(await list(home, { sources: [] }))).toEqual([u(1), u(2)]);
    expect(ids(await list(home, { sources: undefined }))).toEqual([u(1), u(2)]);
  });

  it('filters by Codex source kinds, the sub-agent family and its variants included', async () => {
    const home = temp.make('home');
    const parent = u(1);
    const sources: unknown[] = [
      'cli',
      'exec',
      'mcp',
      { subagent: 'review' },
      { subagent: 'compact' },
      {
        subagent: {
          thread_spawn: { parent_thread_id: parent, depth: 1, agent_nickname: 'Peirce' },
        },
      },
      { subagent: { other: 'guardian' } },
      'something-new',
      { custom: 'atlas' },
    ];
    sources.forEach((source, i) =>
      writeSessionFile(home, { ts: `2025-08-0${i + 1}T10-00-00`, id: u(10 + i), source }),
    );
    const kindIds = async (kinds: string[]) =>
      (await list(home, { sources: kinds })).items
        .map((item) => parseInt(item.id.slice(-12), 16) - 10)
        .reverse();
    expect(await kindIds(['appServer'])).toEqual([2]);
    expect(await kindIds(['subagent'])).toEqual([3, 4, 5, 6]);
    expect(await kindIds(['subAgentReview', 'sub-agent-compact'])).toEqual([3, 4]);
    expect(await kindIds(['subAgentThreadSpawn'])).toEqual([5]);
    expect(await kindIds(['subAgentOther'])).toEqual([6]);
    expect(await kindIds(['unknown'])).toEqual([7]);
    expect(await kindIds([])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const [spawned] = (await list(home, { sources: ['subAgentThreadSpawn'] })).items;
    expect(spawned).toMatchObject({
      source: `{"subagent":{"thread_spawn":{"parent_thread_id":"${parent}","depth":1,"agent_nickname":"Peirce"}}}`,
      parentThreadId: parent,
      agentNickname: null, // Codex takes the nickname from session_meta.agent_nickname only
    });
    await expect(list(home, { sources: ['subagents'] })).rejects.toMatchObject({
      argument: 'sources',
    });
    await expect(
      list(temp.make('empty'), { sources: ['{"subagent":"review"}'] }),
    ).rejects.toMatchObject({ argument: 'sources' });
  });

  it('counts a missing meta source as vscode, and needs a source when filtering', async () => {
    const home = temp.make('home');
    writeSessionFile(home, { ts: '2025-08-02T10-00-00', id: u(1) });
    const page = await list(home, { sources: ['vscode'] });
    expect(page.items.map((item) => item.source)).toEqual(['vscode']);
    expect(ids(await list(home, { sources: ['exec'] }))).toEqual([]);
  });

  it('filters by provider, matching the default provider for sessions without one (test_model_provider_filter_selects_only_matching_sessions)', async () => {
    const home = temp.make('home');
    writeSessionFile(home, {
      ts: '2025-09-01T12-00-00',
      id: u(1),
      source: 'vscode',
      modelProvider: 'openai',
    });
    writeSessionFile(home, {
      ts: '2025-09-01T11-00-00',
      id: u(2),
      source: 'vscode',
      modelProvider: 'beta',
    });
    writeSessionFile(home, { ts: '2025-09-01T10-00-00', id: u(3), source: 'vscode' });
    const withProviders = (modelProviders: string[] | undefined) =>
      list(home, { modelProviders, defaultProvider: 'openai' });

    const openai = await withProviders(['openai']);
    expect(ids(openai)).toEqual([u(1), u(3)]);
    expect(openai.items.map((item) => item.modelProvider)).toEqual(['openai', 'openai']);
    expect(ids(await withProviders(['beta']))).toEqual([u(2)]);
    expect(ids(await withProviders(['unknown']))).toEqual([]);
    expect(ids(await withProviders(undefined))).toHaveLength(3);
    expect(ids(await withProviders([]))).toHaveLength(3);
  });

  it('takes updatedAt from the mtime in created order (test_created_at_sort_uses_file_mtime_for_updated_at)', async () => {
    const home = temp.make('home');
    const ts = '2025-06-01T08-00-00';
    writeSessionFile(home, { ts, id: u(1), source: 'vscode', mtime: seconds(ts) + 2 * 3600 });
    const [item] = (await list(home)).items;
    expect(item).toMatchObject({
      createdAtRaw: ts,
      createdAt: seconds(ts),
      updatedAt: seconds(ts) + 7200,
    });
  });

  it('sorts by mtime in updated order (test_updated_at_uses_file_mtime)', async () => {
    const home = temp.make('home');
    const now = Math.floor(Date.now() / 1000);
    writeSessionFile(home, { ts: '2025-06-01T08-00-00', id: u(1), source: 'vscode', mtime: now });
    const [item] = (await list(home, { sortKey: 'updated' })).items;
    expect(Math.abs(item!.updatedAt - now)).toBeLessThanOrEqual(30);
  });

  it('pages by (mtime, id) in updated order', async () => {
    const home = temp.make('home');
    const base = seconds('2025-06-10T00-00-00');
    // Created order 1..4, modified in the order 3, 1, 4 = 2 (same second: id breaks the tie).
    writeSessionFile(home, {
      ts: '2025-06-01T00-00-00',
      id: u(1),
      source: 'vscode',
      mtime: base + 20,
    });
    writeSessionFile(home, {
      ts: '2025-06-02T00-00-00',
      id: u(2),
      source: 'vscode',
      mtime: base + 10,
    });
    writeSessionFile(home, {
      ts: '2025-06-03T00-00-00',
      id: u(3),
      source: 'vscode',
      mtime: base + 30,
    });
    writeSessionFile(home, {
      ts: '2025-06-04T00-00-00',
      id: u(4),
      source: 'vscode',
      mtime: base + 10,
    });
    const page1 = await list(home, { sortKey: 'updated', pageSize: 3 });
    expect(ids(page1)).toEqual([u(3), u(1), u(4)]);
    expect(page1.nextAnchor).toEqual({ ts: base + 10, id: u(4) });
    expect(page1.numScannedFiles).toBe(4); // every candidate is looked at to sort by mtime
    const page2 = await list(home, { sortKey: 'updated', pageSize: 3, cursor: page1.nextCursor });
    expect(ids(page2)).toEqual([u(2)]);
    expect(page2.items[0]!.updatedAt).toBe(base + 10);
    expect(page2.nextCursor).toBeNull();
  });
});

describe('listThreadFiles (filters, layouts and limits)', () => {
  it('hides rollouts without a session_meta or without a user message', async () => {
    const home = temp.make('home');
    const ts = '2025-05-01T10-00-00';
    const meta = {
      timestamp: ts,
      type: 'session_meta',
      payload: { id: u(1), timestamp: ts, cwd: '.', source: 'vscode' },
    };
    const user = {
      timestamp: ts,
      type: 'event_msg',
      payload: { type: 'user_message', message: 'hi' },
    };
    writeSessionFile(home, { ts, id: u(1), lines: [meta] });
    writeSessionFile(home, { ts, id: u(2), lines: [user] });
    writeSessionFile(home, { ts, id: u(3), lines: [] });
    const page = await list(home);
    expect(page.items).toEqual([]);
    expect(page.numScannedFiles).toBe(3);
    expect(page.nextCursor).toBeNull();
  });

  it('lists a thread whose first message is blank or images only, with an empty preview', async () => {
    const home = temp.make('home');
    const ts = '2025-05-01T10-00-00';
    const meta = (id: string) => ({
      timestamp: ts,
      type: 'session_meta',
      payload: { id, timestamp: ts, cwd: '.', source: 'vscode' },
    });
    const user = (message: string, localImages: string[]) => ({
      timestamp: ts,
      type: 'event_msg',
      payload: { type: 'user_message', message, images: [], local_images: localImages },
    });
    writeSessionFile(home, { ts, id: u(1), lines: [meta(u(1)), user('  ', [])] });
    writeSessionFile(home, {
      ts,
      id: u(2),
      lines: [meta(u(2)), user('', [join(tmpdir(), 'agent-state-test', 'a.png')])],
    });
    const page = await list(home);
    expect(page.items.map((i) => [i.id, i.firstUserMessage, i.preview])).toEqual([
      [u(2), null, ''],
      [u(1), null, ''],
    ]);
  });

  it('filters by exact cwd', async () => {
    const home = temp.make('home');
    writeSessionFile(home, { ts: '2025-05-02T10-00-00', id: u(1), source: 'vscode', cwd: '/a' });
    writeSessionFile(home, { ts: '2025-05-01T10-00-00', id: u(2), source: 'vscode', cwd: '/b' });
    expect(ids(await list(home, { cwds: ['/b'] }))).toEqual([u(2)]);
    expect(ids(await list(home, { cwds: ['/a', '/b'] }))).toEqual([u(1), u(2)]);
    expect(ids(await list(home, { cwds: ['/a/'] }))).toEqual([]);
    expect(ids(await list(home, { cwds: [] }))).toEqual([u(1), u(2)]);
  });

  it('walks year, month and day folders numerically, newest first, ignoring other entries', async () => {
    const home = temp.make('home');
    writeSessionFile(home, { ts: '2024-12-31T23-59-59', id: u(1), source: 'vscode' });
    writeSessionFile(home, { ts: '2025-02-09T00-00-00', id: u(2), source: 'vscode' });
    writeSessionFile(home, { ts: '2025-10-01T00-00-00', id: u(3), source: 'vscode' });
    writeSessionFile(home, { ts: '2025-10-10T00-00-00', id: u(4), source: 'vscode' });
    // Folders named without zero padding still count as numbers.
    writeSessionFile(home, {
      ts: '2025-09-07T00-00-00',
      id: u(5),
      source: 'vscode',
      dir: join('sessions', '2025', '9', '7'),
    });
    // Noise that is not counted: other names, folders that are not numbers, bad file names.
    mkdirSync(join(home, 'sessions', 'notes', '01', '01'), { recursive: true });
    writeFileSync(
      join(home, 'sessions', 'notes', '01', '01', `rollout-2030-01-01T00-00-00-${u(9)}.jsonl`),
      '',
    );
    writeFileSync(join(home, 'sessions', '2025', '10', '10', 'README.md'), 'x');
    writeFileSync(join(home, 'sessions', '2025', '10', '10', 'rollout-garbage.jsonl'), 'x');
    mkdirSync(
      join(home, 'sessions', '2025', '10', '10', `rollout-2025-10-10T00-00-00-${u(8)}.jsonl`),
    );
    writeFileSync(join(home, 'sessions', '99999'), 'a file, not a folder');
    const page = await list(home);
    expect(ids(page)).toEqual([u(4), u(3), u(5), u(2), u(1)]);
    expect(page.numScannedFiles).toBe(5);
  });

  it('lists archived threads from the flat archived_sessions folder', async () => {
    const home = temp.make('home');
    writeSessionFile(home, { ts: '2025-04-01T10-00-00', id: u(1), source: 'vscode' });
    writeSessionFile(home, {
      ts: '2025-04-02T10-00-00',
      id: u(2),
      source: 'vscode',
      archived: true,
      mtime: seconds('2025-04-05T00-00-00'),
    });
    writeSessionFile(home, {
      ts: '2025-04-03T10-00-00',
      id: u(3),
      source: 'vscode',
      archived: true,
      mtime: seconds('2025-04-04T00-00-00'),
    });
    writeSessionFile(home, {
      ts: '2025-04-04T10-00-00',
      id: u(4),
      source: 'vscode',
      archived: true,
    });
    // Nested folders under archived_sessions are not looked into.
    mkdirSync(join(home, 'archived_sessions', '2025', '04', '01'), { recursive: true });
    writeFileSync(
      join(
        home,
        'archived_sessions',
        '2025',
        '04',
        '01',
        `rollout-2025-04-01T00-00-00-${u(7)}.jsonl`,
      ),
      '',
    );

    const created = await list(home, { archived: true, pageSize: 2 });
    expect(ids(created)).toEqual([u(4), u(3)]);
    expect(created.numScannedFiles).toBe(3);
    const rest = await list(home, { archived: true, pageSize: 2, cursor: created.nextCursor });
    expect(ids(rest)).toEqual([u(2)]);
    expect(rest.nextCursor).toBeNull();

    const updated = await list(home, { archived: true, sortKey: 'updated' });
    // mtimes: u2 04-05T00, u4 04-04T10 (its file-name time), u3 04-04T00.
    expect(ids(updated)).toEqual([u(2), u(4), u(3)]);
    expect(ids(await list(home, { archived: false }))).toEqual([u(1)]);
  });

  it('stops at the scan cap and says so', async () => {
    const home = temp.make('home');
    for (let day = 1; day <= 5; day += 1) {
      writeSessionFile(home, { ts: `2025-03-0${day}T09-00-00`, id: u(day), source: 'vscode' });
    }
    const capped = await list(home, { maxScanFiles: 3 });
    expect(ids(capped)).toEqual([u(5), u(4), u(3)]);
    expect(capped.reachedScanCap).toBe(true);
    expect(capped.numScannedFiles).toBe(3);
    expect(parseThreadCursor(capped.nextCursor!)).toEqual({
      ts: seconds('2025-03-03T09-00-00'),
      id: u(3),
    });
    // As in Codex, skipped files count toward the cap: the next request stops at the same files.
    const next = await list(home, { maxScanFiles: 3, cursor: capped.nextCursor });
    expect(next).toMatchObject({ items: [], nextCursor: null, reachedScanCap: true });

    const full = await list(home, { maxScanFiles: 3, pageSize: 2 });
    expect(ids(full)).toEqual([u(5), u(4)]);
    expect(full.numScannedFiles).toBe(3);
    expect(full.reachedScanCap).toBe(true);
    expect(full.nextCursor).not.toBeNull();

    const flat = temp.make('home');
    for (let day = 1; day <= 5; day += 1) {
      writeSessionFile(flat, {
        ts: `2025-03-0${day}T09-00-00`,
        id: u(day),
        source: 'vscode',
        archived: true,
      });
    }
    const flatCapped = await list(flat, { archived: true, maxScanFiles: 3 });
    expect(flatCapped.items).toHaveLength(3);
    expect(flatCapped.numScannedFiles).toBe(3);
    expect(flatCapped.reachedScanCap).toBe(true);
    expect(flatCapped.nextCursor).not.toBeNull();
  });

  it('gives an empty page for a home without sessions', async () => {
    const home = temp.make('home');
    const empty = {
      items: [],
      nextCursor: null,
      nextAnchor: null,
      numScannedFiles: 0,
      reachedScanCap: false,
    };
    expect(await list(home)).toEqual(empty);
    expect(await list(home, { archived: true, sortKey: 'updated' })).toEqual(empty);
    expect(await list(join(home, 'missing'))).toEqual(empty);
  });

  it('rejects a malformed cursor, page size or scan cap', async () => {
    const home = temp.make('home');
    await expect(list(home, { cursor: 'yesterday|nope' })).rejects.toMatchObject({
      argument: 'cursor',
    });
    await expect(list(home, { pageSize: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(list(home, { pageSize: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(list(home, { maxScanFiles: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      list(home, { sortKey: 'title' as ListThreadFilesOptions['sortKey'] }),
    ).rejects.toMatchObject({ argument: 'sortKey' });
  });
});
