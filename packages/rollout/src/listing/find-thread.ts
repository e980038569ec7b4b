import {
  type Logger,
  type AgentStateStore,
  type ThreadMetadata,
  noopLogger,
  normalizeThreadId,
} from '@agent-state/state';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { writeIndexed } from '../indexer/index-rollouts.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import { fileExists } from '../fs/file-exists.js';
import { findActiveOrArchivedRollout, findRolloutFileById } from '../paths/find-rollout-file.js';

/**
 * Options of {@link findThread}.
 *
 * @example
 * ```ts
 * const options: FindThreadOptions = { home, store, id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f', archived: false };
 * const found = await findThread(options);
 * ```
 */
export interface FindThreadOptions {
  home: string;
  store?: AgentStateStore | null | undefined;
  /** The thread id (a UUID; anything else is an `InvalidArgumentError`). */
  id: string;
  /** Only among archived (`true`) or active (`false`) threads; absent: both. */
  archived?: boolean | undefined;
  defaultProvider?: string | undefined;
  /**
   * Write what the search finds back to the store, and count a stale stored path as a
   * discrepancy (default true). `false` leaves the store as it is: for readers that must not
   * write, such as the web UI.
   */
  repair?: boolean | undefined;
  logger?: Logger | undefined;
}

/**
 * A thread found by {@link findThread}: its rollout and its metadata (from the store, or read
 * from the rollout and written back to the store).
 *
 * @example
 * ```ts
 * const found = await findThread({ home, store, id });
 * if (found) console.log(found.path, found.metadata.title);
 * ```
 */
export interface FoundThread {
  path: string;
  metadata: ThreadMetadata;
  /** `store` when the store knew it, `files` when it was found by searching the rollouts. */
  via: 'store' | 'files';
}

/**
 * Finds a thread by id: in the store first, then by searching the rollouts. A stored path whose
 * file is gone is counted as a discrepancy; a thread found on disk is read and written back to the
 * store (read repair). `undefined` when no rollout exists. The rollouts are searched by exact name
 * (`rollout-*-<id>.jsonl`, or `.jsonl.zst`), as Codex's `find_thread_path_by_id_str` does, with no
 * symbolic link followed: `sessions/` at any depth (`archived: false`), the flat
 * `archived_sessions/` (`archived: true`), or both in that order when `archived` is absent. When
 * none is found and a folder could not be listed, throws `RolloutFileError` (`ROLLOUT_UNREADABLE`)
 * naming it.
 *
 * @example
 * ```ts
 * const found = await findThread({ home, store, id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f' });
 * if (!found) throw new NotFoundError(`thread ${id}`);
 * ```
 */
export async function findThread(options: FindThreadOptions): Promise<FoundThread | undefined> {
  const id = normalizeThreadId(options.id);
  const { store } = options;
  const logger = (options.logger ?? store?.logger ?? noopLogger).child({
    target: 'agent_state::find_thread',
  });
  const archived = options.archived;
  const repair = options.repair ?? true;
  if (store) {
    const stored = await store.threads.get(id);
    const matches = stored && (archived === undefined || (stored.archivedAt !== null) === archived);
    if (stored && matches) {
      if (fileExists(stored.rolloutPath))
        return { path: stored.rolloutPath, metadata: stored, via: 'store' };
      logger.warn('store has a stale rollout path', { threadId: id, path: stored.rolloutPath });
      if (repair)
        await store.discrepancies.record({
          stage: 'find_thread_path_by_id',
          reason: 'stale_db_path',
          threadId: id,
          path: stored.rolloutPath,
        });
    }
  }
  const path =
    archived === undefined
      ? await findActiveOrArchivedRollout({ home: options.home, id, logger })
      : await findRolloutFileById({ home: options.home, id, archived, logger });
  if (!path) return undefined;
  const extracted = extractRolloutMetadata(path, {
    defaultProvider: options.defaultProvider ?? DEFAULT_MODEL_PROVIDER,
  });
  const { metadata } = extracted;
  if (store && repair) {
    await writeIndexed(store, [extracted]);
    await store.discrepancies.record({
      stage: 'find_thread_path_by_id',
      reason: 'falling_back',
      threadId: id,
      path,
    });
  }
  return { path, metadata, via: 'files' };
}
