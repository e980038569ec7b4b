import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, unlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { ErrorCode } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { describeErrno, errnoCode, isMissingError } from '../fs/errno.js';
import { syncFile, syncFolder } from '../fs/sync-to-disk.js';
import { temporaryPathFor } from '../fs/temporary-path.js';
import { ZSTD_EXTENSION } from '../paths/rollout-paths.js';
import { createZstdDecoder } from '../reader/zstd-decoder.js';
import { createZstdCompressStream } from './zstd-encoder.js';

/**
 * What became of one rollout the gc meant to compress: `compressed` (the `.jsonl.zst` is in
 * place, the `.jsonl` gone), or `skipped` with why, the file untouched:
 * - `changed`: it was written to (or replaced) while being compressed;
 * - `compressed-twin-exists`: a `.jsonl.zst` of it is already there (Codex is materializing it,
 *   or another gc got there first);
 * - `gone`: it vanished (archived, deleted or compressed by another process meanwhile).
 */
export type CompressOutcome =
  | { outcome: 'compressed'; from: string; to: string; bytesBefore: number; bytesAfter: number }
  | { outcome: 'skipped'; path: string; reason: 'changed' | 'compressed-twin-exists' | 'gone' };

/** A file's identity and state, to tell whether it changed. */
interface Seen {
  size: number;
  mtimeMs: number;
  ino: number;
  atime: Date;
  mtime: Date;
}

async function look(path: string): Promise<Seen | undefined> {
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) return undefined;
    return {
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      atime: stats.atime,
      mtime: stats.mtime,
    };
  } catch (error) {
    if (isMissingError(error)) return undefined;
    throw new RolloutFileError(ErrorCode.RolloutUnreadable, path, describeErrno(error), {
      cause: error,
    });
  }
}

const same = (a: Seen | undefined, b: Seen): boolean =>
  a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/**
 * Compresses one plain rollout as Codex compresses cold rollouts: `rollout-….jsonl` becomes
 * `rollout-….jsonl.zst` in the same folder, one zstd frame at level 3, with the same mtime.
 * The frame is written to a temporary file, synced, decoded again and compared with the original
 * (length and SHA-256), published under its name with a link that never replaces a file, and only
 * then is the plain file removed, if it is still the very file that was read (same inode, size
 * and mtime, checked before publishing and again before removing).
 *
 * Throws `RolloutFileError` naming the file when it cannot be read or written (the plain file is
 * kept, the temporary file removed), or when no zstd encoder is available.
 */
export async function compressRolloutFile(
  path: string,
  hooks: {
    /** @internal Runs after the copy is verified, before it is published (tests write here). */
    beforePublish?: (() => void | Promise<void>) | undefined;
  } = {},
): Promise<CompressOutcome> {
  const before = await look(path);
  if (before === undefined) return { outcome: 'skipped', path, reason: 'gone' };
  const to = `${path}${ZSTD_EXTENSION}`;
  if ((await look(to)) !== undefined) {
    return { outcome: 'skipped', path, reason: 'compressed-twin-exists' };
  }
  const encoder = createZstdCompressStream();
  if (encoder === undefined) {
    throw new RolloutFileError(
      ErrorCode.RolloutUnreadable,
      path,
      'cannot compress it: no zstd encoder here (install the optional zstd-napi, or use Node 22.15 or later)',
    );
  }
  const temporary = temporaryPathFor(to);
  let published = false;
  try {
    const read = createHash('sha256');
    let readBytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        read.update(chunk);
        readBytes += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(
      createReadStream(path),
      tap,
      encoder,
      createWriteStream(temporary, { flags: 'wx' }),
    );
    await syncFile(temporary);
    const decoded = await decodedDigest(temporary);
    const digest = read.digest('hex');
    if (decoded.bytes !== readBytes || decoded.digest !== digest) {
      throw new RolloutFileError(
        ErrorCode.RolloutInvalid,
        temporary,
        'the compressed copy does not decode to the original; nothing was replaced',
      );
    }
    await utimes(temporary, before.atime, before.mtime);
    await hooks.beforePublish?.();
    if (readBytes !== before.size || !same(await look(path), before)) {
      return { outcome: 'skipped', path, reason: 'changed' };
    }
    try {
      await link(temporary, to);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') {
        return { outcome: 'skipped', path, reason: 'compressed-twin-exists' };
      }
      throw error;
    }
    published = true;
    if (!same(await look(path), before)) {
      // Written to in the last moment: the plain file is the thread; take the copy back.
      await unlink(to);
      published = false;
      return { outcome: 'skipped', path, reason: 'changed' };
    }
    await unlink(path);
    await syncFolder(dirname(path));
    return {
      outcome: 'compressed',
      from: path,
      to,
      bytesBefore: before.size,
      bytesAfter: (await look(to))?.size ?? 0,
    };
  } catch (error) {
    if (published) await unlink(to).catch(() => undefined);
    if (error instanceof RolloutFileError) throw error;
    if (isMissingError(error) && (await look(path)) === undefined) {
      return { outcome: 'skipped', path, reason: 'gone' };
    }
    throw new RolloutFileError(
      ErrorCode.RolloutUnreadable,
      path,
      `cannot compress it: ${describeErrno(error)}`,
      { cause: error },
    );
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** The length and SHA-256 of what a zstd file decodes to. */
async function decodedDigest(path: string): Promise<{ bytes: number; digest: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const decoder = createZstdDecoder();
  const emit = (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  };
  try {
    for await (const chunk of createReadStream(path)) decoder.push(chunk as Buffer, emit);
    decoder.end(emit);
  } finally {
    decoder.release();
  }
  return { bytes, digest: hash.digest('hex') };
}
