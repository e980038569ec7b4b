import { lstat, realpath, stat, utimes } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';

import {
  type Clock,
  ErrorCode,
  type Logger,
  NotFoundError,
  type AgentStateStore,
  noopLogger,
  normalizeThreadId,
  unixSeconds,
} from '@agent-state/state';

import { RolloutFileError, unreadableRollout } from '../errors.js';
import { isMissingError } from '../fs/errno.js';
import { isStrictlyInside } from '../fs/is-inside.js';
import { findRolloutCandidate } from '../paths/find-rollout-file.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  ROLLOUT_PREFIX,
  ROLLOUT_SUFFIX,
  SESSIONS_SUBDIR,
  plainRolloutPath,
  rolloutDateParts,
} from '../paths/rollout-paths.js';
import { ArchiveRefusedError } from './archive-errors.js';
import {
  existsNoFollow,
  makeFolder,
  moveWithoutOverwrite,
  sameFile,
} from './move-without-overwrite.js';

/**
 * Options of {@link archiveThread} and {@link unarchiveThread}.
 *
 * @example
 * ```ts
 * const options: ArchiveThreadOptions = { home, threadId, store, clock: systemClock, logger };
 * ```
 */
export interface ArchiveThreadOptions {
  home: string;
  threadId: string;
  /** When given, asked where the rollout is and updated after the move. */
  store?: Pick<AgentStateStore, 'threads'> | undefined;
  /** `archived_at` (archive), or the restored file's mtime and `updated_at` (unarchive). */
  clock: Clock;
  /** Default: discard. */
  logger?: Logger | undefined;
  /**
   * The rollout to move (absolute, or relative to the home) instead of looking it up. It passes
   * the same checks as a found one.
   */
  rolloutPath?: string | undefined;
}

/**
 * What {@link archiveThread} or {@link unarchiveThread} did.
 *
 * @example
 * ```ts
 * const { from, to, storeUpdated } = await archiveThread({ home, threadId, store, clock });
 * ```
 */
export interface ArchiveMove {
  /** Where the rollout was (its real location, expressed under the home as given). */
  from: string;
  /** Where it is now. */
  to: string;
  /**
   * True when a store was given and its row for the thread was updated; false without a store,
   * when the store has no row for the thread (not indexed yet), or when its update failed (logged;
   * the file, the source of truth, has moved and a reconcile repairs the row).
   */
  storeUpdated: boolean;
}

/**
 * Archives a thread as Codex's `thread/archive` does: finds its rollout (the `rolloutPath`
 * option, else as `findThread` searches: the store's active path, else a search of
 * `sessions/` for `rollout-*-<id>.jsonl`), checks that its real path (symlinks resolved) is
 * inside `<home>/sessions` and that its name ends with `-<id>.jsonl`, then moves it to
 * `<home>/archived_sessions/<same name>` (flat) and, with a store, marks the row archived at
 * `unixSeconds(clock)` with its new path. A rollout that leads out of the home (the store's path
 * lies outside, or is a symbolic link out of it) is refused by name, never followed.
 *
 * Archiving is not idempotent on purpose: a thread already archived is refused
 * (`ArchiveRefusedError`, reason `already-archived`, naming the archived file), so callers can
 * tell "done before" from "done now"; catch that reason to treat it as success.
 *
 * The move never replaces a file: it links the rollout under its new name, which fails at once
 * when a file is there (even one another process creates at that moment), then removes the old
 * name. Two archives of one thread at once move it once; the other gets `already-archived`.
 *
 * Throws `InvalidArgumentError` (not a UUID), `NotFoundError` (no rollout for the id, code
 * `NOT_FOUND`), `ArchiveRefusedError` (`outside-root`, `id-mismatch`, `destination-exists`,
 * `already-archived`; nothing is moved) or `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming the
 * file or folder and why: not a regular file, `permission denied`, `it is on another file
 * system`, a folder that cannot be created, …; nothing is moved).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { to } = await archiveThread({ home, threadId, store, clock: systemClock, logger });
 * // to === `${home}/archived_sessions/rollout-2026-11-21T05-44-05-<id>.jsonl`
 * ```
 */
export async function archiveThread(options: ArchiveThreadOptions): Promise<ArchiveMove> {
  const move = await prepareMove(options, 'archive');
  const archivedDir = join(move.home, ARCHIVED_SESSIONS_SUBDIR);
  const to = join(archivedDir, basename(move.from));
  await makeFolder(archivedDir);
  await moveRollout(move, to, 'archive');
  const storeUpdated = await updateStore(move, () =>
    options.store?.threads.markArchived(move.id, {
      rolloutPath: to,
      archivedAt: unixSeconds(options.clock),
    }),
  );
  move.log.info('archived thread', { from: move.from, to, storeUpdated });
  return { from: move.from, to, storeUpdated };
}

/**
 * Unarchives a thread as Codex's `thread/unarchive` does: finds its rollout in
 * `archived_sessions/` (the `rolloutPath` option, else the store's archived path if that file
 * exists, else a search), checks it as {@link archiveThread} does (inside
 * `<home>/archived_sessions`), moves it back to `<home>/sessions/YYYY/MM/DD/<same name>` (the date
 * from its file name), sets its mtime to the clock's time so that `updated_at` advances, and,
 * with a store, marks the row active with its new path and `updatedAt = unixSeconds(clock)`.
 *
 * Not idempotent either: a thread that is not archived is refused (`ArchiveRefusedError`, reason
 * `not-archived`). Throws as {@link archiveThread} does, plus `missing-timestamp` when the file
 * name carries no date.
 *
 * @example
 * ```ts
 * const { to } = await unarchiveThread({ home, threadId, store, clock: systemClock });
 * // to === `${home}/sessions/2026/11/21/rollout-2026-11-21T05-44-05-<id>.jsonl`
 * ```
 */
export async function unarchiveThread(options: ArchiveThreadOptions): Promise<ArchiveMove> {
  const move = await prepareMove(options, 'unarchive');
  const name = basename(move.from);
  const parts = rolloutDateParts(name);
  if (!parts) {
    throw new ArchiveRefusedError(
      'missing-timestamp',
      move.from,
      `cannot unarchive ${move.from}: its file name carries no date (expected rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl)`,
    );
  }
  const dayDir = join(move.home, SESSIONS_SUBDIR, ...parts);
  const to = join(dayDir, name);
  await makeFolder(dayDir);
  await moveRollout(move, to, 'unarchive');
  const nowMs = options.clock.now();
  try {
    const { atime } = await stat(to);
    await utimes(to, atime, new Date(nowMs));
  } catch (error) {
    // The move is done; a stale mtime only delays the thread in "sort by updated" listings.
    move.log.warn('could not set the mtime of the restored rollout', {
      path: to,
      error: String(error),
    });
  }
  const storeUpdated = await updateStore(move, () =>
    options.store?.threads.markUnarchived(move.id, {
      rolloutPath: to,
      updatedAt: Math.floor(nowMs / 1000),
    }),
  );
  move.log.info('unarchived thread', { from: move.from, to, storeUpdated });
  return { from: move.from, to, storeUpdated };
}

type Direction = 'archive' | 'unarchive';

interface PreparedMove {
  /** The home, resolved to an absolute path. */
  home: string;
  id: string;
  from: string;
  log: Logger;
}

/**
 * Finds the rollout to move and runs every check that needs no writing. A rollout that was found
 * but vanished before it could be checked (another process moved it meanwhile) is looked for
 * once more, so that the caller gets the state it was moved to.
 */
async function prepareMove(
  options: ArchiveThreadOptions,
  direction: Direction,
  retry = true,
): Promise<PreparedMove> {
  const id = normalizeThreadId(options.threadId, 'threadId');
  const home = resolve(options.home);
  const log = (options.logger ?? noopLogger).child({
    target: 'agent_state::archive',
    threadId: id,
  });
  const archiving = direction === 'archive';
  const root = join(home, archiving ? SESSIONS_SUBDIR : ARCHIVED_SESSIONS_SUBDIR);
  const otherRoot = join(home, archiving ? ARCHIVED_SESSIONS_SUBDIR : SESSIONS_SUBDIR);

  let candidate: string | undefined;
  if (options.rolloutPath !== undefined) {
    candidate = resolve(home, options.rolloutPath); // a missing one is reported by confine()
  } else {
    // A candidate that leads out of the home is kept, to be refused by name (outside-root).
    const locate = { home, threadId: id, store: options.store, logger: log };
    candidate = (await findRolloutCandidate({ ...locate, archived: !archiving }))?.path;
    if (candidate === undefined) {
      const elsewhere = await findRolloutCandidate({ ...locate, archived: archiving });
      if (elsewhere !== undefined) throw wrongState(direction, id, elsewhere.path);
      throw new NotFoundError(
        archiving ? `rollout of thread ${id}` : `archived rollout of thread ${id}`,
      );
    }
  }

  let from: string;
  try {
    from = await confine({ path: candidate, root, otherRoot, id, direction });
  } catch (error) {
    const vanished = error instanceof NotFoundError && options.rolloutPath === undefined;
    if (vanished && retry) return prepareMove(options, direction, false);
    throw error;
  }
  const name = basename(plainRolloutPath(from)).toLowerCase();
  if (!name.startsWith(ROLLOUT_PREFIX) || !name.endsWith(`-${id}${ROLLOUT_SUFFIX}`)) {
    throw new ArchiveRefusedError(
      'id-mismatch',
      from,
      `rollout ${from} does not match thread id ${id} (expected rollout-…-${id}.jsonl or .jsonl.zst)`,
    );
  }
  return { home, id, from, log };
}

/**
 * The rollout's real location (symlinks resolved), expressed under `root` as given, when it is
 * inside the real `root`; throws otherwise. A rollout inside `otherRoot` is in the wrong state.
 */
async function confine(options: {
  path: string;
  root: string;
  otherRoot: string;
  id: string;
  direction: Direction;
}): Promise<string> {
  const { path, root, otherRoot, id, direction } = options;
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if (isMissingError(error)) {
      throw new NotFoundError(`rollout ${path} of thread ${id}`, { path });
    }
    throw unreadableRollout(path, error);
  }
  const realRoot = await realpathIfPresent(root);
  if (realRoot !== undefined && isStrictlyInside(realRoot, real)) {
    const from = join(root, relative(realRoot, real));
    let isFile: boolean;
    try {
      isFile = (await stat(real)).isFile();
    } catch (error) {
      if (isMissingError(error))
        throw new NotFoundError(`rollout ${path} of thread ${id}`, { path });
      throw unreadableRollout(from, error);
    }
    if (!isFile) {
      throw new RolloutFileError(ErrorCode.RolloutUnreadable, from, 'not a regular file');
    }
    return from;
  }
  const realOther = await realpathIfPresent(otherRoot);
  if (realOther !== undefined && isStrictlyInside(realOther, real)) {
    throw wrongState(direction, id, path);
  }
  const resolved = real === path ? '' : ` (resolves to ${real})`;
  throw new ArchiveRefusedError(
    'outside-root',
    path,
    `rollout ${path}${resolved} must be inside ${root}; refusing to move it`,
  );
}

function wrongState(direction: Direction, id: string, path: string): ArchiveRefusedError {
  return direction === 'archive'
    ? new ArchiveRefusedError('already-archived', path, `thread ${id} is already archived: ${path}`)
    : new ArchiveRefusedError('not-archived', path, `thread ${id} is not archived: ${path}`);
}

async function realpathIfPresent(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw new RolloutFileError(
      ErrorCode.RolloutUnreadable,
      path,
      `cannot resolve the folder: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Moves the rollout to `to` without ever replacing a file there (see `moveWithoutOverwrite`).
 * When another process archived or unarchived the same thread at the same moment, the loser of
 * the race gets the error a later call would get (`already-archived` or `not-archived`, naming
 * `to`), not a bare "file not found".
 */
async function moveRollout(move: PreparedMove, to: string, direction: Direction): Promise<void> {
  try {
    await moveWithoutOverwrite(move.from, to);
  } catch (error) {
    const raced =
      error instanceof NotFoundError ||
      (error instanceof ArchiveRefusedError && error.reason === 'destination-exists');
    if (raced && (await movedBySomeoneElse(move.from, to)))
      throw wrongState(direction, move.id, to);
    throw error;
  }
}

/**
 * Whether the rollout at `from` was moved to `to` by another process: both names are the same
 * file (that process is between its link and its unlink), or `from` is gone and a file is at `to`.
 */
async function movedBySomeoneElse(from: string, to: string): Promise<boolean> {
  if (await sameFile(from, to)) return true;
  const fromGone = !(await existsNoFollow(from).catch(() => true));
  return (
    fromGone &&
    (await lstat(to).then(
      (info) => info.isFile(),
      () => false,
    ))
  );
}

/** Runs a store update after the move; a failure is logged, not thrown (the file has moved). */
async function updateStore(
  move: PreparedMove,
  update: () => Promise<boolean> | undefined,
): Promise<boolean> {
  try {
    const updated = (await update()) ?? false;
    if (!updated) move.log.debug('no store row updated for the thread');
    return updated;
  } catch (error) {
    move.log.warn('rollout moved but the store update failed; a reconcile will repair it', {
      error: String(error),
    });
    return false;
  }
}
