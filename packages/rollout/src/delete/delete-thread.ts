import { readdir, realpath, rename, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

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
import { describeErrno } from '../fs/errno.js';
import { regularFileSize } from '../fs/regular-file-size.js';
import { findRolloutCandidate } from '../paths/find-rollout-file.js';
import { rolloutTwinPath } from '../paths/rollout-paths.js';
import { walkRollouts } from '../paths/rollout-walker.js';
import {
  TRASH_INCOMPLETE_MANIFEST,
  TRASH_MANIFEST,
  type TrashManifest,
  trashEntryName,
  trashRoot,
} from './trash.js';

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
 * All or nothing: the rollouts move first (a link and an unlink each, which never replaces a
 * file); when a move or the store's deletion fails, the rollouts already moved go back and the
 * error is thrown, so the thread stays whole. Should one not go back (its place was taken
 * meanwhile), the error names each such file and where it belongs, and its trash folder is kept
 * out of `gc`'s reach (`deleted.incomplete.json`). Only once all is done, with `purge`, are the
 * moved files unlinked (if that fails, they stay in the trash and the result says so).
 *
 * Every copy of the thread's rollout in the trees is taken (a duplicate in another day folder
 * too); they are found again after `confirm`. A rollout that leads out of the home (a symbolic
 * link, a stored path outside) is refused by name. Throws `InvalidArgumentError` (not a UUID),
 * `NotFoundError` (no rollout and no row for the id, or a rollout that vanished meanwhile) or
 * `RolloutFileError` (a file that cannot be moved, naming it and why).
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
  let files = await threadFiles(home, threadId, options.store, log);
  if (files.length === 0 && row === undefined) throw new NotFoundError(`thread ${threadId}`);

  const purged = options.purge === true;
  const nowMs = options.clock.now();
  const trashDir = join(trashRoot(home), trashEntryName(threadId, nowMs));
  const plan: ThreadDeletion = {
    threadId,
    title: row?.title ?? null,
    files: files.map(({ path, bytes }) => ({ path, bytes })),
    trashDir: purged ? null : trashDir,
    purged,
    deleted: false,
    storeRowDeleted: false,
  };
  if (options.confirm) {
    if (!(await options.confirm(plan))) return plan;
    // A person may take a while to answer: the files are found again (archived, compressed…).
    files = await threadFiles(home, threadId, options.store, log);
    plan.files = files.map(({ path, bytes }) => ({ path, bytes }));
  }

  const manifestPath = join(trashDir, TRASH_MANIFEST);
  let manifestWritten = false;
  const moved: Array<{ from: string; to: string }> = [];
  try {
    if (files.length > 0) {
      const manifest: TrashManifest = {
        threadId,
        deletedAt: new Date(nowMs).toISOString(),
        title: plan.title,
        files: files.map((file) => ({ path: file.inHome.split(sep).join('/'), bytes: file.bytes })),
      };
      await makeFolder(trashDir);
      try {
        await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
      } catch (error) {
        throw new RolloutFileError(
          ErrorCode.RolloutUnreadable,
          manifestPath,
          `cannot write the trash manifest: ${describeErrno(error)}`,
          { cause: error },
        );
      }
      manifestWritten = true;
      for (const file of files) {
        const to = join(trashDir, file.inHome);
        await makeFolder(dirname(to));
        await moveWithoutOverwrite(file.path, to);
        moved.push({ from: file.path, to });
      }
    }
    plan.storeRowDeleted = (await options.store?.threads.delete(threadId)) ?? false;
  } catch (error) {
    const stuck = await putBack(moved);
    if (stuck.length > 0) {
      // Never lose them: the manifest is renamed so that gc does not empty this deletion.
      await rename(manifestPath, join(trashDir, TRASH_INCOMPLETE_MANIFEST)).catch(() => undefined);
      throw new RolloutFileError(
        ErrorCode.RolloutUnreadable,
        trashDir,
        `the deletion failed (${error instanceof Error ? error.message : String(error)}) and ${stuck.length} rollout(s) could not be put back: ${stuck.map((move) => `${move.to} belongs at ${move.from}`).join('; ')}`,
        { cause: error },
      );
    }
    if (manifestWritten) await unlink(manifestPath).catch(() => undefined);
    await removeEmptyFolders(trashDir);
    throw error;
  }
  plan.deleted = true;
  if (purged && files.length > 0) {
    // The thread is gone from the trees and the store; the files only wait to be unlinked.
    try {
      await rm(trashDir, { recursive: true, force: true });
    } catch (error) {
      plan.trashDir = trashDir;
      plan.purged = false;
      log.warn('deleted the thread but could not unlink its rollouts: they are in the trash', {
        trashDir,
        error: describeErrno(error),
      });
    }
  }
  log.info('deleted thread', {
    files: files.map((file) => file.path),
    trashDir: plan.trashDir,
    storeRowDeleted: plan.storeRowDeleted,
  });
  return plan;
}

/**
 * Every rollout of the thread in the home, each with its path relative to the real home: the ones
 * Codex's find-by-id gives in `sessions/` and `archived_sessions/` (store first; a link or a path
 * that leads out of the home is refused by name), any other copy in the trees (a duplicate), and
 * the plain or compressed twin of each.
 */
async function threadFiles(
  home: string,
  threadId: string,
  store: Pick<AgentStateStore, 'threads'> | undefined,
  logger: Logger,
): Promise<Array<{ path: string; bytes: number; inHome: string }>> {
  const candidates = new Set<string>();
  for (const archived of [false, true]) {
    const found = await findRolloutCandidate({ home, threadId, archived, store, logger });
    if (found === undefined) continue;
    if (!found.confined) throw leadsOut(found.path);
    candidates.add(found.path);
  }
  for await (const file of walkRollouts({ home, onUnreadable: () => undefined })) {
    if (file.parsed?.id === threadId) candidates.add(file.path);
  }
  const realHome = await realpath(home);
  const files = new Map<string, { path: string; bytes: number; inHome: string }>();
  for (const candidate of candidates) {
    for (const path of [candidate, rolloutTwinPath(candidate)]) {
      if (files.has(path)) continue;
      const bytes = await regularFileSize(path);
      if (bytes === undefined) continue;
      const inHome = relative(realHome, await realpath(path));
      if (inHome.startsWith('..') || isAbsolute(inHome)) throw leadsOut(path);
      files.set(path, { path, bytes, inHome });
    }
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function leadsOut(path: string): RolloutFileError {
  return new RolloutFileError(
    ErrorCode.RolloutInvalid,
    path,
    'leads out of the home or is not a regular file; refusing to delete it',
  );
}

/** Moves the rollouts already moved back where they were; returns those that could not go. */
async function putBack(
  moved: ReadonlyArray<{ from: string; to: string }>,
): Promise<Array<{ from: string; to: string }>> {
  const stuck: Array<{ from: string; to: string }> = [];
  for (const move of [...moved].reverse()) {
    await moveWithoutOverwrite(move.to, move.from).catch(() => stuck.push(move));
  }
  return stuck;
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
