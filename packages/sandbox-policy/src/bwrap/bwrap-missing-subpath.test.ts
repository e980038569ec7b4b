// A read-only subpath that does not exist (yet): `/dev/null` is mounted on its first missing
// component so the command cannot create it. getWritableRoots lists only existing subpaths, so
// this file feeds bwrapArgs a writable root whose subpath has gone missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type * as PolicyRoots from '../policy/policy-roots.js';
import { getWritableRoots } from '../policy/policy-roots.js';
import { workspaceWritePolicy } from '../policy/sandbox-policy.js';
import { bwrapArgs } from './bwrap-args.js';
import { findBwrap } from './find-bwrap.js';

vi.mock('../policy/policy-roots.js', async (importOriginal) => {
  const actual = await importOriginal<typeof PolicyRoots>();
  return { ...actual, getWritableRoots: vi.fn(actual.getWritableRoots) };
});

const bwrap = findBwrap({ env: process.env });
const temp = tempDirs();
afterEach(() => temp.cleanup());

const policy = workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true });

/** A repo whose `.codex/profiles` is listed as read-only but `.codex` does not exist. */
function missingSubpath(): { repo: string; args: string[] } {
  const repo = temp.make('repo');
  vi.mocked(getWritableRoots).mockReturnValueOnce([
    { root: repo, readOnlySubpaths: [join(repo, '.codex', 'profiles')] },
  ]);
  return {
    repo,
    args: bwrapArgs({ policy, cwd: repo, command: ['/bin/sh', '-c', 'mkdir .codex'] }),
  };
}

describe('a missing read-only subpath', () => {
  it('gets /dev/null mounted on its first missing component', () => {
    const { repo, args } = missingSubpath();
    const bind = args.indexOf('--bind');
    const guard = args.findIndex(
      (arg, i) =>
        arg === '--ro-bind' && args[i + 1] === '/dev/null' && args[i + 2] === join(repo, '.codex'),
    );
    expect(bind).toBeGreaterThan(-1);
    expect(guard).toBeGreaterThan(bind);
  });

  it('is not mounted when it lies outside every writable root', () => {
    const repo = temp.make('repo');
    const elsewhere = temp.make('elsewhere');
    vi.mocked(getWritableRoots).mockReturnValueOnce([
      { root: repo, readOnlySubpaths: [join(elsewhere, 'missing', '.git')] },
    ]);
    const args = bwrapArgs({ policy, cwd: repo, command: ['true'] });
    expect(args.join(' ')).not.toContain(join(elsewhere, 'missing'));
  });

  it.skipIf(bwrap === undefined)('cannot be created inside the sandbox (real bwrap)', () => {
    const { repo, args } = missingSubpath();
    const result = spawnSync(bwrap ?? 'bwrap', args, { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/mkdir/);
    // bwrap leaves the empty mount-point file it bound /dev/null to; no folder was created.
    expect(existsSync(join(repo, '.codex'))).toBe(true);
    expect(statSync(join(repo, '.codex')).isDirectory()).toBe(false);
    expect(readFileSync(join(repo, '.codex'), 'utf8')).toBe('');
  });
});
