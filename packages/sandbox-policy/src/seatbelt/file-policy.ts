import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import {
  type RootsContext,
  getReadableRoots,
  getWritableRoots,
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
} from '../policy/policy-roots.js';
import { isPathWithin } from '../policy/path-within.js';
import { resolveSymlinks } from '../policy/resolve-symlinks.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';

/**
 * One `sandbox-exec` parameter, passed as `-D<key>=<value>` and read in the profile as
 * `(param "<key>")`. Paths always travel as parameters, never inside the profile text, so no path
 * can change the profile's meaning.
 *
 * @example
 * ```ts
 * const param: SeatbeltParam = { key: 'WRITABLE_ROOT_0', value: '/home/me/src/repo' };
 * ```
 */
export interface SeatbeltParam {
  key: string;
  value: string;
}

/**
 * A section of a Seatbelt profile and the parameters it reads.
 *
 * @example
 * ```ts
 * const { text, params } = seatbeltWriteSection(policy, { cwd: '/home/me/src/repo' });
 * ```
 */
export interface SeatbeltSection {
  text: string;
  params: SeatbeltParam[];
}

/**
 * The canonical form of a path as Seatbelt sees it (symlinks resolved, so `/var/…` becomes
 * `/private/var/…` and `/tmp` becomes `/private/tmp` on macOS); the path itself when it cannot be
 * resolved (it does not exist, say).
 *
 * @example
 * ```ts
 * canonicalPath('/tmp'); // '/private/tmp' on macOS, '/tmp' on Linux
 * canonicalPath('/no/such/dir'); // '/no/such/dir'
 * ```
 */
export function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * The file-read section: `(allow file-read*)` for full read access; otherwise reads under each
 * readable root only (see `getReadableRoots`: the readable roots, the cwd and, for
 * workspace-write, the writable roots), one `READABLE_ROOT_<i>` parameter each, canonicalized.
 *
 * @example
 * ```ts
 * seatbeltReadSection(readOnlyPolicy(), { cwd: '/home/me/src/repo' }).text;
 * // '; allow read-only file operations\n(allow file-read*)'
 * ```
 */
export function seatbeltReadSection(
  policy: SandboxPolicy,
  context: RootsContext,
  canonicalize: (path: string) => string = canonicalPath,
): SeatbeltSection {
  if (hasFullDiskReadAccess(policy)) {
    return { text: '; allow read-only file operations\n(allow file-read*)', params: [] };
  }
  const params = getReadableRoots(policy, context).map((root, index) => ({
    key: `READABLE_ROOT_${index}`,
    value: canonicalize(root),
  }));
  if (params.length === 0) return { text: '', params };
  const components = params.map(({ key }) => `(subpath (param "${key}"))`).join(' ');
  return { text: `; allow read-only file operations\n(allow file-read*\n${components}\n)`, params };
}

/**
 * The file-write section: everything for policies that write everywhere (danger-full-access,
 * external-sandbox); otherwise writes under each writable root (`WRITABLE_ROOT_<i>`) except
 * under its read-only subpaths (`WRITABLE_ROOT_<i>_RO_<j>`: `.git`, `.codex`, a `gitdir:`
 * target), all canonicalized; `""` (no writes) when there is no writable root.
 *
 * The roots' rules are alternatives (a write is allowed when one root allows it), so every
 * read-only subpath is excluded from every root it lies in, not only from the root it belongs
 * to: a `.git` of a cwd under `/tmp` is excluded from `/tmp` too. A read-only subpath reached
 * through a symlink (`.git -> ../gitdir`) is excluded twice: as its canonical target, and as the
 * symlink itself (canonical parent, own name), so the command can neither write the target nor
 * delete the link and put a folder of its own in its place; the same holds for every symlink on
 * the way whose folder is writable. Seatbelt matches the path an operation acts on, which for
 * deleting or renaming a symlink is the link's own path, so excluding it pins the link.
 *
 * @example
 * ```ts
 * seatbeltWriteSection(workspaceWritePolicy({ excludeSlashTmp: true, excludeTmpdirEnvVar: true }), { cwd: '/w' }).text;
 * // '(allow file-write*\n(subpath (param "WRITABLE_ROOT_0"))\n)' when /w has no .git and no .codex
 * ```
 */
export function seatbeltWriteSection(
  policy: SandboxPolicy,
  context: RootsContext,
  canonicalize: (path: string) => string = canonicalPath,
): SeatbeltSection {
  if (hasFullDiskWriteAccess(policy)) {
    return { text: '(allow file-write* (regex #"^/"))', params: [] };
  }
  const params: SeatbeltParam[] = [];
  const writableRoots = getWritableRoots(policy, context);
  const roots = writableRoots.map(({ root }) => canonicalize(root));
  const excluded = writableRoots.map(({ readOnlySubpaths }) =>
    dedupe(readOnlySubpaths.flatMap((subpath) => seatbeltExclusions(subpath, roots, canonicalize))),
  );
  const components = roots.map((root, index) => {
    const key = `WRITABLE_ROOT_${index}`;
    params.push({ key, value: root });
    const exclusions = dedupe([
      ...(excluded[index] ?? []),
      ...excluded.flat().filter((path) => isPathWithin(path, root)),
    ]);
    if (exclusions.length === 0) return `(subpath (param "${key}"))`;
    const parts = [`(subpath (param "${key}"))`];
    exclusions.forEach((value, subIndex) => {
      const subKey = `${key}_RO_${subIndex}`;
      params.push({ key: subKey, value });
      parts.push(`(require-not (subpath (param "${subKey}")))`);
    });
    // The space before the closing parenthesis is Codex's exact text.
    return `(require-all ${parts.join(' ')} )`;
  });
  if (components.length === 0) return { text: '', params };
  return { text: `(allow file-write*\n${components.join(' ')}\n)`, params };
}

/**
 * The canonical paths a read-only subpath is excluded as: its canonical target and, when it is
 * reached through symlinks, each of them whose folder lies in a writable root (`roots`,
 * canonical), as the link itself, and where the path leads even if its target does not exist (a
 * dangling `.git` symlink: the command must not create its target).
 */
function seatbeltExclusions(
  subpath: string,
  roots: readonly string[],
  canonicalize: (path: string) => string,
): string[] {
  const target = canonicalize(subpath);
  const { path: resolved, links } = resolveSymlinks(subpath);
  if (links.length === 0) return [target];
  const replaceable = links
    .map((link) => join(canonicalize(dirname(link)), basename(link)))
    .filter((link) => roots.some((root) => isPathWithin(dirname(link), root)));
  return dedupe([target, ...replaceable, canonicalize(resolved)]);
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
