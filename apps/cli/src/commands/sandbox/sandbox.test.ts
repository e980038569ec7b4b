import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findBwrap } from '@agent-state/sandbox-policy';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { runCli } from '../../cli-harness.js';

const BIN = fileURLToPath(new URL('../../../dist/bin.js', import.meta.url));
const temp = tempDirs();
afterEach(() => temp.cleanup());

function agentState(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('sandbox show', () => {
  it('prints the policy in both wire forms and as text', async () => {
    const json = await runCli([
      'sandbox',
      'show',
      '--mode',
      'workspace-write',
      '--network',
      '--format',
      'json',
    ]);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      type: 'workspace-write',
      network_access: true,
      exclude_tmpdir_env_var: false,
      exclude_slash_tmp: false,
    });
    const short = await runCli([
      'sandbox',
      'show',
      '--mode',
      'workspace-write',
      '--network',
      '--json',
    ]);
    expect(short.stdout).toBe(json.stdout);
    const app = await runCli(['sandbox', 'show', '--format', 'app-server-json']);
    expect(JSON.parse(app.stdout)).toEqual({ type: 'readOnly', access: { type: 'fullAccess' } });
    const text = await runCli(['sandbox', 'show', '--mode', 'danger-full-access']);
    expect(text.stdout).toContain('danger-full-access: no sandbox');
  });

  it('prints the Seatbelt profile and the bubblewrap command line', async () => {
    const dir = temp.make('show');
    const seatbelt = await runCli([
      'sandbox',
      'show',
      '--cwd',
      dir,
      '--mode',
      'workspace-write',
      '--format',
      'seatbelt',
    ]);
    expect(seatbelt.stdout).toContain('(version 1)');
    expect(seatbelt.stdout).toContain('(deny default)');
    const bwrap = await runCli([
      'sandbox',
      'show',
      '--cwd',
      dir,
      '--read',
      'restricted',
      '--readable-root',
      dir,
      '--format',
      'bwrap',
      '--',
      'ls',
    ]);
    expect(bwrap.exitCode).toBe(0);
    expect(bwrap.stdout).toMatch(/^bwrap .*--tmpfs \/ .*--unshare-net .* -- ls\n$/);
  });

  it('rejects flags that mean nothing together, naming the flag (exit 2)', async () => {
    for (const [args, flag] of [
      [['--mode', 'open'], '--mode'],
      [['--read', 'some'], '--read'],
      [['--readable-root', '/x'], '--readable-root'],
      [['--no-platform-defaults'], '--no-platform-defaults'],
      [['--network'], '--network'],
      [['--writable-root', '/x'], '--writable-root'],
      [['--mode', 'danger-full-access', '--network'], '--network'],
      [['--format', 'yaml'], '--format'],
      [['--json', '--format', 'seatbelt'], '--json'],
    ] as const) {
      const run = await runCli(['sandbox', 'show', ...args]);
      expect(run.exitCode, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(flag);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe.skipIf(!findBwrap({ env: process.env }))('sandbox exec (real bubblewrap)', () => {
  it('confines the command and exits with its status', () => {
    const repo = temp.make('exec');
    mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
    // Not under /tmp: workspace-write grants /tmp (and $TMPDIR) on purpose.
    const outside = `/usr/agent-state-test-${process.pid}.txt`;
    const run = agentState(
      [
        'sandbox',
        'exec',
        '--mode',
        'workspace-write',
        '--',
        'sh',
        '-c',
        `echo ok > inside.txt; echo x > ${outside}; echo hook > .git/hooks/pre-commit; exit 7`,
      ],
      { cwd: repo },
    );
    expect(run.status).toBe(7);
    expect(readFileSync(join(repo, 'inside.txt'), 'utf8')).toBe('ok\n');
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  it('hides what a restricted read does not grant, and has no network', () => {
    const repo = temp.make('read');
    const secret = join(temp.make('secret'), 'key.txt');
    writeFileSync(secret, 'do not read');
    const run = agentState([
      'sandbox',
      'exec',
      '--read',
      'restricted',
      '--readable-root',
      repo,
      '--cwd',
      repo,
      '--',
      'sh',
      '-c',
      `cat ${secret}; tail -n +3 /proc/net/dev`,
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('do not read');
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((l) => l.trim().split(':')[0]),
    ).toEqual(['lo']);
  });

  it('answers as a shell does for a command it cannot run, a bad --cwd and a signal', () => {
    const dir = temp.make('cmd');
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, 'echo hi\n');
    const missing = agentState(['sandbox', 'exec', '--', 'no-such-command-xyz']);
    expect([missing.status, missing.stderr]).toEqual([
      127,
      'agent-state: no-such-command-xyz: command not found\n',
    ]);
    const denied = agentState(['sandbox', 'exec', '--cwd', dir, '--', './not-executable.sh']);
    expect([denied.status, denied.stderr]).toEqual([
      126,
      'agent-state: ./not-executable.sh: permission denied\n',
    ]);
    const badCwd = agentState(['sandbox', 'exec', '--cwd', join(dir, 'nope'), '--', 'true']);
    expect(badCwd.status).toBe(2);
    expect(badCwd.stderr).toMatch(/^agent-state: .*--cwd.*not a directory/);
    // SIGUSR1 is 10 on Linux: 128 + 10, as a shell reports it.
    const signalled = agentState(['sandbox', 'exec', '--', 'sh', '-c', 'kill -USR1 $$']);
    expect(signalled.status).toBe(138);
  });

  it('refuses with one clear line when the platform cannot enforce the policy (exit 1)', () => {
    const empty = temp.make('no-path');
    const run = agentState(['sandbox', 'exec', '--mode', 'read-only', '--', 'true'], {
      env: { PATH: empty },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^agent-state: .*bwrap/);
  });
});
