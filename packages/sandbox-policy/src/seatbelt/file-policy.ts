import { realpathSync } from 'node:fs';

import {
  type RootsContext,
  getReadableRoots,
  getWritableRoots,
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
} from '../policy/policy-roots.js';
import type { SandboxPolicy } from '../policy/sandbox-policy.js';

/**
 * One `sandbox-exec` parameter, passed as `-D<key>=<value>` and read in the profile as
 * `(param "<key>")`. Paths always travel as parameters, never inside the profile text, so no path
 * can change the profile's meaning.
 *
 * @example
 * ```ts
 * const param: SeatbeltParam = { key: 'WRITABLE_ROOT_0', value: '/work/repo' };
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
 * const { text, params } = seatbeltWriteSection(policy, { cwd: '/work/repo' });
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
 * seatbeltReadSection(readOnlyPolicy(), { cwd: '/work/repo' }).text;
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
  const components = getWritableRoots(policy, context).map(({ root, readOnlySubpaths }, index) => {
    const key = `WRITABLE_ROOT_${index}`;
    params.push({ key, value: canonicalize(root) });
    if (readOnlySubpaths.length === 0) return `(subpath (param "${key}"))`;
    const parts = [`(subpath (param "${key}"))`];
    readOnlySubpaths.forEach((subpath, subIndex) => {
      const subKey = `${key}_RO_${subIndex}`;
      params.push({ key: subKey, value: canonicalize(subpath) });
      parts.push(`(require-not (subpath (param "${subKey}")))`);
    });
    // The space before the closing parenthesis is the reference's exact text.
    return `(require-all ${parts.join(' ')} )`;
  });
  if (components.length === 0) return { text: '', params };
  return { text: `(allow file-write*\n${components.join(' ')}\n)`, params };
}
