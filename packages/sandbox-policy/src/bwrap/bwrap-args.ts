import { existsSync, lstatSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

import { InvalidSandboxPolicyError, UnsupportedSandboxPolicyError } from '../errors.js';
import {
  type RootsContext,
  type WritableRoot,
  getReadableRoots,
  getWritableRoots,
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
  hasFullNetworkAccess,
  includePlatformDefaults,
} from '../policy/policy-roots.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';

/**
 * The name of the bubblewrap executable, looked up on `PATH` when no path is given (see
 * {@link findBwrap} to resolve it first).
 *
 * @example
 * ```ts
 * spawnSync(BWRAP_EXECUTABLE, bwrapArgs({ policy, cwd, command: ['ls'] }));
 * ```
 */
export const BWRAP_EXECUTABLE = 'bwrap';

/**
 * The folders a restricted-read policy with `includePlatformDefaults` also lets commands read on
 * Linux: what programs need to start (binaries, shared libraries, `/etc`). Only the ones that
 * exist are mounted.
 *
 * @example
 * ```ts
 * LINUX_PLATFORM_DEFAULT_READ_ROOTS.includes('/usr'); // true
 * ```
 */
export const LINUX_PLATFORM_DEFAULT_READ_ROOTS: readonly string[] = Object.freeze([
  '/bin',
  '/sbin',
  '/usr',
  '/etc',
  '/lib',
  '/lib64',
  '/nix/store',
  '/run/current-system/sw',
]);

/**
 * What to confine: the policy, the command's working directory (absolute) and the command. `env`
 * is the environment whose `TMPDIR` counts as a writable root (the CLI passes `process.env`;
 * nothing here reads it on its own).
 *
 * @example
 * ```ts
 * const options: BwrapOptions = { policy: workspaceWritePolicy(), cwd: '/home/me/src/repo', command: ['make'], env: process.env };
 * ```
 */
export interface BwrapOptions {
  policy: SandboxPolicy;
  cwd: string;
  command: readonly string[];
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * How to start a command: `spawn(executable, args)`. `wrapped` tells whether it runs under
 * bubblewrap (`executable` is then bwrap) or as is (`executable` is the command's own program).
 *
 * @example
 * ```ts
 * const { executable, args } = bwrapInvocation({ policy, cwd, command: ['npm', 'test'] });
 * const child = spawn(executable, args, { stdio: 'inherit' });
 * ```
 */
export interface SandboxInvocation {
  executable: string;
  args: string[];
  wrapped: boolean;
}

/**
 * The arguments after `bwrap` that run `command` confined by `policy`, failing closed
 * ({@link UnsupportedSandboxPolicyError}) rather than granting more than the policy allows:
 *
 * - full read: `--ro-bind / /` and a fresh `--dev /dev`; restricted read: an empty read-only
 *   root (`--tmpfs /`, `--dev /dev`, and `--remount-ro /` last) with `--ro-bind R R` for every
 *   existing readable root (readable roots, the cwd, the writable roots) and, with
 *   `includePlatformDefaults`, every existing {@link LINUX_PLATFORM_DEFAULT_READ_ROOTS} entry; a
 *   readable root `/` means full read;
 * - `--bind R R` for every writable root (a missing one is refused), then the read-only subpaths
 *   (`.git`, a `gitdir:` target, `.codex`) re-mounted read-only over them; a subpath that is
 *   missing gets `/dev/null` mounted on its first missing component so it cannot be created; a
 *   subpath reached through a symlink that the command could replace is refused (bind mounts
 *   follow symlinks, so the link itself cannot be pinned);
 * - full write (danger-full-access, external-sandbox): `--bind / /` with the host's `/dev`;
 * - `--dev-bind /dev/null /dev/null`, `--new-session --die-with-parent`, `--unshare-pid`,
 *   `--unshare-net` unless the policy has full network access, `--proc /proc`, `--chdir <cwd>`,
 *   `--`, the command.
 *
 * Always wraps, even a policy that needs no sandbox: use {@link bwrapInvocation} to run a command.
 *
 * @example
 * ```ts
 * const args = bwrapArgs({ policy: readOnlyPolicy(), cwd: '/home/me/src/repo', command: ['ls', '-la'] });
 * // ['--new-session', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--dev-bind', '/dev/null', '/dev/null',
 * //  '--unshare-pid', '--unshare-net', '--proc', '/proc', '--chdir', '/home/me/src/repo', '--', 'ls', '-la']
 * spawnSync('bwrap', args, { stdio: 'inherit' });
 * ```
 */
export function bwrapArgs(options: BwrapOptions): string[] {
  const { policy, cwd, command } = options;
  if (!isAbsolute(cwd)) {
    throw new InvalidSandboxPolicyError('cwd', `must be an absolute path, got "${cwd}"`);
  }
  if (command.length === 0) throw new InvalidSandboxPolicyError('command', 'must not be empty');
  const filesystem = filesystemArgs(policy, { cwd, env: options.env });
  const args = ['--new-session', '--die-with-parent', ...filesystem.args, '--unshare-pid'];
  if (!hasFullNetworkAccess(policy)) args.push('--unshare-net');
  args.push('--proc', '/proc');
  // Last of the mount operations: bwrap creates the mount points of the others in the tmpfs first.
  if (filesystem.tmpfsRoot) args.push('--remount-ro', '/');
  args.push('--chdir', cwd, '--', ...command);
  return args;
}

/**
 * How to run `command` under `policy` on Linux: under bubblewrap, unless the policy lets it write
 * everywhere and use the network (danger-full-access, external-sandbox with network enabled),
 * where there is nothing to confine and the command runs as is (`wrapped: false`, `executable` is
 * `command[0]`). `bwrap` is the bubblewrap executable to use: pass what {@link findBwrap} found
 * (and `checkSandboxSupport` checked), or `bwrap` is looked up on the `PATH` of the spawn,
 * which may find another one.
 *
 * @example
 * ```ts
 * const bwrap = findBwrap({ env: process.env });
 * if (!bwrap) throw new Error('install bubblewrap');
 * const { executable, args } = bwrapInvocation({ policy, cwd: process.cwd(), command: ['npm', 'test'], env: process.env, bwrap });
 * const result = spawnSync(executable, args, { stdio: 'inherit' });
 * process.exitCode = result.status ?? 1;
 * ```
 */
export function bwrapInvocation(
  options: BwrapOptions & { bwrap?: string | undefined },
): SandboxInvocation {
  const [program, ...rest] = options.command;
  if (program === undefined) throw new InvalidSandboxPolicyError('command', 'must not be empty');
  if (hasFullDiskWriteAccess(options.policy) && hasFullNetworkAccess(options.policy)) {
    return { executable: program, args: rest, wrapped: false };
  }
  return { executable: options.bwrap ?? BWRAP_EXECUTABLE, args: bwrapArgs(options), wrapped: true };
}

function filesystemArgs(
  policy: SandboxPolicy,
  context: RootsContext,
): { args: string[]; tmpfsRoot: boolean } {
  if (hasFullDiskWriteAccess(policy)) {
    // `--bind` mounts nodev, so the host's /dev comes back with `--dev-bind`.
    return { args: ['--bind', '/', '/', '--dev-bind', '/dev', '/dev'], tmpfsRoot: false };
  }
  const writableRoots = getWritableRoots(policy, context);
  for (const { root } of writableRoots) {
    if (!existsSync(root)) {
      throw new UnsupportedSandboxPolicyError(
        'bwrap',
        `writable root ${root} does not exist (bubblewrap can only bind existing folders)`,
      );
    }
  }
  const args: string[] = [];
  const readRoots = restrictedReadRoots(policy, context, writableRoots);
  if (readRoots === undefined) {
    // `--ro-bind` mounts nodev: a fresh /dev keeps /dev/null, /dev/urandom, … usable.
    args.push('--ro-bind', '/', '/', '--dev', '/dev');
  } else {
    args.push('--tmpfs', '/', '--dev', '/dev');
    for (const root of readRoots) args.push('--ro-bind', root, root);
  }
  for (const { root } of writableRoots) args.push('--bind', root, root);
  args.push(...readOnlySubpathArgs(writableRoots));
  args.push('--dev-bind', '/dev/null', '/dev/null');
  return { args, tmpfsRoot: readRoots !== undefined };
}

/**
 * The folders to mount read-only on an empty root, or `undefined` for full read (the policy's, or
 * a readable root `/`). Writable roots are left out: they are bound read-write afterwards.
 */
function restrictedReadRoots(
  policy: SandboxPolicy,
  context: RootsContext,
  writableRoots: WritableRoot[],
): string[] | undefined {
  if (hasFullDiskReadAccess(policy)) return undefined;
  const readable = getReadableRoots(policy, context).map((root) => resolve(root));
  if (readable.includes('/')) return undefined;
  const writable = new Set(writableRoots.map(({ root }) => root));
  const roots = [
    ...(includePlatformDefaults(policy) ? LINUX_PLATFORM_DEFAULT_READ_ROOTS : []),
    ...readable,
  ];
  return [...new Set(roots)].filter((root) => !writable.has(root) && existsSync(root));
}

/** `--ro-bind` arguments that keep the read-only subpaths of the writable roots read-only. */
function readOnlySubpathArgs(writableRoots: WritableRoot[]): string[] {
  const roots = writableRoots.map(({ root }) => root);
  const subpaths = [
    ...new Set(writableRoots.flatMap((w) => w.readOnlySubpaths.map((p) => resolve(p)))),
  ].sort();
  const args: string[] = [];
  for (const subpath of subpaths) {
    const link = replaceableSymlinkOn(subpath, roots);
    if (link !== undefined) {
      throw new UnsupportedSandboxPolicyError(
        'bwrap',
        `read-only subpath ${subpath} goes through the symlink ${link}, which the command could replace (bind mounts follow symlinks, so bubblewrap cannot keep it read-only)`,
      );
    }
    if (!existsSync(subpath)) {
      const missing = firstMissingComponent(subpath);
      if (missing !== undefined && isWithin(missing, roots)) {
        args.push('--ro-bind', '/dev/null', missing);
      }
      continue;
    }
    if (isWithin(subpath, roots)) args.push('--ro-bind', subpath, subpath);
  }
  return args;
}

/** The first symlink on `path` whose parent folder is writable (so it could be swapped). */
function replaceableSymlinkOn(path: string, roots: string[]): string | undefined {
  for (const prefix of prefixes(path)) {
    let isLink: boolean;
    try {
      isLink = lstatSync(prefix).isSymbolicLink();
    } catch {
      return undefined;
    }
    if (isLink && isWithin(dirname(prefix), roots)) return prefix;
  }
  return undefined;
}

function firstMissingComponent(path: string): string | undefined {
  return prefixes(path).find((prefix) => !existsSync(prefix));
}

/** `/a/b/c` → `['/a', '/a/b', '/a/b/c']`. */
function prefixes(path: string): string[] {
  const parts = path.split(sep).filter(Boolean);
  return parts.map((_, i) => sep + parts.slice(0, i + 1).join(sep));
}

function isWithin(path: string, roots: string[]): boolean {
  return roots.some(
    (root) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep),
  );
}
