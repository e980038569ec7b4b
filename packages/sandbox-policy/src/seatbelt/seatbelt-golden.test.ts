import {
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import type { SandboxPolicy } from '../policy/sandbox-policy.js';
import { readOnlyPolicy, workspaceWritePolicy } from '../policy/sandbox-policy.js';
import { type SeatbeltArgsOptions, seatbeltArgs } from './seatbelt-profile.js';

// Golden profiles, one per policy shape: `<name>.sbpl` holds the profile text (`args[1]`) and
// `<name>.args.json` the whole argument vector with the profile replaced by `<PROFILE>` and the
// test's temporary root by `<ROOT>`. Regenerate them with
//   UPDATE_GOLDEN=1 npx vitest run src/seatbelt
// and review the diff.

const GOLDEN_DIR = fileURLToPath(new URL('./__golden__/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const COMMAND = ['/bin/echo', 'hello'];

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A fresh temporary root with the given folders (ending in `/`) and files (`path: text`). */
function makeRoot(layout: Record<string, string> = {}): string {
  const root = temp.make('seatbelt');
  for (const [path, text] of Object.entries(layout)) {
    const full = join(root, path);
    if (path.endsWith('/')) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, text);
    }
  }
  return root;
}

/** Replaces the temporary root (canonical form first: on macOS it lives under /private/var). */
function placeholders(text: string, root: string): string {
  return text.replaceAll(realpathSync(root), '<ROOT>').replaceAll(root, '<ROOT>');
}

function compareGolden(name: string, options: SeatbeltArgsOptions, root: string): void {
  const args = seatbeltArgs(options);
  expect(args[0]).toBe('-p');
  const profile = placeholders(args[1] ?? '', root);
  const vector = ['-p', '<PROFILE>', ...args.slice(2).map((arg) => placeholders(arg, root))];
  const sbplFile = join(GOLDEN_DIR, `${name}.sbpl`);
  const argsFile = join(GOLDEN_DIR, `${name}.args.json`);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(sbplFile, profile);
    writeFileSync(argsFile, formatJsonArray(vector));
    return;
  }
  if (!existsSync(sbplFile) || !existsSync(argsFile)) {
    throw new Error(
      `golden ${name} is missing: run UPDATE_GOLDEN=1 npx vitest run src/seatbelt and review it`,
    );
  }
  expect(profile).toBe(readFileSync(sbplFile, 'utf8'));
  // Compared as parsed JSON: the formatter may rewrap the file, the values are what count.
  expect(vector).toEqual(JSON.parse(readFileSync(argsFile, 'utf8')));
}

/** A string array as the formatter (prettier, print width 100) writes it: one line if it fits. */
function formatJsonArray(values: string[]): string {
  const oneLine = `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
  return `${oneLine.length <= 100 ? oneLine : JSON.stringify(values, null, 2)}\n`;
}

/** Common options: the cache folder exists under the root so its canonical form is stable. */
function options(root: string, policy: SandboxPolicy, cwd: string): SeatbeltArgsOptions {
  mkdirSync(join(root, 'cache'), { recursive: true });
  return { policy, cwd, darwinUserCacheDir: join(root, 'cache'), command: COMMAND };
}

const restricted = (includePlatformDefaults: boolean, readableRoots: string[] = []) =>
  ({ type: 'restricted', includePlatformDefaults, readableRoots }) as const;

describe('Seatbelt golden profiles', () => {
  it('read-only, full read', () => {
    const root = makeRoot({ 'cwd/': '' });
    compareGolden('read-only-full-read', options(root, readOnlyPolicy(), join(root, 'cwd')), root);
  });

  it('read-only, restricted read with platform defaults', () => {
    const root = makeRoot({ 'cwd/': '', 'docs/': '' });
    const policy = readOnlyPolicy(restricted(true, [join(root, 'docs')]));
    compareGolden(
      'read-only-restricted-platform-defaults',
      options(root, policy, join(root, 'cwd')),
      root,
    );
  });

  it('read-only, restricted read without platform defaults', () => {
    const root = makeRoot({ 'cwd/': '', 'docs/': '' });
    const policy = readOnlyPolicy(restricted(false, [join(root, 'docs')]));
    compareGolden(
      'read-only-restricted-no-platform-defaults',
      options(root, policy, join(root, 'cwd')),
      root,
    );
  });

  it('workspace-write, a root with a .git folder and a .codex folder', () => {
    const root = makeRoot({
      'repo/.git/hooks/': '',
      'repo/.codex/config.toml': 'sandbox_mode = "read-only"\n',
      'extra/': '',
      'tmpdir/': '',
    });
    const policy = workspaceWritePolicy({
      writableRoots: [join(root, 'extra')],
      excludeSlashTmp: true,
    });
    compareGolden(
      'workspace-write-git-codex',
      { ...options(root, policy, join(root, 'repo')), env: { TMPDIR: join(root, 'tmpdir') } },
      root,
    );
  });

  it('workspace-write, a .git pointer file with a gitdir', () => {
    const root = makeRoot({
      'worktree/.git': 'gitdir: ../gitdirs/worktree\n',
      'gitdirs/worktree/config': '[core]\n',
    });
    const policy = workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true });
    compareGolden(
      'workspace-write-git-pointer',
      options(root, policy, join(root, 'worktree')),
      root,
    );
  });

  it('workspace-write, a repo nested in a writable root', () => {
    const root = makeRoot({
      'parent/repo/.git/hooks/': '',
      'parent/repo/.codex/config.toml': 'sandbox_mode = "read-only"\n',
    });
    const policy = workspaceWritePolicy({
      writableRoots: [join(root, 'parent')],
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    compareGolden(
      'workspace-write-nested-repo',
      options(root, policy, join(root, 'parent', 'repo')),
      root,
    );
  });

  it('workspace-write, a .git symlink', () => {
    const root = makeRoot({ 'repo/': '', 'realgit/hooks/': '' });
    symlinkSync('../realgit', join(root, 'repo', '.git'));
    const policy = workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true });
    compareGolden('workspace-write-git-symlink', options(root, policy, join(root, 'repo')), root);
  });

  it('workspace-write, restricted read', () => {
    const root = makeRoot({ 'cwd/': '', 'docs/': '', 'tmpdir/': '' });
    const policy = workspaceWritePolicy({
      readOnlyAccess: restricted(true, [join(root, 'docs')]),
      excludeSlashTmp: true,
    });
    compareGolden(
      'workspace-write-restricted-read',
      { ...options(root, policy, join(root, 'cwd')), env: { TMPDIR: join(root, 'tmpdir') } },
      root,
    );
  });

  it('workspace-write, network on', () => {
    const root = makeRoot({ 'cwd/': '' });
    const policy = workspaceWritePolicy({
      networkAccess: true,
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    compareGolden('workspace-write-network', options(root, policy, join(root, 'cwd')), root);
  });

  it('workspace-write, network through loopback proxies with local binding', () => {
    const root = makeRoot({ 'cwd/': '' });
    const policy = workspaceWritePolicy({
      networkAccess: true,
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    compareGolden(
      'workspace-write-proxy',
      {
        ...options(root, policy, join(root, 'cwd')),
        proxyPorts: [43128, 48081],
        allowLocalBinding: true,
      },
      root,
    );
  });

  it('external-sandbox', () => {
    const root = makeRoot({ 'cwd/': '' });
    const policy: SandboxPolicy = { type: 'external-sandbox', networkAccess: 'restricted' };
    compareGolden('external-sandbox', options(root, policy, join(root, 'cwd')), root);
  });

  it('danger-full-access', () => {
    const root = makeRoot({ 'cwd/': '' });
    const policy: SandboxPolicy = { type: 'danger-full-access' };
    compareGolden('danger-full-access', options(root, policy, join(root, 'cwd')), root);
  });
});
