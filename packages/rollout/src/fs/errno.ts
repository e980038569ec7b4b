/**
 * The `code` of a Node.js file-system error (`ENOENT`, `EACCES`, …), or `undefined` when `error`
 * carries none.
 *
 * @example
 * ```ts
 * try {
 *   await link(from, to);
 * } catch (error) {
 *   if (errnoCode(error) === 'EEXIST') refuse();
 * }
 * ```
 */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True for the errors that mean "nothing there": `ENOENT`, and `ENOTDIR` (a parent of the path is
 * a file).
 *
 * @example
 * ```ts
 * try {
 *   entries = await readdir(dir);
 * } catch (error) {
 *   if (isMissingError(error)) return [];
 *   throw error;
 * }
 * ```
 */
export function isMissingError(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A few words saying why a file-system call failed, for messages that already name the path:
 * `permission denied`, `no such file`, `is a directory`, … The system's own message for other
 * errors.
 *
 * @example
 * ```ts
 * describeErrno(Object.assign(new Error('EACCES: …'), { code: 'EACCES' })); // 'permission denied'
 * ```
 */
export function describeErrno(error: unknown): string {
  switch (errnoCode(error) ?? '') {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a parent folder is not a folder';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'symbolic link loop';
    case 'EXDEV':
      return 'it is on another file system';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
