import { join } from 'node:path';

import type { ListedThread } from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import {
  backfilledHome,
  codexHome,
  codexThreadList,
  runCli,
  runCliJson,
} from '../../../cli-harness.js';
import { ExitCode } from '../../../exit-codes.js';

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
