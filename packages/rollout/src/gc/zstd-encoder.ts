import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

/** zstd's level for rollouts, as Codex compresses them. */
export const ROLLOUT_ZSTD_LEVEL = 3;

/**
 * A zstd encoder at a level: whole buffers at once (one context reused between calls), or a
 * transform stream for files too large to hold in memory. Each writes one frame.
 */
export interface ZstdEncoder {
  compress(data: Uint8Array): Buffer;
  stream(): Transform;
}

/** The parts of `zstd-napi` used here. */
interface ZstdNapi {
  Compressor: new () => {
    setParameters(parameters: { compressionLevel?: number }): void;
    compress(data: Uint8Array): Buffer;
  };
  CompressStream: new (parameters?: { compressionLevel?: number }) => Transform;
}

/** Node's own zstd (22.15 and later), when this Node has it. */
interface ZlibWithZstd {
  zstdCompressSync?: (data: Uint8Array, options: { params: Record<number, number> }) => Buffer;
  createZstdCompress?: (options: { params: Record<number, number> }) => Transform;
  constants: { ZSTD_c_compressionLevel?: number };
}

let encoder: ZstdEncoder | null | undefined;

/**
 * The zstd encoder at level 3: libzstd through the optional `zstd-napi` addon, else Node's own
 * zstd (22.15+); `undefined` when neither is here (the gc then says compression is unavailable).
 */
export function zstdEncoder(): ZstdEncoder | undefined {
  if (encoder === undefined) encoder = loadNapi() ?? loadNodeZstd() ?? null;
  return encoder ?? undefined;
}

function loadNapi(): ZstdEncoder | undefined {
  let addon: ZstdNapi;
  try {
    addon = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
  } catch {
    return undefined;
  }
  const context = new addon.Compressor();
  context.setParameters({ compressionLevel: ROLLOUT_ZSTD_LEVEL });
  return {
    compress: (data) => context.compress(data),
    stream: () => new addon.CompressStream({ compressionLevel: ROLLOUT_ZSTD_LEVEL }),
  };
}

function loadNodeZstd(): ZstdEncoder | undefined {
  const own = zlib as unknown as ZlibWithZstd;
  const level = own.constants.ZSTD_c_compressionLevel;
  const { zstdCompressSync, createZstdCompress } = own;
  if (level === undefined || !zstdCompressSync || !createZstdCompress) return undefined;
  const params = { [level]: ROLLOUT_ZSTD_LEVEL };
  return {
    compress: (data) => zstdCompressSync(data, { params }),
    stream: () => createZstdCompress({ params }),
  };
}
