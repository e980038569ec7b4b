import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

import { isPathWithin } from './path-within.js';
import { resolveSymlinks } from './resolve-symlinks.js';
import type { ReadOnlyAccess, SandboxPolicy } from './sandbox-policy.js';

/**
 * A folder the sandbox may write to, with the folders under it that stay read-only (`.git`,
 * `.codex`: writing there could escalate privileges, e.g. through git hooks). Those of
 * {@link getWritableRoots} also include the protected subpaths of the other writable roots nested
 * in this one.
 *
 * @example
 * ```ts
 * const root: WritableRoot = { root: '/home/me/src/repo', readOnlySubpaths: ['/home/me/src/repo/.git'] };
 * ```
 */
export interface WritableRoot {
  root: string;
  readOnlySubpaths: string[];
}

/**
 * Where the roots are computed for: the command's working directory and the environment whose
 * `TMPDIR` counts (the CLI passes `process.env`; nothing here reads it on its own).
 *
 * @example
 * ```ts
 * const context: RootsContext = { cwd: process.cwd(), env: process.env };
 * ```
 */
export interface RootsContext {
  cwd: string;
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * True when the policy lets commands read anywhere.
 *
 * @example
 * ```ts
 * hasFullDiskReadAccess(readOnlyPolicy()); // true
 * ```
 */
export function hasFullDiskReadAccess(policy: SandboxPolicy): boolean {
  switch (policy.type) {
    case 'danger-full-access':
    case 'external-sandbox':
      return true;
    case 'read-only':
      return policy.access.type === 'full-access';
    case 'workspace-write':
      return policy.readOnlyAccess.type === 'full-access';
  }
}

/**
 * True when the policy lets commands write anywhere.
 *
 * @example
 * ```ts
 * hasFullDiskWriteAccess({ type: 'danger-full-access' }); // true
 * ```
 */
export function hasFullDiskWriteAccess(policy: SandboxPolicy): boolean {
  return policy.type === 'danger-full-access' || policy.type === 'external-sandbox';
}

/**
 * True when the policy lets commands use the network.
 *
 * @example
 * ```ts
 * hasFullNetworkAccess(workspaceWritePolicy({ networkAccess: true })); // true
 * ```
 */
export function hasFullNetworkAccess(policy: SandboxPolicy): boolean {
  switch (policy.type) {
    case 'danger-full-access':
      return true;
    case 'external-sandbox':
      return policy.networkAccess === 'enabled';
    case 'read-only':
      return false;
    case 'workspace-write':
      return policy.networkAccess;
  }
}

/**
 * The read access of a policy (full for policies that do not restrict reads).
 *
 * @example
 * ```ts
 * readAccessOf(readOnlyPolicy()).type; // 'full-access'
 * ```
 */
export function readAccessOf(policy: SandboxPolicy): ReadOnlyAccess {
  switch (policy.type) {
    case 'danger-full-access':
    case 'external-sandbox':
      return { type: 'full-access' };
    case 'read-only':
      return policy.access;
    case 'workspace-write':
      return policy.readOnlyAccess;
  }
}

/**
 * True when a restricted-read policy also grants the platform's default read roots (what basic
 * programs need: `/usr`, `/bin`, `/lib`, `/etc`, … on Linux).
 *
 * @example
 * ```ts
 * includePlatformDefaults(readOnlyPolicy({ type: 'restricted', includePlatformDefaults: true, readableRoots: [] })); // true
 * ```
 */
export function includePlatformDefaults(policy: SandboxPolicy): boolean {
  const access = readAccessOf(policy);
  return access.type === 'restricted' && access.includePlatformDefaults;
}

/**
 * The folders a restricted-read policy lets commands read, in order, deduplicated: its readable
 * roots, then the cwd, then (workspace-write) every writable root. Empty for full read access:
 * then everything is readable.
 *
 * @example
 * ```ts
 * getReadableRoots(policy, { cwd: '/home/me/src/repo', env: process.env });
 * ```
 */
export function getReadableRoots(policy: SandboxPolicy, context: RootsContext): string[] {
  const access = readAccessOf(policy);
  if (access.type === 'full-access') return [];
  const roots = [...access.readableRoots];
  if (isAbsolute(context.cwd)) roots.push(context.cwd);
  if (policy.type === 'workspace-write') {
    roots.push(...getWritableRoots(policy, context).map((w) => w.root));
  }
  return dedupe(roots);
}

/**
 * The folders a policy lets commands write to, in Codex's order: the configured writable roots,
 * the cwd, `/tmp` (unless excluded, and if it is a folder), `$TMPDIR` (unless excluded, if set and
 * absolute); each with its read-only subpaths. Empty for policies without writable roots
 * (read-only) and for those that write everywhere (check {@link hasFullDiskWriteAccess} first).
 *
 * A root's read-only subpaths are its own {@link protectedSubpaths}, then those of every other
 * writable root that lie inside it (their real paths, or a symlink on the way to them, compared
 * with the root's real path). A root grants writes on its own, so a repo in a writable parent
 * (a cwd under `/tmp`, say) keeps its `.git` read-only only if the parent excludes it too.
 *
 * @example
 * ```ts
 * for (const { root, readOnlySubpaths } of getWritableRoots(policy, { cwd, env: process.env })) {
 *   console.log(root, readOnlySubpaths);
 * }
 * ```
 */
export function getWritableRoots(policy: SandboxPolicy, context: RootsContext): WritableRoot[] {
  if (policy.type !== 'workspace-write') return [];
  const roots = [...policy.writableRoots];
  if (isAbsolute(context.cwd)) roots.push(context.cwd);
  if (!policy.excludeSlashTmp && isDirectory('/tmp')) roots.push('/tmp');
  const tmpdir = context.env?.TMPDIR;
  if (!policy.excludeTmpdirEnvVar && tmpdir && isAbsolute(tmpdir)) roots.push(tmpdir);
  const resolved = dedupe(roots.map((r) => resolve(r)));
  const own = resolved.map((root) => protectedSubpaths(root));
  const everyProtected = dedupe(own.flat()).map((subpath) => ({
    subpath,
    locations: pathLocations(subpath),
  }));
  return resolved.map((root, index) => {
    const realRoot = resolveSymlinks(root).path;
    const nested = everyProtected
      .filter(({ locations }) => locations.some((location) => isPathWithin(location, realRoot)))
      .map(({ subpath }) => subpath);
    return { root, readOnlySubpaths: dedupe([...(own[index] ?? []), ...nested]) };
  });
}

/**
 * The subpaths of a writable root that stay read-only: `.git` (a folder, or a file; a `gitdir:`
 * file also protects the git directory it points to, listed first) and `.codex` (when it is a
 * folder).
 *
 * @example
 * ```ts
 * protectedSubpaths('/home/me/src/repo'); // ['/home/me/src/repo/.git', '/home/me/src/repo/.codex']
 * ```
 */
export function protectedSubpaths(root: string): string[] {
  const subpaths: string[] = [];
  const git = join(root, '.git');
  // lstat, not exists: a `.git` symlink (even a dangling one) must be protected too, or a command
  // could create its target.
  if (entryExists(git)) {
    if (!isDirectory(git)) {
      const gitdir = gitdirOf(git);
      if (gitdir) subpaths.push(gitdir);
    }
    subpaths.push(git);
  }
  const codex = join(root, '.codex');
  if (isDirectory(codex)) subpaths.push(codex);
  return dedupe(subpaths);
}

/**
 * True when `path` lies under the writable root and under none of its read-only subpaths, as the
 * sandbox sees it: paths are compared by where they lead on disk, not by how they are spelled.
 * Symlinks are followed on every path, through the longest existing prefix (the rest of a path
 * that does not exist yet is taken as given), so `/r/link-to-git/hooks/x` is not writable when
 * `link-to-git` points to `/r/.git`, and `..` after a symlink leads to the parent of its target. A
 * read-only subpath reached through a symlink also protects the symlink itself (replacing it
 * would redirect the subpath), and a `path` that is itself a symlink is writable only when both
 * the link and what it points to are. A relative `path` is taken against the process's cwd.
 *
 * @example
 * ```ts
 * isPathWritable({ root: '/r', readOnlySubpaths: ['/r/.git'] }, '/r/.git/hooks/x'); // false
 * isPathWritable({ root: '/r', readOnlySubpaths: ['/r/.git'] }, '/r/.gitignore'); // true
 * ```
 */
export function isPathWritable(root: WritableRoot, path: string): boolean {
  const realRoot = resolveSymlinks(root.root).path;
  const readOnly = root.readOnlySubpaths.flatMap(pathLocations);
  return [entryLocation(path), resolveSymlinks(path).path].every(
    (location) =>
      isPathWithin(location, realRoot) &&
      !readOnly.some((subpath) => isPathWithin(location, subpath)),
  );
}

/**
 * A one-line human description of a policy.
 *
 * @example
 * ```ts
 * describeSandboxPolicy(workspaceWritePolicy());
 * // 'workspace-write: reads everywhere; writes in the cwd, /tmp and $TMPDIR (.git and .codex stay read-only); no network'
 * ```
 */
export function describeSandboxPolicy(policy: SandboxPolicy): string {
  const reads = (access: ReadOnlyAccess) =>
    access.type === 'full-access'
      ? 'reads everywhere'
      : `reads only ${[...access.readableRoots, 'the cwd'].join(', ')}${access.includePlatformDefaults ? ' and the platform defaults' : ''}`;
  switch (policy.type) {
    case 'danger-full-access':
      return 'danger-full-access: no sandbox; reads, writes and network everywhere';
    case 'external-sandbox':
      return `external-sandbox: confined by an outer sandbox; full disk; network ${policy.networkAccess}`;
    case 'read-only':
      return `read-only: ${reads(policy.access)}; no writes; no network`;
    case 'workspace-write': {
      const places = [
        ...policy.writableRoots,
        'the cwd',
        ...(policy.excludeSlashTmp ? [] : ['/tmp']),
        ...(policy.excludeTmpdirEnvVar ? [] : ['$TMPDIR']),
      ];
      const list =
        places.length > 1 ? `${places.slice(0, -1).join(', ')} and ${places.at(-1)}` : places[0];
      return `workspace-write: ${reads(policy.readOnlyAccess)}; writes in ${list} (.git and .codex stay read-only); ${policy.networkAccess ? 'network allowed' : 'no network'}`;
    }
  }
}

/**
 * Every place on disk that decides what `path` is: where it leads and each symlink on the way
 * (see {@link resolveSymlinks}). Protecting a path means protecting all of them.
 */
function pathLocations(path: string): string[] {
  const { path: target, links } = resolveSymlinks(path);
  return [...links, target];
}

/** Where the entry `path` names is: its parent resolved, its own name kept (a symlink itself). */
function entryLocation(path: string): string {
  const name = basename(path);
  if (name === '' || name === '.' || name === '..') return resolveSymlinks(path).path;
  return join(resolveSymlinks(dirname(path)).path, name);
}

/** The git directory a `.git` file points to (`gitdir: <path>`), when it exists. */
function gitdirOf(gitFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(gitFile, 'utf8');
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon === -1 || text.slice(0, colon).trim() !== 'gitdir') return undefined;
  const value = text.slice(colon + 1).trim();
  if (value === '') return undefined;
  const gitdir = resolve(dirname(gitFile), value);
  return existsSync(gitdir) ? gitdir : undefined;
}

function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
