import { lstat, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

import {
  type AgentStateStore,
  type Clock,
  ErrorCode,
  type Logger,
  NotFoundError,
  noopLogger,
  normalizeThreadId,
} from '@agent-state/state';

import { makeFolder, moveWithoutOverwrite } from '../archive/move-without-overwrite.js';
import { RolloutFileError } from '../errors.js';
import { describeErrno, isMissingError } from '../fs/errno.js';
import { findRolloutCandidate } from '../paths/find-rollout-file.js';
import { ZSTD_EXTENSION, plainRolloutPath } from '../paths/rollout-paths.js';
import { TRASH_MANIFEST, type TrashManifest, trashEntryName, trashRoot } from './trash.js';

/**
 * Options of {@link deleteThread}.
 *
 * @example
 * ```ts
 * const options: DeleteThreadOptions = { home, threadId, store, clock: systemClock };
 * ```
 */
export interface DeleteThreadOptions {
  home: string;
  threadId: string;
  /** When given, asked where the rollout is, and the thread's row and all it holds is deleted. */
  store?: Pick<AgentStateStore, 'threads'> | undefined;
  /** Unlink the rollouts instead of moving them to the trash. */
  purge?: boolean | undefined;
  /** The time of the deletion (the trash folder's name and manifest). */
  clock: Clock;
  /**
   * Asked once the thread's files are found and before anything changes (a prompt, a check);
   * `false` leaves everything as it is (the result says `deleted: false`).
   */
  confirm?: ((plan: ThreadDeletion) => boolean | Promise<boolean>) | undefined;
  /** Default: discard. */
  logger?: Logger | undefined;
}

/**
 * What {@link deleteThread} did (or, with `deleted: false`, would have done).
 *
 * @example
 * ```ts
 * const { files, trashDir } = await deleteThread({ home, threadId, store, clock });
 * console.log(`${files.length} rollout(s) moved to ${trashDir}`);
 * ```
 */
export interface ThreadDeletion {
  threadId: string;
  /** The thread's title in the store; `null` without a row. */
  title: string | null;
  /** The thread's rollouts (a `.jsonl`, its `.jsonl.zst`, in either tree) where they were. */
  files: Array<{ path: string; bytes: number }>;
  /** The trash folder holding them now; `null` when purged (or not deleted). */
  trashDir: string | null;
  purged: boolean;
  /** True once done; false when `confirm` declined. */
  deleted: boolean;
  /** True when the store had a row for the thread (it is gone now, with all it holds). */
  storeRowDeleted: boolean;
}

/**
 * Deletes a thread everywhere at once: its rollouts (plain and compressed, active or archived)
 * move to the home's trash (`<home>/agent_state_trash/<time>-<id>/`, under their paths relative to
 * the home, with a `deleted.json` manifest), or are unlinked with `purge`; and, with a store, its
 * row goes in one transaction with its dynamic tools, search documents, usage records and stage-1
 * memory output. No other file of Codex's is written (`session_index.jsonl` keeps its names:
 * Codex reads them only for threads it finds).
 *
 * All or nothing: the rollouts move first (a rename each, which never replaces a file); when a
 * move or the store's deletion fails, the rollouts already moved go back and the error is
 * thrown, so the thread stays whole. Only then, with `purge`, are the moved files unlinked.
 *
 * A rollout that leads out of the home (a symbolic link, a stored path outside) is refused by
 * name. Throws `InvalidArgumentError` (not a UUID), `NotFoundError` (no rollout and no row for the
 * id) or `RolloutFileError` (a file that cannot be moved, naming it and why).
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const done = await deleteThread({ home, threadId, store, clock: systemClock });
 * // done.trashDir === `${home}/agent_state_trash/20261207T100000Z-${threadId}`
 * ```
 */
export async function deleteThread(options: DeleteThreadOptions): Promise<ThreadDeletion> {
  const threadId = normalizeThreadId(options.threadId, 'threadId');
  const home = resolve(options.home);
  const log = (options.logger ?? noopLogger).child({
    target: 'agent_state::delete',
    threadId,
  });
  const row = await options.store?.threads.get(threadId);
  const files = await threadFiles(home, threadId, options.store, log);
  if (files.length === 0 && row === undefined) throw new NotFoundError(`thread ${threadId}`);

  const purged = options.purge === true;
  const nowMs = options.clock.now();
  const trashDir = join(trashRoot(home), trashEntryName(threadId, nowMs));
  const plan: ThreadDeletion = {
    threadId,
    title: row?.title ?? null,
    files,
    trashDir: purged ? null : trashDir,
    purged,
    deleted: false,
    storeRowDeleted: false,
  };
  if (options.confirm && !(await options.confirm(plan))) return plan;

  const moved: Array<{ from: string; to: string }> = [];
  try {
    if (files.length > 0) {
      const manifest: TrashManifest = {
        threadId,
        deletedAt: new Date(nowMs).toISOString(),
        title: plan.title,
        files: files.map((file) => ({ path: relative(home, file.path), bytes: file.bytes })),
      };
      await makeFolder(trashDir);
      await writeFile(join(trashDir, TRASH_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, {
        flag: 'wx',
      });
      for (const file of files) {
        const to = join(trashDir, relative(home, file.path));
        await makeFolder(dirname(to));
        await moveWithoutOverwrite(file.path, to);
        moved.push({ from: file.path, to });
      }
    }
    plan.storeRowDeleted = (await options.store?.threads.delete(threadId)) ?? false;
  } catch (error) {
    await putBack(moved, trashDir, log);
    throw error;
  }
  plan.deleted = true;
  if (purged && files.length > 0) {
    // The thread is gone from the trees and the store; the files only wait to be unlinked.
    await rm(trashDir, { recursive: true, force: true }).catch((error: unknown) => {
      log.warn('deleted the thread but could not unlink its rollouts from the trash', {
        trashDir,
        error: String(error),
      });
    });
  }
  log.info('deleted thread', {
    files: files.map((file) => file.path),
    trashDir: plan.trashDir,
    storeRowDeleted: plan.storeRowDeleted,
  });
  return plan;
}

/**
 * Every rollout of the thread in the home: the one found in `sessions/` and the one in
 * `archived_sessions/` (store first, as `findThread`), each with its plain or compressed twin.
 */
async function threadFiles(
  home: string,
  threadId: string,
  store: Pick<AgentStateStore, 'threads'> | undefined,
  logger: Logger,
): Promise<Array<{ path: string; bytes: number }>> {
  const files = new Map<string, number>();
  for (const archived of [false, true]) {
    const found = await findRolloutCandidate({ home, threadId, archived, store, logger });
    if (found === undefined) continue;
    if (!found.confined) {
      throw new RolloutFileError(
        ErrorCode.RolloutInvalid,
        found.path,
        'leads out of the home or is not a regular file; refusing to delete it',
      );
    }
    const plain = plainRolloutPath(found.path);
    for (const path of [plain, `${plain}${ZSTD_EXTENSION}`]) {
      const bytes = await regularFileSize(path);
      if (bytes !== undefined) files.set(path, bytes);
    }
  }
  return [...files].map(([path, bytes]) => ({ path, bytes }));
}

/** The size of a regular file (not following a link); `undefined` when there is none. */
async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const stats = await lstat(path);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw new RolloutFileError(ErrorCode.RolloutUnreadable, path, describeErrno(error), {
      cause: error,
    });
  }
}

/** Moves the rollouts already moved back where they were, then removes the trash folder. */
async function putBack(
  moved: ReadonlyArray<{ from: string; to: string }>,
  trashDir: string,
  log: Logger,
): Promise<void> {
  for (const { from, to } of [...moved].reverse()) {
    try {
      await moveWithoutOverwrite(to, from);
    } catch (error) {
      log.error('could not put a rollout back after a failed deletion', {
        from: to,
        to: from,
        error: String(error),
      });
      return; // The trash folder keeps what could not go back.
    }
  }
  await unlink(join(trashDir, TRASH_MANIFEST)).catch(() => undefined);
  await removeEmptyFolders(trashDir);
}

/** Removes `dir` and the empty folders under it (what a put-back leaves), nothing else. */
async function removeEmptyFolders(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) await removeEmptyFolders(join(dir, name));
  await rmdir(dir).catch(() => undefined);
}
