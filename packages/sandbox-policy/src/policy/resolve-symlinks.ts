import { lstatSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, parse, sep } from 'node:path';

/** As many symlinks as Linux follows in one lookup (`MAXSYMLINKS`); then the rest stays as given. */
const MAX_SYMLINKS = 40;

/**
 * Where a path leads once its symlinks are followed, and the symlinks it went through.
 *
 * @example
 * ```ts
 * const resolved: ResolvedPath = { path: '/home/me/src/realgit', links: ['/home/me/src/repo/.git'] };
 * ```
 */
export interface ResolvedPath {
  /**
   * The path the system reaches: every existing symlink followed (a final one and a dangling one
   * included), `.` and `..` applied physically; the part from the first missing component on is
   * appended as given. The real path when the whole path exists.
   */
  path: string;
  /**
   * Every symlink followed on the way, in order, each as the path of the link itself (its parent
   * folder resolved, its own name kept): replacing one of them redirects the path.
   */
  links: string[];
}

/**
 * Resolves `path` (made absolute against the process's cwd) the way a lookup of it would, `..`
 * after a symlink included (it leads to the parent of the link's target, not of the link);
 * unlike `realpathSync`, a path that does not (fully) exist still resolves, through its longest
 * existing prefix, and a dangling symlink leads to the path it names, which is where creating the
 * path would create something. Also lists the symlinks followed, which a sandbox must keep from
 * being replaced.
 *
 * @example
 * ```ts
 * // /home/me/src/repo/.git -> ../realgit, and /home/me/src/realgit does not exist yet
 * resolveSymlinks('/home/me/src/repo/.git/hooks/pre-commit');
 * // { path: '/home/me/src/realgit/hooks/pre-commit', links: ['/home/me/src/repo/.git'] }
 * ```
 */
export function resolveSymlinks(path: string): ResolvedPath {
  // Not `resolve()`: it would apply `..` lexically, before the symlinks under it are followed.
  const absolute = isAbsolute(path) ? path : `${process.cwd()}${sep}${path}`;
  let current = parse(absolute).root;
  const pending = components(absolute.slice(current.length));
  const links: string[] = [];
  while (pending.length > 0) {
    const name = pending.shift() ?? '';
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, name);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // The first missing component: nothing below it exists, so nothing more to follow.
      return { path: join(next, ...pending), links };
    }
    if (!isLink) {
      current = next;
      continue;
    }
    let target: string;
    try {
      target = readlinkSync(next);
    } catch {
      return { path: join(next, ...pending), links };
    }
    if (links.length >= MAX_SYMLINKS) return { path: join(next, ...pending), links };
    links.push(next);
    if (isAbsolute(target)) current = parse(target).root;
    pending.unshift(...components(isAbsolute(target) ? target.slice(current.length) : target));
  }
  return { path: current, links };
}

/** The names of a relative path, without empty and `.` ones (`\\` separates only on Windows). */
function components(relativePath: string): string[] {
  return relativePath
    .split(sep === '\\' ? /[\\/]/ : '/')
    .filter((name) => name !== '' && name !== '.');
}
