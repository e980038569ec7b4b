import { link, lstat, mkdir, rename, unlink } from 'node:fs/promises';

import { ErrorCode, NotFoundError } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { describeErrno, errnoCode, isMissingError } from '../fs/errno.js';
import { ArchiveRefusedError } from './archive-errors.js';

/** `link()` errors that mean "this file system has no hard links", not "this link is refused". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Moves the file `from` to `to`, never replacing anything at `to`: `link(from, to)` fails
 * atomically when `to` exists, even when another process creates it at the same moment, and only
 * then is the old name removed. On a file system without hard links it falls back to a rename
 * after checking that `to` is free (a window remains there, as nothing better exists).
 *
 * Throws:
 * - `ArchiveRefusedError` (`destination-exists`, naming `to`) when something is at `to`; nothing
 *   is moved;
 * - `NotFoundError` (naming `from`) when `from` is gone, for example moved by another process;
 * - `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming `from` and `to`, and why: `permission
 *   denied`, `it is on another file system`, …) for any other failure. When the old name cannot
 *   be removed, the new one is removed again, so the file stays where it was.
 *
 * @example
 * ```ts
 * await moveWithoutOverwrite(join(home, 'sessions', day, name), join(home, 'archived_sessions', name));
 * ```
 */
export async function moveWithoutOverwrite(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST') throw destinationExists(from, to);
    if (code !== undefined && NO_HARD_LINKS.has(code)) return renameIfFree(from, to);
    throw await moveFailed(from, to, error);
  }
  try {
    await unlink(from);
  } catch (error) {
    // Removed meanwhile by someone else: the file is at `to` only, as wanted.
    if (isMissingError(error)) return;
    if (await sameFile(from, to)) await unlink(to).catch(() => undefined);
    throw await moveFailed(from, to, error);
  }
}

/**
 * `mkdir -p`, with a `RolloutFileError` (`ROLLOUT_UNREADABLE`) naming the folder when it cannot be
 * created (permission denied, a file in the way, a read-only file system, …).
 *
 * @example
 * ```ts
 * await makeFolder(join(home, 'archived_sessions'));
 * ```
 */
export async function makeFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    const why = errnoCode(error) === 'EEXIST' ? 'a file is in the way' : describeErrno(error);
    throw new RolloutFileError(
      ErrorCode.RolloutUnreadable,
      path,
      `cannot create the folder: ${why}`,
      { cause: error },
    );
  }
}

/** The fallback without hard links: check, then rename (which would replace what appeared). */
async function renameIfFree(from: string, to: string): Promise<void> {
  let taken: boolean;
  try {
    taken = await existsNoFollow(to);
  } catch (error) {
    throw await moveFailed(from, to, error);
  }
  if (taken) throw destinationExists(from, to);
  try {
    await rename(from, to);
  } catch (error) {
    throw await moveFailed(from, to, error);
  }
}

function destinationExists(from: string, to: string): ArchiveRefusedError {
  return new ArchiveRefusedError(
    'destination-exists',
    to,
    `cannot move ${from} to ${to}: the destination already exists`,
  );
}

/** The typed error of a failed step: `NotFoundError` when `from` is gone, else `RolloutFileError`. */
async function moveFailed(from: string, to: string, error: unknown): Promise<Error> {
  if (isMissingError(error) && !(await existsNoFollow(from).catch(() => true))) {
    return new NotFoundError(`rollout ${from}`, { path: from });
  }
  return new RolloutFileError(
    ErrorCode.RolloutUnreadable,
    from,
    `cannot move it to ${to}: ${describeErrno(error)}`,
    { cause: error },
  );
}

/**
 * Whether anything (a file, a folder, even a dangling link) is at `path`; rejects with the file
 * system's error when that cannot be told.
 *
 * @example
 * ```ts
 * if (await existsNoFollow(to)) refuse();
 * ```
 */
export async function existsNoFollow(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissingError(error)) return false;
    throw error;
  }
}

/**
 * Whether two names are links to the same file (same device and inode); false when either
 * cannot be read.
 *
 * @example
 * ```ts
 * await sameFile(from, to); // true between a move's link() and its unlink()
 * ```
 */
export async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([lstat(a), lstat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
