import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { InvalidSandboxPolicyError, UnsupportedSandboxPolicyError } from '../errors.js';
import { readOnlyPolicy, workspaceWritePolicy } from '../policy/sandbox-policy.js';
import {
  BWRAP_EXECUTABLE,
  LINUX_PLATFORM_DEFAULT_READ_ROOTS,
  bwrapArgs,
  bwrapInvocation,
} from './bwrap-args.js';
import { findBwrap } from './find-bwrap.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const COMMAND = ['/bin/true', '--flag'];
const NO_TMP = { excludeSlashTmp: true, excludeTmpdirEnvVar: true } as const;

/** The index of the `--op a b` triple in `args`, or -1. */
function indexOfMount(args: string[], op: string, source: string, dest = source): number {
  return args.findIndex((arg, i) => arg === op && args[i + 1] === source && args[i + 2] === dest);
}

describe('bwrapArgs', () => {
  it('read-only with full read: a read-only root, a fresh /dev, no network', () => {
    const cwd = temp.make('cwd');
    expect(bwrapArgs({ policy: readOnlyPolicy(), cwd, command: COMMAND })).toEqual([
      '--new-session',
      '--die-with-parent',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--dev-bind',
      '/dev/null',
      '/dev/null',
      '--unshare-pid',
      '--unshare-net',
      '--proc',
      '/proc',
      '--chdir',
      cwd,
      '--',
      ...COMMAND,
    ]);
  });

  it('read-only with restricted read: an empty read-only root with the existing readable roots', () => {
    const cwd = temp.make('cwd');
    const readable = temp.make('readable');
    const missing = join(readable, 'missing');
    const policy = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: true,
      readableRoots: [readable, missing],
    });

    const args = bwrapArgs({ policy, cwd, command: COMMAND });

    expect(args.slice(0, 6)).toEqual([
      '--new-session',
      '--die-with-parent',
      '--tmpfs',
      '/',
      '--dev',
      '/dev',
    ]);
    const defaults = LINUX_PLATFORM_DEFAULT_READ_ROOTS.filter((root) => existsSync(root));
    expect(defaults).toContain('/usr');
    const mounts = [...defaults, readable, cwd].flatMap((root) => ['--ro-bind', root, root]);
    expect(args.slice(6, 6 + mounts.length)).toEqual(mounts);
    expect(args.slice(6 + mounts.length)).toEqual([
      '--dev-bind',
      '/dev/null',
      '/dev/null',
      '--unshare-pid',
      '--unshare-net',
      '--proc',
      '/proc',
      '--remount-ro',
      '/',
      '--chdir',
      cwd,
      '--',
      ...COMMAND,
    ]);
    expect(args).not.toContain(missing);
  });

  it('restricted read without the platform defaults mounts only the readable roots and the cwd', () => {
    const cwd = temp.make('cwd');
    const policy = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: false,
      readableRoots: [],
    });
    const args = bwrapArgs({ policy, cwd, command: COMMAND });
    expect(args.filter((arg) => arg === '--ro-bind')).toHaveLength(1);
    expect(indexOfMount(args, '--ro-bind', cwd)).toBeGreaterThan(-1);
    expect(args).not.toContain('/usr');
  });

  it('a readable root / falls back to full read', () => {
    const cwd = temp.make('cwd');
    const policy = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: true,
      readableRoots: ['/'],
    });
    expect(bwrapArgs({ policy, cwd, command: COMMAND })).toEqual(
      bwrapArgs({ policy: readOnlyPolicy(), cwd, command: COMMAND }),
    );
  });

  it('workspace-write: binds the writable roots, then re-mounts .codex and .git read-only', () => {
    const repo = temp.make('repo');
    mkdirSync(join(repo, '.git'));
    mkdirSync(join(repo, '.codex'));
    const extra = temp.make('extra');

    const args = bwrapArgs({
      policy: workspaceWritePolicy({ writableRoots: [extra], ...NO_TMP }),
      cwd: repo,
      command: COMMAND,
    });

    expect(args).toEqual([
      '--new-session',
      '--die-with-parent',
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--bind',
      extra,
      extra,
      '--bind',
      repo,
      repo,
      '--ro-bind',
      join(repo, '.codex'),
      join(repo, '.codex'),
      '--ro-bind',
      join(repo, '.git'),
      join(repo, '.git'),
      '--dev-bind',
      '/dev/null',
      '/dev/null',
      '--unshare-pid',
      '--unshare-net',
      '--proc',
      '/proc',
      '--chdir',
      repo,
      '--',
      ...COMMAND,
    ]);
  });

  it('workspace-write with a gitdir pointer: protects the git directory when it is writable', () => {
    const worktree = temp.make('worktree');
    const gitHome = temp.make('git-home');
    const gitdir = join(gitHome, 'repo.git');
    mkdirSync(gitdir);
    writeFileSync(join(worktree, '.git'), `gitdir: ${gitdir}\n`);

    const inside = bwrapArgs({
      policy: workspaceWritePolicy({ writableRoots: [gitHome], ...NO_TMP }),
      cwd: worktree,
      command: COMMAND,
    });
    expect(indexOfMount(inside, '--ro-bind', gitdir)).toBeGreaterThan(
      indexOfMount(inside, '--bind', gitHome),
    );
    expect(indexOfMount(inside, '--ro-bind', join(worktree, '.git'))).toBeGreaterThan(
      indexOfMount(inside, '--bind', worktree),
    );

    // Not under a writable root, the git directory is read-only already: no extra mount.
    const outside = bwrapArgs({
      policy: workspaceWritePolicy(NO_TMP),
      cwd: worktree,
      command: COMMAND,
    });
    expect(indexOfMount(outside, '--ro-bind', gitdir)).toBe(-1);
    expect(indexOfMount(outside, '--ro-bind', join(worktree, '.git'))).toBeGreaterThan(-1);
  });

  it('workspace-write with restricted read: read roots first, writable roots bound read-write once', () => {
    const repo = temp.make('repo');
    const readable = temp.make('readable');
    const policy = workspaceWritePolicy({
      readOnlyAccess: {
        type: 'restricted',
        includePlatformDefaults: false,
        readableRoots: [readable],
      },
      ...NO_TMP,
    });
    const args = bwrapArgs({ policy, cwd: repo, command: COMMAND });
    expect(args.slice(2, 12)).toEqual([
      '--tmpfs',
      '/',
      '--dev',
      '/dev',
      '--ro-bind',
      readable,
      readable,
      '--bind',
      repo,
      repo,
    ]);
    expect(indexOfMount(args, '--ro-bind', repo)).toBe(-1);
    expect(args).toContain('--remount-ro');
  });

  it('workspace-write binds /tmp and $TMPDIR unless excluded', () => {
    const repo = temp.make('repo');
    const tmpdir = temp.make('tmpdir');
    const args = bwrapArgs({
      policy: workspaceWritePolicy(),
      cwd: repo,
      command: COMMAND,
      env: { TMPDIR: tmpdir },
    });
    if (existsSync('/tmp')) expect(indexOfMount(args, '--bind', '/tmp')).toBeGreaterThan(-1);
    expect(indexOfMount(args, '--bind', tmpdir)).toBeGreaterThan(-1);
  });

  it('network access keeps the host network', () => {
    const repo = temp.make('repo');
    const args = bwrapArgs({
      policy: workspaceWritePolicy({ networkAccess: true, ...NO_TMP }),
      cwd: repo,
      command: COMMAND,
    });
    expect(args).not.toContain('--unshare-net');
    expect(args).toContain('--unshare-pid');
  });

  it('full write: the host file system and /dev, network per the policy', () => {
    const cwd = temp.make('cwd');
    const fs = ['--bind', '/', '/', '--dev-bind', '/dev', '/dev'];
    expect(bwrapArgs({ policy: { type: 'danger-full-access' }, cwd, command: COMMAND })).toEqual([
      '--new-session',
      '--die-with-parent',
      ...fs,
      '--unshare-pid',
      '--proc',
      '/proc',
      '--chdir',
      cwd,
      '--',
      ...COMMAND,
    ]);
    expect(
      bwrapArgs({
        policy: { type: 'external-sandbox', networkAccess: 'restricted' },
        cwd,
        command: COMMAND,
      }),
    ).toEqual([
      '--new-session',
      '--die-with-parent',
      ...fs,
      '--unshare-pid',
      '--unshare-net',
      '--proc',
      '/proc',
      '--chdir',
      cwd,
      '--',
      ...COMMAND,
    ]);
  });
});

describe('bwrapArgs fails closed', () => {
  it('refuses a writable root that does not exist', () => {
    const cwd = temp.make('cwd');
    const missing = join(cwd, 'no-such-root');
    const call = () =>
      bwrapArgs({
        policy: workspaceWritePolicy({ writableRoots: [missing], ...NO_TMP }),
        cwd,
        command: COMMAND,
      });
    expect(call).toThrow(UnsupportedSandboxPolicyError);
    expect(call).toThrow(
      `bwrap sandbox cannot enforce this policy: writable root ${missing} does not exist`,
    );
    try {
      call();
    } catch (error) {
      expect((error as UnsupportedSandboxPolicyError).backend).toBe('bwrap');
      expect((error as UnsupportedSandboxPolicyError).code).toBe('UNSUPPORTED_SANDBOX_POLICY');
    }
  });

  it('refuses a protected subpath reached through a symlink the command could replace', () => {
    // Mounting over `.codex` would follow the link: the link itself would stay replaceable.
    const repo = temp.make('repo');
    mkdirSync(join(repo, 'decoy'));
    symlinkSync('decoy', join(repo, '.codex'));
    expect(() =>
      bwrapArgs({ policy: workspaceWritePolicy(NO_TMP), cwd: repo, command: COMMAND }),
    ).toThrow(new RegExp(`read-only subpath ${join(repo, '.codex')} goes through the symlink`));
  });

  it('allows a symlinked protected subpath whose parent is not writable', () => {
    // The root itself is reached through a symlink in a read-only folder: nothing can swap it.
    const parent = temp.make('parent');
    const real = temp.make('real');
    mkdirSync(join(real, '.git'));
    const link = join(parent, 'repo');
    symlinkSync(real, link);
    const args = bwrapArgs({ policy: workspaceWritePolicy(NO_TMP), cwd: link, command: COMMAND });
    expect(indexOfMount(args, '--ro-bind', join(link, '.git'))).toBeGreaterThan(-1);
  });

  it('refuses a relative cwd and an empty command', () => {
    expect(() => bwrapArgs({ policy: readOnlyPolicy(), cwd: 'repo', command: COMMAND })).toThrow(
      InvalidSandboxPolicyError,
    );
    expect(() => bwrapArgs({ policy: readOnlyPolicy(), cwd: '/', command: [] })).toThrow(
      'invalid sandbox policy: command: must not be empty',
    );
    expect(() =>
      bwrapInvocation({ policy: { type: 'danger-full-access' }, cwd: '/', command: [] }),
    ).toThrow(InvalidSandboxPolicyError);
  });
});

describe('bwrapInvocation', () => {
  it('runs the command as is when the policy allows writing everywhere and the network', () => {
    for (const policy of [
      { type: 'danger-full-access' } as const,
      { type: 'external-sandbox', networkAccess: 'enabled' } as const,
    ]) {
      expect(bwrapInvocation({ policy, cwd: '/', command: ['git', 'status'] })).toEqual({
        executable: 'git',
        args: ['status'],
        wrapped: false,
      });
    }
  });

  it('wraps every other policy with bwrap (or the given executable)', () => {
    const cwd = temp.make('cwd');
    const options = { policy: readOnlyPolicy(), cwd, command: COMMAND };
    expect(bwrapInvocation(options)).toEqual({
      executable: BWRAP_EXECUTABLE,
      args: bwrapArgs(options),
      wrapped: true,
    });
    expect(bwrapInvocation({ ...options, bwrap: '/opt/bin/bwrap' }).executable).toBe(
      '/opt/bin/bwrap',
    );
    const external = bwrapInvocation({
      policy: { type: 'external-sandbox', networkAccess: 'restricted' },
      cwd,
      command: COMMAND,
    });
    expect(external.wrapped).toBe(true);
    expect(external.args).toContain('--unshare-net');
  });
});

describe('findBwrap', () => {
  it('finds an executable bwrap on PATH, skipping relative entries and non-executables', () => {
    const empty = temp.make('empty');
    const plain = temp.make('plain');
    writeFileSync(join(plain, 'bwrap'), '');
    chmodSync(join(plain, 'bwrap'), 0o644);
    const bin = temp.make('bin');
    writeFileSync(join(bin, 'bwrap'), '#!/bin/sh\n');
    chmodSync(join(bin, 'bwrap'), 0o755);

    expect(findBwrap({ env: { PATH: ['relative', empty, plain, bin].join(':') } })).toBe(
      join(bin, 'bwrap'),
    );
    expect(findBwrap({ env: { PATH: [empty, plain].join(':') } })).toBeUndefined();
    expect(findBwrap({ env: { PATH: '' } })).toBeUndefined();
  });
});
