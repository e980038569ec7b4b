// Runs commands under the real bubblewrap with the arguments bwrapArgs generates and checks, from
// the host, what the sandbox let them do. Skipped only where bwrap is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  type SandboxPolicy,
  readOnlyPolicy,
  workspaceWritePolicy,
} from '../policy/sandbox-policy.js';
import { bwrapInvocation } from './bwrap-args.js';
import { findBwrap } from './find-bwrap.js';

const bwrap = findBwrap({ env: process.env });

const HOOK = '#!/bin/sh\necho original hook\n';
const CODEX_CONFIG = 'sandbox_mode = "read-only"\n';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  wrapped: boolean;
}

/** Runs a `/bin/sh -c` script under `policy`, the way the CLI's `sandbox exec` does. */
function run(policy: SandboxPolicy, cwd: string, script: string): Run {
  const invocation = bwrapInvocation({
    policy,
    cwd,
    command: ['/bin/sh', '-c', script],
    env: {},
    ...(bwrap === undefined ? {} : { bwrap }),
  });
  const result = spawnSync(invocation.executable, invocation.args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    wrapped: invocation.wrapped,
  };
}

/** Single-quotes a path for `sh`. */
function q(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A line `NAME` on stdout when `command` succeeds, `NAME-FAILED` when it fails. */
function attempt(name: string, command: string): string {
  return `if ${command}; then echo ${name}; else echo ${name}-FAILED; fi`;
}

/** The network interfaces the sandboxed command sees, from `/proc/net/dev`. */
const LIST_INTERFACES = `sed -n 's/^ *\\([^:]*\\):.*/IFACE=\\1/p' /proc/net/dev`;

function interfaces(stdout: string): string[] {
  return [...stdout.matchAll(/^IFACE=(.+)$/gm)].map((m) => m[1] ?? '');
}

function lines(stdout: string): string[] {
  return stdout.split('\n').filter(Boolean);
}

describe.skipIf(bwrap === undefined)('bubblewrap enforcement (real bwrap)', () => {
  const temp = tempDirs();
  let server: Server;
  let port = 0;
  const connections: Socket[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });
  afterEach(() => temp.cleanup());

  /** Connects to the test's TCP server on the host's 127.0.0.1 (bash's `/dev/tcp`). */
  const connect = () => attempt('CONNECT', `/bin/bash -c 'echo hi > /dev/tcp/127.0.0.1/${port}'`);

  /** Resolves once the host server has seen a connection (it accepts only after spawnSync). */
  async function connectionReached(): Promise<boolean> {
    for (let i = 0; i < 50 && connections.length === 0; i++) {
      await new Promise((done) => setTimeout(done, 20));
    }
    return connections.length > 0;
  }

  /** A repository with `.git/hooks/pre-commit` and `.codex/config.toml`. */
  function makeRepo(): string {
    const repo = temp.make('repo');
    mkdirSync(join(repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(repo, '.git', 'hooks', 'pre-commit'), HOOK);
    writeFileSync(join(repo, '.git', 'config'), '[core]\n');
    mkdirSync(join(repo, '.codex'));
    writeFileSync(join(repo, '.codex', 'config.toml'), CODEX_CONFIG);
    return repo;
  }

  it('read-only with full read: reads anywhere, writes nowhere, no network', () => {
    const cwd = temp.make('cwd');
    const outside = temp.make('outside');
    writeFileSync(join(outside, 'keep.txt'), 'kept\n');
    const script = [
      attempt('READ', `cat ${q(join(outside, 'keep.txt'))}`),
      attempt('WRITE-CWD', `echo x > ${q(join(cwd, 'new.txt'))}`),
      attempt('WRITE-OUTSIDE', `echo x > ${q(join(outside, 'new.txt'))}`),
      attempt('DEV-NULL', 'echo x > /dev/null'),
      attempt('URANDOM', 'head -c 4 /dev/urandom > /dev/null'),
      connect(),
      LIST_INTERFACES,
      'exit 7',
    ].join('\n');

    const result = run(readOnlyPolicy(), cwd, script);

    expect(result.wrapped).toBe(true);
    expect(result.status).toBe(7);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'kept',
        'READ',
        'WRITE-CWD-FAILED',
        'WRITE-OUTSIDE-FAILED',
        'DEV-NULL',
        'URANDOM',
        'CONNECT-FAILED',
      ]),
    );
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(cwd, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(interfaces(result.stdout)).toEqual(['lo']);
  });

  it('read-only with restricted read: only the platform defaults, the readable root and the cwd', () => {
    const cwd = temp.make('cwd');
    const readable = temp.make('readable');
    const secret = temp.make('secret');
    writeFileSync(join(readable, 'data.txt'), 'data\n');
    writeFileSync(join(secret, 'secret.txt'), 'secret\n');
    writeFileSync(join(cwd, 'here.txt'), 'here\n');
    const policy = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: true,
      readableRoots: [readable],
    });
    const script = [
      attempt('READ-ROOT', `cat ${q(join(readable, 'data.txt'))}`),
      attempt('READ-CWD', 'cat here.txt'),
      attempt('READ-SECRET', `cat ${q(join(secret, 'secret.txt'))}`),
      attempt('LIST-SECRET', `ls ${q(secret)}`),
      attempt('READ-PASSWD-OK', 'test -r /etc/passwd'),
      attempt('WRITE-ROOT', `echo x > ${q(join(readable, 'new.txt'))}`),
      attempt('WRITE-CWD', 'echo x > new.txt'),
      attempt('WRITE-SECRET', `echo x > ${q(join(secret, 'new.txt'))}`),
      attempt('WRITE-SLASH', 'echo x > /new.txt'),
      attempt('MKDIR-SLASH', 'mkdir /made'),
      attempt('DEV-NULL', 'echo x > /dev/null'),
      connect(),
      LIST_INTERFACES,
      'exit 3',
    ].join('\n');

    const result = run(policy, cwd, script);

    expect(result.status).toBe(3);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'data',
        'READ-ROOT',
        'here',
        'READ-CWD',
        'READ-SECRET-FAILED',
        'LIST-SECRET-FAILED',
        'READ-PASSWD-OK',
        'WRITE-ROOT-FAILED',
        'WRITE-CWD-FAILED',
        'WRITE-SECRET-FAILED',
        'WRITE-SLASH-FAILED',
        'MKDIR-SLASH-FAILED',
        'DEV-NULL',
        'CONNECT-FAILED',
      ]),
    );
    expect(result.stdout).not.toContain('secret\n');
    for (const dir of [readable, cwd, secret]) expect(existsSync(join(dir, 'new.txt'))).toBe(false);
    expect(interfaces(result.stdout)).toEqual(['lo']);
  });

  it('restricted read without the platform defaults cannot even start /bin/sh', () => {
    const cwd = temp.make('cwd');
    const policy = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: false,
      readableRoots: [],
    });

    const result = run(policy, cwd, 'exit 0');

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/\/bin\/sh/);
  });

  it('workspace-write: writes in the cwd only; .git and .codex stay read-only; no network', () => {
    const repo = makeRepo();
    const outside = temp.make('outside');
    const policy = workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true });
    const script = [
      attempt('WRITE-REPO', 'echo ok > allowed.txt'),
      attempt('MKDIR-REPO', 'mkdir -p src/deep && echo x > src/deep/file.txt'),
      attempt('WRITE-HOOK', 'echo evil > .git/hooks/pre-commit'),
      attempt('NEW-HOOK', 'echo evil > .git/hooks/post-checkout'),
      attempt('WRITE-GIT-CONFIG', 'echo evil >> .git/config'),
      attempt('WRITE-CODEX', 'echo evil > .codex/config.toml'),
      attempt('REMOVE-GIT', 'rm -rf .git'),
      attempt('RENAME-CODEX', 'mv .codex codex-moved'),
      attempt('WRITE-OUTSIDE', `echo x > ${q(join(outside, 'new.txt'))}`),
      attempt('WRITE-TMP', `echo x > /tmp/agent-state-bwrap-${process.pid}.txt`),
      connect(),
      LIST_INTERFACES,
      'exit 5',
    ].join('\n');

    const result = run(policy, repo, script);

    expect(result.status).toBe(5);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'WRITE-REPO',
        'MKDIR-REPO',
        'WRITE-HOOK-FAILED',
        'NEW-HOOK-FAILED',
        'WRITE-GIT-CONFIG-FAILED',
        'WRITE-CODEX-FAILED',
        'REMOVE-GIT-FAILED',
        'RENAME-CODEX-FAILED',
        'WRITE-OUTSIDE-FAILED',
        'WRITE-TMP-FAILED',
        'CONNECT-FAILED',
      ]),
    );
    expect(readFileSync(join(repo, 'allowed.txt'), 'utf8')).toBe('ok\n');
    expect(readFileSync(join(repo, 'src', 'deep', 'file.txt'), 'utf8')).toBe('x\n');
    expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe(HOOK);
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe('[core]\n');
    expect(existsSync(join(repo, '.git', 'hooks', 'post-checkout'))).toBe(false);
    expect(readFileSync(join(repo, '.codex', 'config.toml'), 'utf8')).toBe(CODEX_CONFIG);
    expect(existsSync(join(repo, 'codex-moved'))).toBe(false);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(`/tmp/agent-state-bwrap-${process.pid}.txt`)).toBe(false);
    expect(interfaces(result.stdout)).toEqual(['lo']);
  });

  it('workspace-write with a .git gitdir pointer file: the file and the git directory stay read-only', () => {
    const worktree = temp.make('worktree');
    const gitHome = temp.make('git-home');
    const gitdir = join(gitHome, 'repo.git');
    mkdirSync(join(gitdir, 'hooks'), { recursive: true });
    writeFileSync(join(gitdir, 'config'), '[core]\n');
    const pointer = `gitdir: ${gitdir}\n`;
    writeFileSync(join(worktree, '.git'), pointer);
    // The git directory lies in a second writable root: only the carve-out keeps it read-only.
    const policy = workspaceWritePolicy({
      writableRoots: [gitHome],
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    const script = [
      attempt('WRITE-WORKTREE', 'echo ok > allowed.txt'),
      attempt('WRITE-POINTER', 'echo "gitdir: /evil" > .git'),
      attempt('REMOVE-POINTER', 'rm -f .git'),
      attempt('WRITE-GITDIR-CONFIG', `echo evil >> ${q(join(gitdir, 'config'))}`),
      attempt('WRITE-GITDIR-HOOK', `echo evil > ${q(join(gitdir, 'hooks', 'pre-commit'))}`),
      attempt('WRITE-GIT-HOME', `echo ok > ${q(join(gitHome, 'free.txt'))}`),
      'exit 0',
    ].join('\n');

    const result = run(policy, worktree, script);

    expect(result.status).toBe(0);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'WRITE-WORKTREE',
        'WRITE-POINTER-FAILED',
        'REMOVE-POINTER-FAILED',
        'WRITE-GITDIR-CONFIG-FAILED',
        'WRITE-GITDIR-HOOK-FAILED',
        'WRITE-GIT-HOME',
      ]),
    );
    expect(readFileSync(join(worktree, '.git'), 'utf8')).toBe(pointer);
    expect(readFileSync(join(gitdir, 'config'), 'utf8')).toBe('[core]\n');
    expect(existsSync(join(gitdir, 'hooks', 'pre-commit'))).toBe(false);
    expect(readFileSync(join(gitHome, 'free.txt'), 'utf8')).toBe('ok\n');
    expect(readFileSync(join(worktree, 'allowed.txt'), 'utf8')).toBe('ok\n');
  });

  it('workspace-write with network access: reaches a server on the host, still confined on disk', async () => {
    const repo = makeRepo();
    const outside = temp.make('outside');
    const policy = workspaceWritePolicy({
      networkAccess: true,
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    connections.length = 0;
    const script = [
      connect(),
      attempt('WRITE-REPO', 'echo ok > allowed.txt'),
      attempt('WRITE-HOOK', 'echo evil > .git/hooks/pre-commit'),
      attempt('WRITE-OUTSIDE', `echo x > ${q(join(outside, 'new.txt'))}`),
      'exit 4',
    ].join('\n');

    const result = run(policy, repo, script);

    expect(result.status).toBe(4);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining([
        'CONNECT',
        'WRITE-REPO',
        'WRITE-HOOK-FAILED',
        'WRITE-OUTSIDE-FAILED',
      ]),
    );
    expect(await connectionReached()).toBe(true);
    expect(readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe(HOOK);
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
  });

  it('danger-full-access runs the command as is: writes anywhere, network, exit status', async () => {
    const cwd = temp.make('cwd');
    const outside = temp.make('outside');
    connections.length = 0;
    const script = [
      attempt('WRITE-OUTSIDE', `echo x > ${q(join(outside, 'new.txt'))}`),
      connect(),
      'exit 9',
    ].join('\n');

    const result = run({ type: 'danger-full-access' }, cwd, script);

    expect(result.wrapped).toBe(false);
    expect(result.status).toBe(9);
    expect(lines(result.stdout)).toEqual(expect.arrayContaining(['WRITE-OUTSIDE', 'CONNECT']));
    expect(readFileSync(join(outside, 'new.txt'), 'utf8')).toBe('x\n');
    expect(await connectionReached()).toBe(true);
  });

  it('external-sandbox with restricted network: full disk under bwrap, but no network', () => {
    const cwd = temp.make('cwd');
    const outside = temp.make('outside');
    const script = [
      attempt('WRITE-OUTSIDE', `echo x > ${q(join(outside, 'new.txt'))}`),
      attempt('DEV-NULL', 'echo x > /dev/null'),
      connect(),
      LIST_INTERFACES,
      'exit 0',
    ].join('\n');

    const result = run({ type: 'external-sandbox', networkAccess: 'restricted' }, cwd, script);

    expect(result.wrapped).toBe(true);
    expect(result.status).toBe(0);
    expect(lines(result.stdout)).toEqual(
      expect.arrayContaining(['WRITE-OUTSIDE', 'DEV-NULL', 'CONNECT-FAILED']),
    );
    expect(readFileSync(join(outside, 'new.txt'), 'utf8')).toBe('x\n');
    expect(interfaces(result.stdout)).toEqual(['lo']);
  });
});
