import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ListedThread } from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { backfilledHome, codexThreadList, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import type { ThreadMoveReport } from './archive/threads-archive.js';
import type { ThreadsListReport } from './list/threads-list.js';
import type { ThreadShowReport } from './show/threads-show.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const NAMED = '01a1fca2-290e-7023-a2aa-62c446d63b1d';
const UNKNOWN = '01a1fca2-290e-7023-a2aa-000000000000';
const codex = codexThreadList('v0.100.0');
const namedPath = codex.active.find((thread) => thread.id === NAMED)!.path;

describe('sub-agent threads and forks (Codex 0.169.0’s lived-in home)', () => {
  const SUB_AGENT = '01a249b9-5f2b-71f1-a37d-01aa2bd12098';
  const SPAWNER = '01a249b9-5eba-7de0-b66b-0557cb848718';
  const FORK = '01a249b9-5d8c-7831-9016-775512eeb17e';
  const FORKED = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';

  it('threads show gives a sub-agent’s parent, nickname and role, and a parent its sub-agents', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const show = async (id: string) =>
      (await runCliJson<ThreadShowReport>(['--home', home, 'threads', 'show', id, '--json'])).json;
    expect(await show(SUB_AGENT)).toMatchObject({
      id: SUB_AGENT,
      source: expect.stringMatching(/^\{"subagent":\{"thread_spawn":/) as unknown,
      sourceKind: 'subAgentThreadSpawn',
      threadSource: 'subagent',
      parentThreadId: SPAWNER,
      agentNickname: 'Peirce',
      agentRole: null,
      subAgents: [],
    });
    expect((await show(SPAWNER)).subAgents).toEqual([
      {
        id: SUB_AGENT,
        agentNickname: 'Peirce',
        agentRole: null,
        preview: 'list the TODO comments in this repository',
        createdAt: 1796533215,
        archived: false,
      },
    ]);
    expect(await show(FORK)).toMatchObject({ forkedFromId: FORKED, parentThreadId: null });

    const parent = await runCli(['--home', home, 'threads', 'show', SPAWNER]);
    expect(parent.stdout).toContain('sub-agents      1');
    expect(parent.stdout).toContain(
      `                ${SUB_AGENT}  Peirce: list the TODO comments in this repository`,
    );
    const child = (await runCli(['--home', home, 'threads', 'show', SUB_AGENT])).stdout;
    expect(child).toContain(`parent thread   ${SPAWNER}`);
    expect(child).toContain('agent nickname  Peirce');
    expect(child).toContain('(subAgentThreadSpawn)');
    const fork = (await runCli(['--home', home, 'threads', 'show', FORK])).stdout;
    expect(fork).toContain(`forked from     ${FORKED}`);
    expect(fork).not.toContain('agent nickname');
  });

  it('threads list --source takes Codex’s source kinds and the spellings users type', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const list = async (...sources: string[]) => {
      const args = sources.flatMap((source) => ['--source', source]);
      const run = await runCliJson<ThreadsListReport>([
        '--home',
        home,
        'threads',
        'list',
        ...args,
        '--json',
      ]);
      expect(run.exitCode).toBe(ExitCode.Ok);
      return run.json.items;
    };
    for (const spelling of ['subagent', 'subAgent', 'sub-agent', 'SUBAGENT']) {
      expect((await list(spelling)).map((t) => t.id)).toEqual([SUB_AGENT]);
    }
    const [subAgent] = await list('subAgentThreadSpawn');
    expect(subAgent).toMatchObject({
      id: SUB_AGENT,
      sourceKind: 'subAgentThreadSpawn',
      parentThreadId: SPAWNER,
      agentNickname: 'Peirce',
      agentRole: null,
      threadSource: 'subagent',
    });
    expect(await list('subagent-review')).toEqual([]);
    expect((await list('vscode')).map((t) => t.id)).toEqual(
      expect.arrayContaining([SPAWNER, FORK]),
    );
    expect((await list('vscode')).find((t) => t.id === FORK)).toMatchObject({
      forkedFromId: FORKED,
    });

    const bad = await runCli(['--home', home, 'threads', 'list', '--source', 'robots']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('--source');
    expect(bad.stderr).toContain('subAgentThreadSpawn');
    expect(bad.stdout).toBe('');
  });
});

describe('agent-state threads archive / unarchive / rename', () => {
  it('round-trips a thread through archive, unarchive and rename', async () => {
    const home = await backfilledHome(temp);
    const active = join(home, namedPath);
    const archived = join(home, 'archived_sessions', namedPath.split('/').at(-1)!);

    const archive = await runCliJson<ThreadMoveReport>([
      '--home',
      home,
      'threads',
      'archive',
      NAMED,
      '--json',
    ]);
    expect(archive.exitCode).toBe(ExitCode.Ok);
    expect(archive.json).toEqual({ id: NAMED, from: active, to: archived });
    expect(existsSync(archived)).toBe(true);
    expect(existsSync(active)).toBe(false);
    const listed = await runCliJson<ThreadsListReport>([
      '--home',
      home,
      'threads',
      'list',
      '--archived',
      '--json',
    ]);
    expect(listed.json.items.map((thread) => thread.id)).toContain(NAMED);

    const again = await runCli(['--home', home, 'threads', 'archive', NAMED]);
    expect(again.exitCode).toBe(ExitCode.Failure);
    expect(again.stderr).toBe(`agent-state: thread ${NAMED} is already archived: ${archived}\n`);

    const unarchive = await runCli(['--home', home, 'threads', 'unarchive', NAMED]);
    expect(unarchive.exitCode).toBe(ExitCode.Ok);
    expect(unarchive.stdout).toBe(`unarchived ${NAMED}\n  now at ${active}\n`);
    expect(existsSync(active)).toBe(true);

    const notArchived = await runCli(['--home', home, 'threads', 'unarchive', NAMED]);
    expect(notArchived.exitCode).toBe(ExitCode.Failure);
    expect(notArchived.stderr).toContain('is not archived');

    const rename = await runCliJson<{ id: string; name: string }>([
      '--home',
      home,
      'threads',
      'rename',
      NAMED,
      '  Fix CI  ',
      '--json',
    ]);
    expect(rename.exitCode).toBe(ExitCode.Ok);
    expect(rename.json).toEqual({ id: NAMED, name: 'Fix CI' });
    const index = readFileSync(join(home, 'session_index.jsonl'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(index.at(-1)!)).toMatchObject({ id: NAMED, thread_name: 'Fix CI' });

    const shown = await runCliJson<ListedThread>([
      '--home',
      home,
      'threads',
      'show',
      NAMED,
      '--json',
    ]);
    expect(shown.json).toMatchObject({
      id: NAMED,
      name: 'Fix CI',
      archivedAt: null,
      rolloutPath: active,
    });
  });

  it('prints the new path and a confirmation in text', async () => {
    const home = await backfilledHome(temp);
    const archive = await runCli(['--home', home, 'threads', 'archive', NAMED]);
    expect(archive.stdout).toBe(
      `archived ${NAMED}\n  now at ${join(home, 'archived_sessions', namedPath.split('/').at(-1)!)}\n`,
    );
    const rename = await runCli(['--home', home, 'threads', 'rename', NAMED, 'Fix CI']);
    expect(rename.stdout).toBe(`renamed ${NAMED} to "Fix CI"\n`);
  });

  it.each([['archive'], ['unarchive'], ['rename']])(
    'exits 3 when %s is given an unknown id',
    async (command) => {
      const home = await backfilledHome(temp);
      const args = command === 'rename' ? [UNKNOWN, 'name'] : [UNKNOWN];
      const { exitCode, stdout, stderr } = await runCli([
        '--home',
        home,
        'threads',
        command,
        ...args,
      ]);
      expect(exitCode).toBe(ExitCode.NotFound);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^agent-state: .*not found\n$/);
    },
  );

  it('exits 2 on an empty name or a missing argument, and writes nothing', async () => {
    const home = await backfilledHome(temp);
    const before = readFileSync(join(home, 'session_index.jsonl'), 'utf8');
    const empty = await runCli(['--home', home, 'threads', 'rename', NAMED, '   ']);
    expect(empty.exitCode).toBe(ExitCode.Usage);
    expect(empty.stderr).toBe('agent-state: invalid name: cannot be empty\n');
    const missing = await runCli(['--home', home, 'threads', 'rename', NAMED]);
    expect(missing.exitCode).toBe(ExitCode.Usage);
    expect(missing.stderr).toContain("missing required argument 'name'");
    expect(readFileSync(join(home, 'session_index.jsonl'), 'utf8')).toBe(before);
  });
});
