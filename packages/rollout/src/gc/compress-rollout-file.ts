import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, readFile, unlink, utimes, writeFile } from 'node:fs/promises';
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
import { type ZstdEncoder, zstdEncoder } from './zstd-encoder.js';

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
  atimeMs: number;
  ino: number;
}

async function look(path: string): Promise<Seen | undefined> {
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) return undefined;
    return { size: stats.size, mtimeMs: stats.mtimeMs, atimeMs: stats.atimeMs, ino: stats.ino };
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
 * The frame is decoded again and compared with the original (byte for byte, in memory; files
 * over 64 MiB are streamed and compared by length and SHA-256), written to a temporary file and
 * synced, published under its name with a link that never replaces a file, and only
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
    /** @internal Files up to this size are compressed in memory (default 64 MiB). */
    inMemoryBytes?: number | undefined;
  } = {},
): Promise<CompressOutcome> {
  const before = await look(path);
  if (before === undefined) return { outcome: 'skipped', path, reason: 'gone' };
  const to = `${path}${ZSTD_EXTENSION}`;
  if ((await look(to)) !== undefined) {
    return { outcome: 'skipped', path, reason: 'compressed-twin-exists' };
  }
  const encoder = zstdEncoder();
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
    const { readBytes, writtenBytes } =
      before.size <= (hooks.inMemoryBytes ?? IN_MEMORY_BYTES)
        ? await compressInMemory(path, temporary, encoder)
        : await compressStreaming(path, temporary, encoder);
    await syncFile(temporary);
    // In seconds with their fraction: a Date would round the mtime to the millisecond.
    await utimes(temporary, before.atimeMs / 1000, before.mtimeMs / 1000);
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
    published = false; // The compressed file is the thread's only copy now: it stays.
    // Best effort: the rename is done; a folder that cannot be synced changes nothing here.
    await syncFolder(dirname(path)).catch(() => undefined);
    return {
      outcome: 'compressed',
      from: path,
      to,
      bytesBefore: before.size,
      bytesAfter: writtenBytes,
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

/** Files up to this size are read, compressed and checked in memory, larger ones streamed. */
const IN_MEMORY_BYTES = 64 * 1024 * 1024;

/** The error of a compressed copy that does not decode to what was read. */
function notTheOriginal(temporary: string): RolloutFileError {
  return new RolloutFileError(
    ErrorCode.RolloutInvalid,
    temporary,
    'the compressed copy does not decode to the original; nothing was replaced',
  );
}

/**
 * Reads the file whole, compresses it, checks that the frame decodes to the same bytes, and writes
 * it to `temporary`; returns the bytes read.
 */
async function compressInMemory(
  path: string,
  temporary: string,
  encoder: ZstdEncoder,
): Promise<{ readBytes: number; writtenBytes: number }> {
  const data = await readFile(path);
  const compressed = encoder.compress(data);
  let offset = 0;
  let equal = true;
  const decoder = createZstdDecoder();
  const compare = (chunk: Buffer) => {
    equal &&= data.subarray(offset, offset + chunk.length).equals(chunk);
    offset += chunk.length;
  };
  try {
    decoder.push(compressed, compare);
    decoder.end(compare);
  } finally {
    decoder.release();
  }
  if (!equal || offset !== data.length) throw notTheOriginal(temporary);
  await writeFile(temporary, compressed, { flag: 'wx' });
  return { readBytes: data.length, writtenBytes: compressed.length };
}

/**
 * Streams the file through the encoder into `temporary`, then decodes that file and compares its
 * length and SHA-256 with what was read; returns the bytes read.
 */
async function compressStreaming(
  path: string,
  temporary: string,
  encoder: ZstdEncoder,
): Promise<{ readBytes: number; writtenBytes: number }> {
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
    encoder.stream(),
    createWriteStream(temporary, { flags: 'wx' }),
  );
  const decoded = await decodedDigest(temporary);
  if (decoded.bytes !== readBytes || decoded.digest !== read.digest('hex')) {
    throw notTheOriginal(temporary);
  }
  return { readBytes, writtenBytes: (await lstat(temporary)).size };
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
