import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ListedThread } from '@agent-state/rollout';
import { buildThreadMetadata, stateDbPath } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import picocolors from 'picocolors';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../../capture-io.js';
import {
  backfilledHome,
  codexHome,
  codexThreadList,
  runCli,
  runCliJson,
} from '../../../cli-harness.js';
import { ExitCode } from '../../../exit-codes.js';
import { formatLocalTime } from '../../../format.js';
import { type ThreadsListReport, renderThreadTable } from './threads-list.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const codex = codexThreadList('v0.100.0');
const ids = (threads: ReadonlyArray<{ id: string }>) => threads.map((thread) => thread.id);

async function list(home: string, args: string[] = []) {
  return runCliJson<ThreadsListReport>(['--home', home, 'threads', 'list', '--json', ...args]);
}

describe('agent-state threads list --json', () => {
  it('lists the active threads in Codex’s own order once the backfill completed', async () => {
    const home = await backfilledHome(temp);
    const { exitCode, stderr, json } = await list(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(json.source).toBe('store');
    expect(json.nextCursor).toBeNull();
    expect(ids(json.items)).toEqual(ids(codex.active));
    expect(Object.keys(json)).toEqual(['items', 'nextCursor', 'source']);

    const named = json.items.find((thread) => thread.id === '01a1fca2-290e-7023-a2aa-62c446d63b1d');
    expect(named).toMatchObject({
      name: 'IDE thread ✓',
      preview: 'List the files here.\nRUN: ls',
      cwd: '/home/user/projects/repo-a',
      source: 'vscode',
      modelProvider: 'mock',
      gitBranch: 'main',
      archivedAt: null,
      rolloutPath: join(home, codex.active[1]!.path),
    });
  });

  it('lists the archived threads with --archived', async () => {
    const home = await backfilledHome(temp);
    const { json } = await list(home, ['--archived']);
    expect(ids(json.items)).toEqual(ids(codex.archived));
    expect(json.items.every((thread) => thread.archivedAt !== null)).toBe(true);
  });

  it('filters by --source, --provider and --cwd', async () => {
    const home = await backfilledHome(temp);
    const exec = await list(home, ['--source', 'exec']);
    expect(ids(exec.json.items)).toEqual(
      ids(codex.active.filter((thread) => thread.source === 'exec')),
    );
    const both = await list(home, ['--source', 'exec', '--source', 'vscode']);
    expect(ids(both.json.items)).toEqual(ids(codex.active));
    const repoA = await list(home, ['--cwd', '/home/user/projects/repo-a']);
    expect(ids(repoA.json.items)).toEqual(
      ids(codex.active.filter((thread) => thread.cwd === '/home/user/projects/repo-a')),
    );
    const provider = await list(home, ['--provider', 'openai']);
    expect(provider.json.items).toEqual([]);
  });

  it('pages with --limit and --cursor, and the pages add up to the whole list', async () => {
    const home = await backfilledHome(temp);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { exitCode, json }: { exitCode: number; json: ThreadsListReport } = await list(home, [
        '--limit',
        '2',
        ...(cursor === null ? [] : ['--cursor', cursor]),
      ]);
      expect(exitCode).toBe(ExitCode.Ok);
      expect(json.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(json.items));
      cursor = json.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(ids(codex.active));
    expect(pages).toBe(5);
  });

  it('sorts by update time with --sort updated', async () => {
    const home = await backfilledHome(temp);
    const { json } = await list(home, ['--sort', 'updated']);
    const updated = json.items.map((thread) => thread.updatedAt);
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
    expect(new Set(ids(json.items))).toEqual(new Set(ids(codex.active)));
  });

  it('lists from the rollouts before the backfill, as Codex does without a database', async () => {
    const home = codexHome(temp);
    const { exitCode, stdout, stderr, json } = await list(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout.trim().startsWith('{')).toBe(true);
    expect(json.source).toBe('files');
    expect(ids(json.items)).toEqual(ids(codexThreadList('v0.100.0', 'files').active));
    expect(stderr).toBe(
      'agent-state: the store is not indexed yet: listing the rollouts directly (run `agent-state backfill`)\n',
    );
  });

  it('lists from the rollouts when the store cannot be opened, and says so', async () => {
    const home = codexHome(temp);
    writeFileSync(stateDbPath(home), Buffer.alloc(4096, 'not a database '));
    const { exitCode, stderr, json } = await list(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json.source).toBe('files');
    expect(ids(json.items)).toEqual(ids(codexThreadList('v0.100.0', 'files').active));
    expect(stderr).toContain(
      `agent-state: cannot use the store (database ${stateDbPath(home)} is corrupt`,
    );
    expect(stderr).toContain('listing the rollouts directly');
  });

  it('drops a stored thread whose rollout is gone, and says so', async () => {
    const home = await backfilledHome(temp);
    rmSync(join(home, codex.active[0]!.path));
    const { json, stderr } = await list(home);
    expect(ids(json.items)).toEqual(ids(codex.active.slice(1)));
    expect(stderr).toContain('dropped 1 stale row(s)');
  });
});

describe('agent-state threads list (flags)', () => {
  it.each([
    [['--sort', 'name'], "option '--sort <key>' argument 'name' is invalid"],
    [['--limit', '0'], "option '--limit <n>' argument '0' is invalid"],
    [['--limit', 'ten'], "option '--limit <n>' argument 'ten' is invalid"],
    [['--limit', '2.5'], "option '--limit <n>' argument '2.5' is invalid"],
    [['--limit', '10001'], "option '--limit <n>' argument '10001' is invalid"],
    [['--cursor', 'nope'], "option '--cursor <cursor>' argument 'nope' is invalid"],
    [
      ['--cursor', 'yesterday|01a1fca2-290e-7023-a2aa-62c446d63b1d'],
      "option '--cursor <cursor>' argument 'yesterday|01a1fca2-290e-7023-a2aa-62c446d63b1d' is invalid",
    ],
  ])('exits 2 on %j, naming the flag in one line', async (args, message) => {
    const home = codexHome(temp);
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'threads', 'list', ...args]);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 3 on a home that does not exist, and creates nothing', async () => {
    const home = join(temp.make('parent'), 'missing');
    const { exitCode, stderr } = await runCli(['--home', home, 'threads', 'list']);
    expect(exitCode).toBe(ExitCode.NotFound);
    expect(stderr).toBe(`agent-state: home ${home} not found\n`);
    expect(existsSync(home)).toBe(false);
  });

  it('exits 2 with the help when `threads` is given no subcommand', async () => {
    const { exitCode, stderr } = await runCli(['threads']);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stderr).toContain('Usage: agent-state threads');
    expect(stderr).toContain('list [options]');
  });

  it('has help with examples', async () => {
    const { exitCode, stdout } = await runCli(['threads', 'list', '--help']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('--cursor');
  });
});

describe('agent-state threads list (text)', () => {
  it('prints a table, and the next page’s cursor on stderr, quoted for the shell', async () => {
    const home = await backfilledHome(temp);
    const { exitCode, stdout, stderr } = await runCli([
      '--home',
      home,
      'threads',
      'list',
      '--limit',
      '3',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^created\s+id\s+name or first message\s+cwd$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${formatLocalTime(1795239848)}  01a1fca2-2a95-79c3-94ee-70fd2c2fcf25  \\[Image\\]\\s+/home/user/projects/plain-c$`,
      ),
    );
    expect(lines[2]).toContain('IDE thread ✓');
    expect(stdout).not.toContain('\u001b[');
    expect(stderr).toBe(
      "next page: --cursor '2026-11-21T05:44:07Z|01a1fca2-27af-7a60-9946-c7f855b16184'\n",
    );
  });

  it('says so when there are no threads', async () => {
    const home = temp.make('empty');
    const { exitCode, stdout } = await runCli(['--home', home, 'threads', 'list', '--archived']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toBe('no archived threads\n');
  });

  it('uses colors on a terminal only', async () => {
    const home = await backfilledHome(temp);
    const tty = await runCli(['--home', home, 'threads', 'list'], captureIo({ tty: true }));
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await runCli(
      ['--home', home, 'threads', 'list'],
      captureIo({ tty: true, env: { NO_COLOR: '1' } }),
    );
    expect(noColor.stdout).not.toContain('\u001b[');
  });
});

describe('renderThreadTable', () => {
  const colors = picocolors.createColors(false);
  const thread = (overrides: Partial<ListedThread>): ListedThread => ({
    ...buildThreadMetadata(
      {
        id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
        rolloutPath: '/h/sessions/r.jsonl',
        createdAt: 1795239845,
        updatedAt: 1795239900,
        source: 'cli',
        cwd: '/home/ann/src/app',
      },
      { defaultProvider: 'openai' },
    ),
    name: null,
    preview: 'first line\nsecond line',
    sourceKind: 'cli',
    ...overrides,
  });

  it('shows newlines as ⏎, the home as ~, the time of the sort key, and fits the width', () => {
    const lines = renderThreadTable([thread({})], {
      colors,
      width: 120,
      sortKey: 'updated',
      userHome: '/home/ann',
    });
    expect(lines[0]).toMatch(/^updated\s+id/);
    expect(lines[1]).toBe(
      `${formatLocalTime(1795239900)}  01a1fca2-1d67-7971-8727-3cd36fd8d76f  first line⏎second line  ~/src/app`,
    );
  });

  it('prefers the name, strips control characters and cuts long text with …', () => {
    const long = 'x'.repeat(300);
    const [, named, cut] = renderThreadTable(
      [thread({ name: 'My \u001b[31mname' }), thread({ preview: long })],
      { colors, width: 120, sortKey: 'created' },
    );
    expect(named).toContain('My [31mname');
    expect(named).not.toContain('\u001b');
    expect(cut!.length).toBeLessThanOrEqual(120);
    expect(cut).toContain('x…');
  });

  it('leaves the directory out on a narrow terminal', () => {
    const lines = renderThreadTable([thread({})], { colors, width: 80, sortKey: 'created' });
    expect(lines[0]).not.toContain('cwd');
    expect(lines[1]).not.toContain('/home/ann');
    expect(lines.every((line) => line.length <= 80)).toBe(true);
  });
});
