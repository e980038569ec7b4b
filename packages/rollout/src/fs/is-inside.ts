import { isAbsolute, relative, sep } from 'node:path';

/**
 * Whether `path` lies strictly inside the folder `root` (not `root` itself), comparing the two
 * paths as given: resolve symbolic links first (`realpath`) to confine a file to a folder.
 *
 * @example
 * ```ts
 * isStrictlyInside('/home/me/.codex/sessions', '/home/me/.codex/sessions/2026/x.jsonl'); // true
 * isStrictlyInside('/home/me/.codex/sessions', '/home/me/.codex/sessions-old/x.jsonl'); // false
 * ```
 */
export function isStrictlyInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
