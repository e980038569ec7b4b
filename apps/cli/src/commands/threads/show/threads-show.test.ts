import { join } from 'node:path';

import type { ListedThread } from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
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
import type { ThreadShowReport } from './threads-show.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const NAMED = '01a1fca2-290e-7023-a2aa-62c446d63b1d';
const UNKNOWN = '01a1fca2-290e-7023-a2aa-000000000000';
const codex = codexThreadList('v0.100.0');
const namedPath = codex.active.find((thread) => thread.id === NAMED)!.path;

describe('agent-state threads show', () => {
  it('prints every field, the name and the rollout as JSON', async () => {
    const home = await backfilledHome(temp);
    const { exitCode, stderr, json } = await runCliJson<ListedThread>([
      '--home',
      home,
      'threads',
      'show',
      NAMED,
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(json).toEqual({
      id: NAMED,
      rolloutPath: join(home, namedPath),
      createdAt: 1795239848,
      updatedAt: 1795239848,
      source: 'vscode',
      modelProvider: 'mock',
      cwd: '/home/user/projects/repo-a',
      cliVersion: '0.100.0',
      title: 'List the files here.\nRUN: ls',
      sandboxPolicy: expect.stringContaining('"type":"workspace-write"') as unknown,
      approvalMode: 'on-request',
      tokensUsed: expect.any(Number) as unknown,
      firstUserMessage: 'List the files here.\nRUN: ls',
      archivedAt: null,
      gitSha: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
      gitBranch: 'main',
      gitOriginUrl: 'https://example.invalid/acme/repo-a.git',
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      parentThreadId: null,
      forkedFromId: null,
      name: 'IDE thread ✓',
      preview: 'List the files here.\nRUN: ls',
      sourceKind: 'vscode',
      subAgents: [],
    });
  });

  it('finds a thread the store does not know yet (before any backfill)', async () => {
    const home = codexHome(temp);
    const { exitCode, stdout } = await runCli(['--home', home, 'threads', 'show', NAMED]);
    expect(exitCode).toBe(ExitCode.Ok);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`id              ${NAMED}`);
    expect(lines).toContain('name            IDE thread ✓');
    expect(lines).toContain('first message   List the files here.⏎RUN: ls');
    expect(lines).toContain('archived        no');
    expect(lines).toContain(`rollout         ${join(home, namedPath)}`);
    expect(stdout).not.toContain('\u001b[');
  });

  it('exits 3 on an unknown id and 2 on an id that is not a UUID', async () => {
    const home = await backfilledHome(temp);
    const unknown = await runCli(['--home', home, 'threads', 'show', UNKNOWN, '--json']);
    expect(unknown).toEqual({
      exitCode: ExitCode.NotFound,
      stdout: '',
      stderr: `agent-state: thread ${UNKNOWN} not found\n`,
    });
    const bad = await runCli(['--home', home, 'threads', 'show', 'not-an-id']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toBe('agent-state: invalid id: expected a UUID, got "not-an-id"\n');
  });
});

describe('agent-state threads show --at', () => {
  // "RUN: ls -la" of the v0.169.0 home: the prompt at line 9, a reasoning summary at 11, the tool
  // call at 12, another summary at 18, the answer at 20; 23 lines in all.
  const LS_LA = '01a1fca2-4fed-7240-b63a-7bbeef5ab15d';

  async function showAt(home: string, args: readonly string[], io = captureIo()) {
    return runCli(['--home', home, 'threads', 'show', LS_LA, ...args], io);
  }

  it('prints the conversation around a rollout line after the thread, the line marked', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const { exitCode, stdout, stderr } = await showAt(home, ['--at', '12', '--context', '1']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(stdout).not.toContain('\u001b[');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`id              ${LS_LA}`);
    const start = lines.indexOf('conversation around line 12');
    expect(start).toBeGreaterThan(0);
    expect(lines[start - 1]).toBe('');
    const time = formatLocalTime(1795239858.234, { seconds: true });
    expect(lines.slice(start + 1)).toEqual([
      `  line 11 · reasoning (reasoning) · ${time}`,
      '      **Planning a shell command**',
      `> line 12 · tool (tool_call) · ${time}`,
      '      ls -la',
      '      total 12',
      '      drwxr-xr-x 6 root root 4096 Nov 21 05:44 .',
      '      drwxr-xr-x 6 root root 4096 Nov 21 05:44 ..',
      '      dr-xr-xr-x 2 root root   40 Nov 21 05:44 .agents',
      '      dr-xr-xr-x 2 root root   40 Nov 21 05:44 .aws',
      '      dr-xr-xr-x 2 root root   40 Nov 21 05:44 .codex',
      '      dr-xr-xr-x 2 root root   40 Nov 21 05:44 .git',
      '      -rw-r--r-- 1 root root    6 Nov 21 05:44 notes.txt',
      `  line 18 · reasoning (reasoning) · ${formatLocalTime(1795239858.338, { seconds: true })}`,
      '      **Reviewing tool output**',
    ]);
  });

  it('shows 3 documents on each side by default, and the last one starting before the line', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const { stdout } = await showAt(home, ['--at', '15']);
    const headers = stdout.split('\n').filter((line) => /^[ >] line \d+ · /.test(line));
    expect(headers.map((line) => line.slice(0, 9))).toEqual([
      '  line 9 ',
      '  line 11',
      '> line 12',
      '  line 18',
      '  line 20',
    ]);
    // A line past the last message, still in the file: the last message is the match.
    const tail = await showAt(home, ['--at', '23', '--context', '0']);
    expect(tail.exitCode).toBe(ExitCode.Ok);
    expect(tail.stdout).toContain('> line 20 · agent (agent_message)');
  });

  it('adds the line, the documents and the match to the JSON document', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const { exitCode, json } = await runCliJson<ThreadShowReport>([
      '--home',
      home,
      'threads',
      'show',
      LS_LA,
      '--at',
      '9',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json).toMatchObject({ id: LS_LA, subAgents: [], at: 9, match: 0 });
    expect(json.documents?.map((doc) => [doc.line, doc.role, doc.kind])).toEqual([
      [9, 'user', 'user_message'],
      [11, 'reasoning', 'reasoning'],
      [12, 'tool', 'tool_call'],
      [18, 'reasoning', 'reasoning'],
    ]);
    expect(json.documents?.[0]).toEqual({
      kind: 'user_message',
      turnId: expect.any(String) as unknown,
      line: 9,
      ordinal: 8,
      timeMs: 1795239858208,
      text: 'RUN: ls -la',
      role: 'user',
    });
    const plain = await runCliJson<ThreadShowReport>([
      '--home',
      home,
      'threads',
      'show',
      LS_LA,
      '--json',
    ]);
    expect(plain.json).not.toHaveProperty('at');
    expect(plain.json).not.toHaveProperty('documents');
  });

  it('marks the line on a terminal, with no color under NO_COLOR', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const tty = await showAt(home, ['--at', '12'], captureIo({ tty: true }));
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await showAt(
      home,
      ['--at', '12'],
      captureIo({ tty: true, env: { NO_COLOR: '1' } }),
    );
    expect(noColor.stdout).not.toContain('\u001b[');
    expect(noColor.stdout).toContain('> line 12 · tool (tool_call)');
  });

  it('reads compressed rollouts (Codex 0.169.0, .jsonl.zst)', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const { exitCode, stdout } = await showAt(home, ['--at', '12', '--context', '0']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toMatch(/^rollout\s+\S+\.jsonl\.zst$/m);
    expect(stdout).toContain('> line 12 · tool (tool_call)');
    expect(stdout).toContain('      -rw-r--r-- 1 root root    6 Nov 21 05:44 notes.txt');
  });

  it('exits 2 on a line beyond the end of the rollout, naming --at and its length', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const { exitCode, stdout, stderr } = await showAt(home, ['--at', '24']);
    expect({ exitCode, stdout, stderr }).toEqual({
      exitCode: ExitCode.Usage,
      stdout: '',
      stderr:
        'agent-state: invalid --at: line 24 is beyond the end of the rollout (23 lines, its last message at line 20)\n',
    });
  });

  it.each([
    [['--at', '0'], "option '--at <line>' argument '0' is invalid. expected a positive integer."],
    [['--at', '1.5'], "option '--at <line>' argument '1.5' is invalid"],
    [['--at', '3', '--context', '-1'], "option '--context <k>' argument '-1' is invalid"],
    [['--context', '2'], "option '--context <k>' needs --at <line>"],
  ])('exits 2 on %j, naming the flag in one line', async (args, message) => {
    const home = codexHome(temp, 'v0.169.0');
    const { exitCode, stdout, stderr } = await showAt(home, args);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('(see `agent-state threads show --help`)');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
