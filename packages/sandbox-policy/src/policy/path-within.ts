import { isAbsolute, relative, sep } from 'node:path';

/**
 * True when `path` is `base` or lies below it, compared component by component on the paths as
 * given (resolve symlinks first where they matter). A name that merely begins with `..`, such as
 * `/r/..hooks`, is below `/r`; `/r/../x` and `/rx` are not.
 *
 * @example
 * ```ts
 * isPathWithin('/r/.git/..hooks', '/r/.git'); // true
 * isPathWithin('/r/.gitx', '/r/.git'); // false
 * ```
 */
export function isPathWithin(path: string, base: string): boolean {
  const rel = relative(base, path);
  // An absolute `rel`: another drive on Windows.
  return !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
}
