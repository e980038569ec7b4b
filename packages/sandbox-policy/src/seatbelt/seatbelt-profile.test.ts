import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { InvalidSandboxPolicyError } from '../errors.js';
import { isPathWithin } from '../policy/path-within.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';
import { readOnlyPolicy, workspaceWritePolicy } from '../policy/sandbox-policy.js';
import { SEATBELT_BASE_POLICY } from './base-policy.js';
import { SEATBELT_EXTENSIONS_POLICY } from './extensions-policy.js';
import { SEATBELT_NETWORK_POLICY, seatbeltNetworkSection } from './network-policy.js';
import { SEATBELT_PLATFORM_DEFAULTS } from './platform-defaults.js';
import {
  SEATBELT_EXECUTABLE,
  seatbeltArgs,
  seatbeltPolicyText,
  seatbeltProfile,
} from './seatbelt-profile.js';

// Ports of Codex's Seatbelt tests (codex-rs seatbelt.rs, February 2026), on the text and the
// argument vector only: sandbox-exec does not run here.

const temp = tempDirs();
afterEach(() => temp.cleanup());

const READ_ALL = '; allow read-only file operations\n(allow file-read*)';
const BLANKET_OUTBOUND = '\n(allow network-outbound)\n';
const networkOn = () =>
  workspaceWritePolicy({ networkAccess: true, excludeSlashTmp: true, excludeTmpdirEnvVar: true });

/** A temp folder holding a repo with `.git/hooks` and `.codex/config.toml`, as Codex's. */
function vulnerableRoot(parent: string): string {
  const root = join(parent, 'vulnerable_root');
  mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
  mkdirSync(join(root, '.codex'), { recursive: true });
  writeFileSync(join(root, '.codex', 'config.toml'), 'sandbox_mode = "read-only"\n');
  return root;
}

/**
 * Whether the write section of `args` (a `seatbeltArgs` vector) allows writing at `path`, a
 * canonical path, as Seatbelt decides it: some root's rule must allow it, a rule being its
 * `subpath` minus its `require-not` subpaths. Only the shapes `seatbeltWriteSection` writes.
 */
function allowsWrite(args: string[], path: string): boolean {
  const params = new Map(
    args.slice(2, args.indexOf('--')).map((arg) => {
      const match = /^-D([^=]+)=(.*)$/s.exec(arg);
      return [match?.[1] ?? '', match?.[2] ?? ''];
    }),
  );
  const section = /\n\(allow file-write\*\n(.*)\n\)\n/.exec(args[1] ?? '')?.[1] ?? '';
  return topLevelExpressions(section).some((rule) => {
    const [root = '', ...readOnly] = [...rule.matchAll(/\(param "([^"]+)"\)/g)].map(
      (match) => params.get(match[1] ?? '') ?? '',
    );
    return isPathWithin(path, root) && !readOnly.some((subpath) => isPathWithin(path, subpath));
  });
}

/** `(a (b)) (c)` → `['(a (b))', '(c)']`. */
function topLevelExpressions(text: string): string[] {
  const expressions: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(' && depth++ === 0) start = i;
    if (text[i] === ')' && --depth === 0) expressions.push(text.slice(start, i + 1));
  }
  return expressions;
}

describe('the base policy', () => {
  it('allows the sysctls Node reads for os.cpus()', () => {
    expect(SEATBELT_BASE_POLICY).toContain('(sysctl-name "machdep.cpu.brand_string")');
    expect(SEATBELT_BASE_POLICY).toContain('(sysctl-name "hw.model")');
  });

  it('denies by default and leaves preferences to the extensions section', () => {
    expect(SEATBELT_BASE_POLICY.startsWith('(version 1)\n')).toBe(true);
    expect(SEATBELT_BASE_POLICY).toContain('\n(deny default)\n');
    expect(SEATBELT_BASE_POLICY.endsWith('\n')).toBe(true);
    expect(SEATBELT_BASE_POLICY).not.toContain('user-preference-read');
    expect(SEATBELT_EXTENSIONS_POLICY).toContain('\n(allow user-preference-read)\n');
  });

  it('is balanced: every section has as many closing as opening parentheses', () => {
    for (const text of [
      SEATBELT_BASE_POLICY,
      SEATBELT_NETWORK_POLICY,
      SEATBELT_PLATFORM_DEFAULTS,
      SEATBELT_EXTENSIONS_POLICY,
    ]) {
      const code = text.replace(/;[^\n]*/g, '').replace(/#"[^"]*"|"[^"]*"/g, '');
      expect(code.split('(').length).toBe(code.split(')').length);
    }
  });
});

describe('the network section', () => {
  it('routes network through the proxy ports only', () => {
    const { policy } = seatbeltProfile({
      policy: networkOn(),
      cwd: '/w',
      proxyPorts: [43128, 48081],
    });
    expect(policy).toContain('(allow network-outbound (remote ip "localhost:43128"))');
    expect(policy).toContain('(allow network-outbound (remote ip "localhost:48081"))');
    expect(policy).not.toContain(BLANKET_OUTBOUND);
    expect(policy).not.toContain('(allow network-bind (local ip "localhost:*"))');
    expect(policy).not.toContain('(allow network-inbound (local ip "localhost:*"))');
    expect(policy).toContain(SEATBELT_NETWORK_POLICY);
  });

  it('allows local binding when explicitly enabled', () => {
    const { policy } = seatbeltProfile({
      policy: networkOn(),
      cwd: '/w',
      proxyPorts: [43128],
      allowLocalBinding: true,
    });
    expect(policy).toContain('(allow network-bind (local ip "localhost:*"))');
    expect(policy).toContain('(allow network-inbound (local ip "localhost:*"))');
    expect(policy).toContain('(allow network-outbound (remote ip "localhost:*"))');
    expect(policy).not.toContain(BLANKET_OUTBOUND);
  });

  it('fails closed when a proxy is configured without usable ports', () => {
    expect(seatbeltNetworkSection({ policy: networkOn(), proxyPorts: [] })).toBe('');
    const { policy } = seatbeltProfile({ policy: networkOn(), cwd: '/w', proxyPorts: [] });
    expect(policy).not.toContain(BLANKET_OUTBOUND);
    expect(policy).not.toContain('localhost:');
    expect(policy).not.toContain('network-outbound');
    expect(policy).not.toContain('system-socket');
  });

  it('keeps full network access proxy-only when proxy ports are given', () => {
    const section = seatbeltNetworkSection({
      policy: { type: 'danger-full-access' },
      proxyPorts: [3128],
    });
    expect(section).toContain('(allow network-outbound (remote ip "localhost:3128"))');
    expect(section).not.toContain('(allow network-outbound)\n');
    expect(section).not.toContain('(allow network-inbound)\n');
  });

  it('allows all traffic for full network access, none otherwise', () => {
    expect(seatbeltNetworkSection({ policy: networkOn() })).toBe(
      `(allow network-outbound)\n(allow network-inbound)\n${SEATBELT_NETWORK_POLICY}`,
    );
    const external: SandboxPolicy = { type: 'external-sandbox', networkAccess: 'enabled' };
    expect(seatbeltNetworkSection({ policy: external })).toContain(BLANKET_OUTBOUND.slice(1));
    expect(seatbeltNetworkSection({ policy: readOnlyPolicy() })).toBe('');
    expect(seatbeltNetworkSection({ policy: workspaceWritePolicy() })).toBe('');
    expect(
      seatbeltNetworkSection({ policy: { type: 'external-sandbox', networkAccess: 'restricted' } }),
    ).toBe('');
  });

  it('writes each proxy port once, in order, and refuses what is not a port', () => {
    const section = seatbeltNetworkSection({
      policy: readOnlyPolicy(),
      proxyPorts: [8080, 80, 8080],
    });
    expect(section.match(/localhost:\d+/g)).toEqual(['localhost:8080', 'localhost:80']);
    for (const port of [0, 65_536, 1.5, Number.NaN]) {
      expect(() =>
        seatbeltNetworkSection({ policy: readOnlyPolicy(), proxyPorts: [80, port] }),
      ).toThrow(InvalidSandboxPolicyError);
    }
    expect(() => seatbeltNetworkSection({ policy: readOnlyPolicy(), proxyPorts: [-1] })).toThrow(
      /proxyPorts\[0\]: must be an integer from 1 to 65535, got -1/,
    );
  });
});

describe('seatbeltArgs', () => {
  it('protects .git and .codex under a writable root, exactly as Codex', () => {
    const parent = temp.make('seatbelt');
    const vulnerable = vulnerableRoot(parent);
    const empty = join(parent, 'empty_root');
    const cwd = join(parent, 'cwd');
    mkdirSync(empty);
    mkdirSync(cwd);
    const policy = workspaceWritePolicy({
      writableRoots: [vulnerable, empty],
      excludeSlashTmp: true,
      excludeTmpdirEnvVar: true,
    });
    const args = seatbeltArgs({
      policy,
      cwd,
      darwinUserCacheDir: parent,
      command: ['/bin/bash', '-c', 'echo "sandbox_mode = \\"danger-full-access\\"" > x'],
    });

    const expectedPolicy = `${SEATBELT_BASE_POLICY}
; allow read-only file operations
(allow file-read*)
(allow file-write*
(require-all (subpath (param "WRITABLE_ROOT_0")) (require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_0_RO_1"))) ) (subpath (param "WRITABLE_ROOT_1")) (subpath (param "WRITABLE_ROOT_2"))
)

${SEATBELT_EXTENSIONS_POLICY}`;
    const real = realpathSync(vulnerable);
    expect(args).toEqual([
      '-p',
      expectedPolicy,
      `-DWRITABLE_ROOT_0=${real}`,
      `-DWRITABLE_ROOT_0_RO_0=${join(real, '.git')}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(real, '.codex')}`,
      `-DWRITABLE_ROOT_1=${realpathSync(empty)}`,
      `-DWRITABLE_ROOT_2=${realpathSync(cwd)}`,
      `-DDARWIN_USER_CACHE_DIR=${realpathSync(parent)}`,
      '--',
      '/bin/bash',
      '-c',
      'echo "sandbox_mode = \\"danger-full-access\\"" > x',
    ]);
  });

  it('protects a .git pointer file and the gitdir it names (listed first)', () => {
    const parent = temp.make('seatbelt');
    const worktree = join(parent, 'worktree_root');
    const gitdir = join(parent, 'actual_gitdir');
    mkdirSync(worktree);
    mkdirSync(gitdir);
    writeFileSync(join(gitdir, 'config'), '[core]\n');
    writeFileSync(join(worktree, '.git'), `gitdir: ${gitdir}\n`);
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true }),
      cwd: worktree,
      command: ['/bin/true'],
    });
    expect(args[1]).toContain(
      '(require-all (subpath (param "WRITABLE_ROOT_0")) (require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_0_RO_1"))) )',
    );
    expect(args.slice(2)).toEqual([
      `-DWRITABLE_ROOT_0=${realpathSync(worktree)}`,
      `-DWRITABLE_ROOT_0_RO_0=${realpathSync(gitdir)}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(realpathSync(worktree), '.git')}`,
      '--',
      '/bin/true',
    ]);
  });

  it('makes the cwd, /tmp and $TMPDIR writable by default, canonicalized', () => {
    const parent = temp.make('seatbelt');
    const cwd = vulnerableRoot(parent);
    const tmpdir = join(parent, 'tmpdir');
    mkdirSync(tmpdir);
    // What macOS does to /tmp, on any platform.
    const canonicalize = (p: string) => (p === '/tmp' ? '/private/tmp' : realpathSync(p));
    const args = seatbeltArgs({
      policy: workspaceWritePolicy(),
      cwd,
      env: { TMPDIR: tmpdir },
      canonicalize,
      command: ['/bin/true'],
    });
    // Where temporary folders live under /tmp (Linux), the cwd's .git and .codex are excluded
    // from /tmp as well: see 'excludes a nested repo's .git and .codex from a writable parent'.
    const real = realpathSync(cwd);
    const underTmp = isPathWithin(real, realpathSync('/tmp'));
    const tmpRoot = underTmp
      ? '(require-all (subpath (param "WRITABLE_ROOT_1")) (require-not (subpath (param "WRITABLE_ROOT_1_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_1_RO_1"))) )'
      : '(subpath (param "WRITABLE_ROOT_1"))';
    expect(args[1]).toContain(
      `(allow file-write*\n(require-all (subpath (param "WRITABLE_ROOT_0")) (require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_0_RO_1"))) ) ${tmpRoot} (subpath (param "WRITABLE_ROOT_2"))\n)`,
    );
    expect(args.slice(2)).toEqual([
      `-DWRITABLE_ROOT_0=${real}`,
      `-DWRITABLE_ROOT_0_RO_0=${join(real, '.git')}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(real, '.codex')}`,
      '-DWRITABLE_ROOT_1=/private/tmp',
      ...(underTmp
        ? [
            `-DWRITABLE_ROOT_1_RO_0=${join(real, '.git')}`,
            `-DWRITABLE_ROOT_1_RO_1=${join(real, '.codex')}`,
          ]
        : []),
      `-DWRITABLE_ROOT_2=${realpathSync(tmpdir)}`,
      '--',
      '/bin/true',
    ]);
  });

  it('resolves symlinked roots and keeps paths that do not exist as given', () => {
    const parent = temp.make('seatbelt');
    mkdirSync(join(parent, 'target'));
    symlinkSync(join(parent, 'target'), join(parent, 'link'));
    const missing = join(parent, 'missing');
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({
        writableRoots: [join(parent, 'link'), missing],
        excludeSlashTmp: true,
        excludeTmpdirEnvVar: true,
      }),
      cwd: join(parent, 'link'),
      darwinUserCacheDir: join(parent, 'no-cache'),
      command: ['/bin/true'],
    });
    expect(args.slice(2)).toEqual([
      `-DWRITABLE_ROOT_0=${realpathSync(join(parent, 'target'))}`,
      `-DWRITABLE_ROOT_1=${missing}`,
      `-DDARWIN_USER_CACHE_DIR=${join(parent, 'no-cache')}`,
      '--',
      '/bin/true',
    ]);
  });

  it('scopes reads to the readable roots, the cwd and the writable roots, in that order', () => {
    const id = (p: string) => p;
    const { policy, params } = seatbeltProfile({
      policy: workspaceWritePolicy({
        readOnlyAccess: {
          type: 'restricted',
          includePlatformDefaults: false,
          readableRoots: ['/docs', '/w'],
        },
        writableRoots: ['/out'],
        excludeSlashTmp: true,
      }),
      cwd: '/w',
      env: { TMPDIR: '/scratch' },
      canonicalize: id,
    });
    expect(policy).toContain(
      '; allow read-only file operations\n(allow file-read*\n(subpath (param "READABLE_ROOT_0")) (subpath (param "READABLE_ROOT_1")) (subpath (param "READABLE_ROOT_2")) (subpath (param "READABLE_ROOT_3"))\n)\n',
    );
    expect(params).toEqual([
      { key: 'READABLE_ROOT_0', value: '/docs' },
      { key: 'READABLE_ROOT_1', value: '/w' },
      { key: 'READABLE_ROOT_2', value: '/out' },
      { key: 'READABLE_ROOT_3', value: '/scratch' },
      { key: 'WRITABLE_ROOT_0', value: '/out' },
      { key: 'WRITABLE_ROOT_1', value: '/w' },
      { key: 'WRITABLE_ROOT_2', value: '/scratch' },
    ]);
  });

  it('lays the sections out as base, read, write, network, platform defaults, extensions', () => {
    const id = (p: string) => p;
    const restrictedRead = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: true,
      readableRoots: [],
    });
    const read =
      '; allow read-only file operations\n(allow file-read*\n(subpath (param "READABLE_ROOT_0"))\n)';
    expect(seatbeltProfile({ policy: restrictedRead, cwd: '/w', canonicalize: id }).policy).toBe(
      [
        SEATBELT_BASE_POLICY,
        read,
        '',
        '',
        SEATBELT_PLATFORM_DEFAULTS,
        SEATBELT_EXTENSIONS_POLICY,
      ].join('\n'),
    );
    const withoutDefaults = readOnlyPolicy({
      type: 'restricted',
      includePlatformDefaults: false,
      readableRoots: [],
    });
    expect(seatbeltProfile({ policy: withoutDefaults, cwd: '/w', canonicalize: id }).policy).toBe(
      [SEATBELT_BASE_POLICY, read, '', '', SEATBELT_EXTENSIONS_POLICY].join('\n'),
    );
    expect(seatbeltProfile({ policy: { type: 'danger-full-access' }, cwd: '/w' }).policy).toBe(
      [
        SEATBELT_BASE_POLICY,
        READ_ALL,
        '(allow file-write* (regex #"^/"))',
        `(allow network-outbound)\n(allow network-inbound)\n${SEATBELT_NETWORK_POLICY}`,
        SEATBELT_EXTENSIONS_POLICY,
      ].join('\n'),
    );
  });

  it('defines every parameter the profile reads, and passes no path inside the text', () => {
    const id = (p: string) => p;
    const policies: SandboxPolicy[] = [
      readOnlyPolicy(),
      readOnlyPolicy({
        type: 'restricted',
        includePlatformDefaults: true,
        readableRoots: ['/docs'],
      }),
      workspaceWritePolicy({ writableRoots: ['/out'], networkAccess: true }),
      { type: 'external-sandbox', networkAccess: 'enabled' },
      { type: 'danger-full-access' },
    ];
    for (const policy of policies) {
      const args = seatbeltArgs({
        policy,
        cwd: '/w',
        env: { TMPDIR: '/scratch' },
        darwinUserCacheDir: '/cache',
        canonicalize: id,
        command: ['/bin/true'],
      });
      const text = args[1] ?? '';
      const used = new Set([...text.matchAll(/\(param "([A-Z0-9_]+)"\)/g)].map((m) => m[1]));
      const defined = new Set(
        args.slice(2, args.indexOf('--')).map((a) => /^-D([^=]+)=/.exec(a)?.[1]),
      );
      for (const key of used) expect(defined).toContain(key);
      for (const path of ['/w', '/docs', '/out', '/scratch', '/cache']) {
        expect(text).not.toContain(`"${path}"`);
      }
    }
  });

  it('passes no DARWIN_USER_CACHE_DIR when it is not given', () => {
    const args = seatbeltArgs({ policy: readOnlyPolicy(), cwd: '/w', command: ['ls', '-l'] });
    expect(args.slice(2)).toEqual(['--', 'ls', '-l']);
  });

  it('runs through the absolute sandbox-exec path', () => {
    expect(SEATBELT_EXECUTABLE).toBe('/usr/bin/sandbox-exec');
  });
});

describe('read-only subpaths of nested and symlinked roots', () => {
  const noTmp = { excludeSlashTmp: true, excludeTmpdirEnvVar: true } as const;

  it("excludes a nested repo's .git and .codex from a writable parent root too", () => {
    const parent = realpathSync(temp.make('seatbelt'));
    const repo = vulnerableRoot(parent);
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ writableRoots: [parent], ...noTmp }),
      cwd: repo,
      command: ['/bin/true'],
    });
    expect(args[1]).toContain(
      '(allow file-write*\n(require-all (subpath (param "WRITABLE_ROOT_0")) (require-not (subpath (param "WRITABLE_ROOT_0_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_0_RO_1"))) ) (require-all (subpath (param "WRITABLE_ROOT_1")) (require-not (subpath (param "WRITABLE_ROOT_1_RO_0"))) (require-not (subpath (param "WRITABLE_ROOT_1_RO_1"))) )\n)',
    );
    expect(args.slice(2)).toEqual([
      `-DWRITABLE_ROOT_0=${parent}`,
      `-DWRITABLE_ROOT_0_RO_0=${join(repo, '.git')}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(repo, '.codex')}`,
      `-DWRITABLE_ROOT_1=${repo}`,
      `-DWRITABLE_ROOT_1_RO_0=${join(repo, '.git')}`,
      `-DWRITABLE_ROOT_1_RO_1=${join(repo, '.codex')}`,
      '--',
      '/bin/true',
    ]);
    expect(allowsWrite(args, join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(allowsWrite(args, join(repo, '.codex', 'config.toml'))).toBe(false);
    expect(allowsWrite(args, join(repo, 'src', 'main.ts'))).toBe(true);
    expect(allowsWrite(args, join(parent, 'notes.txt'))).toBe(true);
  });

  it('keeps the .git of a repo under $TMPDIR read-only through the default roots', () => {
    const tmpdir = realpathSync(temp.make('tmpdir'));
    const repo = vulnerableRoot(tmpdir);
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ excludeSlashTmp: true }),
      cwd: repo,
      env: { TMPDIR: tmpdir },
      command: ['/bin/true'],
    });
    expect(args).toContain(`-DWRITABLE_ROOT_1=${tmpdir}`);
    expect(args).toContain(`-DWRITABLE_ROOT_1_RO_0=${join(repo, '.git')}`);
    expect(allowsWrite(args, join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(allowsWrite(args, join(tmpdir, 'scratch'))).toBe(true);
  });

  it('excludes a symlinked .git both as its target and as the link itself', () => {
    const parent = realpathSync(temp.make('seatbelt'));
    const repo = join(parent, 'repo');
    const realgit = join(parent, 'realgit');
    mkdirSync(join(realgit, 'hooks'), { recursive: true });
    mkdirSync(repo);
    symlinkSync('../realgit', join(repo, '.git'));
    const args = seatbeltArgs({
      policy: workspaceWritePolicy(noTmp),
      cwd: repo,
      command: ['/bin/true'],
    });
    expect(args.slice(2)).toEqual([
      `-DWRITABLE_ROOT_0=${repo}`,
      `-DWRITABLE_ROOT_0_RO_0=${realgit}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(repo, '.git')}`,
      '--',
      '/bin/true',
    ]);
    // Deleting or renaming the link acts on the link's own path: denied, so no folder of the
    // command's own can take its place.
    expect(allowsWrite(args, join(repo, '.git'))).toBe(false);
    expect(allowsWrite(args, join(realgit, 'hooks', 'pre-commit'))).toBe(false);
    expect(allowsWrite(args, join(repo, '.gitignore'))).toBe(true);
  });

  it('excludes a symlinked .git and its target from a writable parent that holds both', () => {
    const parent = realpathSync(temp.make('seatbelt'));
    const repo = join(parent, 'repo');
    const realgit = join(parent, 'realgit');
    mkdirSync(join(realgit, 'hooks'), { recursive: true });
    mkdirSync(repo);
    symlinkSync('../realgit', join(repo, '.git'));
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ writableRoots: [parent], ...noTmp }),
      cwd: repo,
      command: ['/bin/true'],
    });
    expect(args.slice(2, 5)).toEqual([
      `-DWRITABLE_ROOT_0=${parent}`,
      `-DWRITABLE_ROOT_0_RO_0=${realgit}`,
      `-DWRITABLE_ROOT_0_RO_1=${join(repo, '.git')}`,
    ]);
    expect(allowsWrite(args, join(repo, '.git'))).toBe(false);
    expect(allowsWrite(args, join(realgit, 'hooks', 'pre-commit'))).toBe(false);
    expect(allowsWrite(args, join(parent, 'elsewhere'))).toBe(true);
  });

  it('keeps the target of a dangling .git symlink from being created', () => {
    const parent = realpathSync(temp.make('seatbelt'));
    const repo = join(parent, 'repo');
    mkdirSync(repo);
    symlinkSync('../future-git', join(repo, '.git'));
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ writableRoots: [parent], ...noTmp }),
      cwd: repo,
      command: ['/bin/true'],
    });
    expect(allowsWrite(args, join(parent, 'future-git'))).toBe(false);
    expect(allowsWrite(args, join(parent, 'future-git', 'hooks', 'pre-commit'))).toBe(false);
    expect(allowsWrite(args, join(repo, '.git'))).toBe(false);
    expect(allowsWrite(args, join(repo, 'README.md'))).toBe(true);
  });

  it('pins a replaceable symlink on the way to a gitdir', () => {
    const parent = realpathSync(temp.make('seatbelt'));
    const worktree = join(parent, 'worktree');
    mkdirSync(join(parent, 'gitdirs', 'wt'), { recursive: true });
    mkdirSync(worktree);
    symlinkSync('gitdirs', join(parent, 'link'));
    writeFileSync(join(worktree, '.git'), 'gitdir: ../link/wt\n');
    const args = seatbeltArgs({
      policy: workspaceWritePolicy({ writableRoots: [parent], ...noTmp }),
      cwd: worktree,
      command: ['/bin/true'],
    });
    expect(allowsWrite(args, join(parent, 'link'))).toBe(false);
    expect(allowsWrite(args, join(parent, 'gitdirs', 'wt', 'config'))).toBe(false);
    expect(allowsWrite(args, join(worktree, '.git'))).toBe(false);
    expect(allowsWrite(args, join(parent, 'gitdirs', 'other'))).toBe(true);
  });
});

describe('seatbeltPolicyText', () => {
  it('lists the parameters in a comment header above the exact profile', () => {
    const options = {
      policy: workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true }),
      cwd: '/w/odd\n(allow default)',
      canonicalize: (p: string) => p,
    };
    const text = seatbeltPolicyText(options);
    const { policy } = seatbeltProfile(options);
    expect(text).toBe(
      '; Seatbelt profile for /usr/bin/sandbox-exec, written by agent-state.\n' +
        '; Parameters (pass each as -D<KEY>=<VALUE>):\n' +
        ';   WRITABLE_ROOT_0="/w/odd\\n(allow default)"\n' +
        `\n${policy}`,
    );
    expect(text.split('\n').filter((line) => line === '(allow default)')).toEqual([]);
  });

  it('says when there is no parameter', () => {
    expect(seatbeltPolicyText({ policy: readOnlyPolicy(), cwd: '/w' })).toMatch(
      /^; Seatbelt profile for \/usr\/bin\/sandbox-exec, written by agent-state\.\n; Parameters: none\.\n\n\(version 1\)\n/,
    );
  });
});
