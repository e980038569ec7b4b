import { writeSync } from 'node:fs';
import { type FileHandle, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { ErrorCode, type Logger, noopLogger } from '@agent-state/state';

import { ArchiveRefusedError } from '../archive/archive-errors.js';
import { moveWithoutOverwrite } from '../archive/move-without-overwrite.js';
import { RolloutFileError, unreadableRollout } from '../errors.js';
import { describeErrno, isMissingError } from '../fs/errno.js';
import { syncFile, syncFolder } from '../fs/sync-to-disk.js';
import { temporaryPathFor } from '../fs/temporary-path.js';
import { isCompressedRolloutPath, plainRolloutPath } from '../paths/rollout-paths.js';
import { RolloutDecoder } from '../reader/rollout-decoder.js';
import type { ZstdDecoderKind } from '../reader/zstd-decoder.js';

/**
 * Options of {@link materializeRollout}.
 *
 * @example
 * ```ts
 * const options: MaterializeRolloutOptions = { logger, zstdDecoder: 'js' };
 * ```
 */
export interface MaterializeRolloutOptions {
  /** Default: discard. */
  logger?: Logger | undefined;
  /** zstd implementation (default: native when it loads, else JS). */
  zstdDecoder?: ZstdDecoderKind | undefined;
}

/** What {@link materializeRollout} logs (debug) about where the plain file came from. */
const MATERIALIZE_OUTCOMES = {
  published: 'materialized the compressed rollout',
  found: 'the plain file was already beside the compressed rollout: using it',
  raced: 'another process materialized the rollout at the same moment: using its plain file',
} as const;

/** Compressed bytes read per step. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Turns a compressed rollout (`rollout-….jsonl.zst`) back into its plain file
 * (`rollout-….jsonl`, in the same folder) before it is appended to or forked, as Codex does;
 * returns the plain path. A plain path is returned as given, untouched.
 *
 * - The `.zst` is decompressed as it streams (memory stays bounded whatever the file's size or
 *   compression ratio), frames back to back, into a temporary file `.<name>.<12 hex>.tmp` beside
 *   it, which gets the `.zst`'s permissions, mtime and atime and is `fsync`ed.
 * - It is published under the plain name without ever replacing a file there (a hard link, which
 *   fails when the name is taken); then the folder is `fsync`ed, and only then is the `.zst`
 *   removed. At every moment the thread's whole content is on disk under one of its two names;
 *   while both exist, they are one thread and readers use the plain one.
 * - A plain file that already exists beside the `.zst` is used as it is: plain rollout files are
 *   only ever published complete (by this function, by Codex, or by a writer appending to what
 *   was published), so its existence means a materialize finished writing it; the leftover
 *   `.zst` is removed once the plain file and its folder are synced. The same holds when another
 *   process materializes the same rollout at the same moment: one publishes, the other uses it.
 * - The `.zst` that cannot be removed at the end (a rare permission change) is logged and left;
 *   the plain file is returned all the same.
 *
 * Throws {@link RolloutFileError} (`ROLLOUT_UNREADABLE`): naming the `.zst` and the compressed
 * byte offset when its data is damaged or cut short (the decoder's error), or when it cannot be
 * read; naming the plain path when it cannot be written (no space, permission denied, something
 * that is not a file in the way). Then the temporary file is removed and the `.zst` is left as
 * it was.
 *
 * @example
 * ```ts
 * const path = await materializeRollout(row.rolloutPath, { logger }); // '…/rollout-….jsonl'
 * const handle = await open(path, 'a');
 * ```
 */
export async function materializeRollout(
  path: string,
  options: MaterializeRolloutOptions = {},
): Promise<string> {
  if (!isCompressedRolloutPath(path)) return path;
  const plain = plainRolloutPath(path);
  const log = (options.logger ?? noopLogger).child({ target: 'agent_state::materialize' });
  const outcome = (await isPlainFile(plain))
    ? 'found'
    : await decompressBeside(path, plain, options.zstdDecoder);
  log.debug(MATERIALIZE_OUTCOMES[outcome], { path, plain });
  await retireCompressed(path, plain, log);
  return plain;
}

/**
 * Whether a file is at the plain path (links followed); throws when something else is in the
 * way or it cannot be told.
 */
async function isPlainFile(plain: string): Promise<boolean> {
  try {
    if ((await stat(plain)).isFile()) return true;
  } catch (error) {
    if (isMissingError(error)) return false;
    throw cannotWrite(plain, error);
  }
  throw new RolloutFileError(
    ErrorCode.RolloutUnreadable,
    plain,
    'cannot materialize the compressed rollout here: something that is not a file is in the way',
  );
}

/**
 * Decompresses `path` into a temporary file and publishes it at `plain`, unless another process
 * publishes first (then theirs is kept). The temporary file never outlives the call.
 */
async function decompressBeside(
  path: string,
  plain: string,
  zstdDecoder: ZstdDecoderKind | undefined,
): Promise<'published' | 'raced'> {
  let source: FileHandle;
  try {
    source = await open(path, 'r');
  } catch (error) {
    // Another process materialized it and removed the .zst since we looked.
    if (isMissingError(error) && (await isPlainFile(plain))) return 'raced';
    throw unreadableRollout(path, error);
  }
  const temp = temporaryPathFor(plain);
  let target: FileHandle | undefined;
  let created = false;
  try {
    const info = await source.stat().catch((error: unknown) => {
      throw unreadableRollout(path, error);
    });
    try {
      // `wx`: a fresh file, never one that is there (nor a link planted at its name).
      target = await open(temp, 'wx', 0o600);
      created = true;
    } catch (error) {
      throw cannotWrite(plain, error);
    }
    await decompress(source, target, { path, plain, zstdDecoder });
    try {
      await target.chmod(info.mode & 0o777);
      await target.utimes(info.atime, info.mtime);
      await target.sync();
      const closing = target;
      target = undefined;
      await closing.close();
    } catch (error) {
      throw cannotWrite(plain, error);
    }
    return await publish(temp, plain);
  } finally {
    await target?.close().catch(() => undefined);
    await source.close().catch(() => undefined);
    // Gone already once published; otherwise a partial or unpublished copy.
    if (created) await unlink(temp).catch(() => undefined);
  }
}

/**
 * Streams the decompressed bytes of `source` into `target`. Each decoded piece (at most the
 * decoder's 256 KiB output buffer) is written as it comes, so nothing accumulates in memory.
 */
async function decompress(
  source: FileHandle,
  target: FileHandle,
  files: { path: string; plain: string; zstdDecoder: ZstdDecoderKind | undefined },
): Promise<void> {
  const decoder = new RolloutDecoder(files.path, { zstdDecoder: files.zstdDecoder });
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  // The decoder calls `emit` synchronously; a write error is kept (never thrown through the
  // decoder, which would take it for damaged data) and thrown after the step.
  let failure: { error: unknown } | undefined;
  const emit = (bytes: Buffer) => {
    if (failure) return;
    try {
      writeFully(target.fd, bytes);
    } catch (error) {
      failure = { error };
    }
  };
  const check = () => {
    if (failure) throw cannotWrite(files.plain, failure.error);
  };
  try {
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await source.read(chunk, 0, chunk.length, null));
      } catch (error) {
        throw unreadableRollout(files.path, error);
      }
      if (bytesRead === 0) break;
      decoder.push(chunk.subarray(0, bytesRead), emit);
      check();
    }
    decoder.end(emit);
    check();
  } finally {
    decoder.release();
  }
}

function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** Publishes the complete temporary file at `plain`, never replacing a file published there. */
async function publish(temp: string, plain: string): Promise<'published' | 'raced'> {
  try {
    await moveWithoutOverwrite(temp, plain);
    return 'published';
  } catch (error) {
    // Another process published first: its file is complete too (and may have grown since).
    if (error instanceof ArchiveRefusedError && error.reason === 'destination-exists') {
      if (await isPlainFile(plain)) return 'raced';
    }
    throw error instanceof RolloutFileError ? error : cannotWrite(plain, error);
  }
}

/**
 * Makes the plain file and its name durable, then removes the compressed twin. A failure to
 * sync throws (the `.zst` stays); a failure to remove is logged (both names are one thread).
 */
async function retireCompressed(path: string, plain: string, log: Logger): Promise<void> {
  try {
    await syncFile(plain);
    await syncFolder(dirname(plain));
  } catch (error) {
    throw cannotWrite(plain, error);
  }
  try {
    await unlink(path);
  } catch (error) {
    if (isMissingError(error)) return; // removed by another process materializing it
    log.warn(
      'materialized, but could not remove the compressed rollout; readers use the plain one',
      {
        path,
        error: describeErrno(error),
      },
    );
  }
}

function cannotWrite(plain: string, error: unknown): RolloutFileError {
  if (error instanceof RolloutFileError) return error;
  return new RolloutFileError(
    ErrorCode.RolloutUnreadable,
    plain,
    `cannot write the materialized rollout: ${describeErrno(error)}`,
    { cause: error },
  );
}
