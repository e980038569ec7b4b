import { open } from 'node:fs/promises';

import { errnoCode } from './errno.js';

/** Errors that mean "this file system (or platform) cannot sync a folder", not a failure. */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR']);

/**
 * Forces a file's bytes and metadata to disk (`fsync`). Rejects with the file system's error.
 *
 * @example
 * ```ts
 * await syncFile(plainPath); // durable before its compressed twin is removed
 * ```
 */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Forces a folder's entries to disk (`fsync` of the folder), so that a file just linked or
 * renamed into it survives a power loss. A no-op where folders cannot be synced (Windows, some
 * network file systems); rejects with the file system's error otherwise.
 *
 * @example
 * ```ts
 * await link(temp, finalPath);
 * await syncFolder(dirname(finalPath)); // the new name is durable
 * ```
 */
export async function syncFolder(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    if (FOLDER_SYNC_UNSUPPORTED.has(errnoCode(error) ?? '')) return;
    throw error;
  } finally {
    await handle?.close();
  }
}
