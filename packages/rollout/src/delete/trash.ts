import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { isMissingError } from '../fs/errno.js';

/**
 * Our trash in a Codex home, `<home>/agent_state_trash/`: where `deleteThread` moves a deleted
 * thread's rollouts. Codex never reads it. Each deletion is a folder of its own,
 * `<YYYYMMDDThhmmssZ>-<thread id>/`, holding the rollouts under their paths relative to the home
 * (`sessions/2026/11/21/rollout-….jsonl`, `archived_sessions/…`) and a `deleted.json` manifest
 * ({@link TrashManifest}); moving them back restores the thread.
 *
 * @example
 * ```ts
 * const trash = join(home, TRASH_SUBDIR); // ~/.codex/agent_state_trash
 * ```
 */
export const TRASH_SUBDIR = 'agent_state_trash';

/** The manifest of a deletion in the trash. */
export const TRASH_MANIFEST = 'deleted.json';

/**
 * The manifest of a deletion that failed and could not put every rollout back: what is left in
 * its folder belongs in the home, so the trash is never emptied of it.
 */
export const TRASH_INCOMPLETE_MANIFEST = 'deleted.incomplete.json';

/**
 * What `deleted.json` says of a deletion in the trash.
 *
 * @example
 * ```json
 * { "threadId": "01a1fca2-…", "deletedAt": "2026-12-07T10:00:00.000Z", "title": "Fix CI",
 *   "files": [{ "path": "sessions/2026/11/21/rollout-….jsonl", "bytes": 48213 }] }
 * ```
 */
export interface TrashManifest {
  threadId: string;
  /** When it was deleted (RFC 3339, UTC). */
  deletedAt: string;
  /** The thread's title in the store, when it had a row. */
  title: string | null;
  /** The rollouts, by their paths relative to the home (and in the trash folder). */
  files: Array<{ path: string; bytes: number }>;
}

/** The trash of a home: `<home>/agent_state_trash`. */
export function trashRoot(home: string): string {
  return join(home, TRASH_SUBDIR);
}

/** The name of a deletion's folder in the trash: `20261207T100000Z-<id>`. */
export function trashEntryName(threadId: string, deletedAtMs: number): string {
  const stamp = new Date(deletedAtMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${threadId}`;
}

/**
 * The deletions in a home's trash with their manifests, oldest first; folders without a readable
 * manifest are left out (they are not ours to judge). Empty when there is no trash.
 */
export async function listTrash(
  home: string,
): Promise<Array<{ dir: string; manifest: TrashManifest }>> {
  const root = trashRoot(home);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if (isMissingError(error)) return [];
    throw error;
  }
  const entries: Array<{ dir: string; manifest: TrashManifest }> = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    try {
      const manifest = JSON.parse(await readFile(join(dir, TRASH_MANIFEST), 'utf8')) as unknown;
      if (isManifest(manifest)) entries.push({ dir, manifest });
    } catch {
      // Not a deletion of ours (or a damaged one): left alone.
    }
  }
  return entries;
}

function isManifest(value: unknown): value is TrashManifest {
  if (typeof value !== 'object' || value === null) return false;
  const manifest = value as Partial<TrashManifest>;
  return (
    typeof manifest.threadId === 'string' &&
    typeof manifest.deletedAt === 'string' &&
    !Number.isNaN(Date.parse(manifest.deletedAt)) &&
    Array.isArray(manifest.files) &&
    manifest.files.every(
      (file) =>
        typeof file?.path === 'string' && Number.isSafeInteger(file.bytes) && file.bytes >= 0,
    )
  );
}
