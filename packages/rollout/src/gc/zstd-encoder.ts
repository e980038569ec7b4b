import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';

/** zstd's level for rollouts, as Codex compresses them. */
export const ROLLOUT_ZSTD_LEVEL = 3;

/** The parts of `zstd-napi` used here: its compressing transform stream. */
interface ZstdNapi {
  CompressStream: new (parameters?: { compressionLevel?: number }) => Transform;
}

/** Node's own zstd (22.15 and later), when this Node has it. */
interface ZlibWithZstd {
  createZstdCompress?: (options: { params: Record<number, number> }) => Transform;
  constants: { ZSTD_c_compressionLevel?: number };
}

let napi: ZstdNapi | null | undefined;

function loadNapi(): ZstdNapi | null {
  if (napi !== undefined) return napi;
  try {
    napi = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
  } catch {
    napi = null;
  }
  return napi;
}

/**
 * A transform stream that compresses to one zstd frame at `level`: libzstd through the optional
 * `zstd-napi` addon, else Node's own zstd (22.15+); `undefined` when neither is here (the gc then
 * says compression is unavailable).
 */
export function createZstdCompressStream(level = ROLLOUT_ZSTD_LEVEL): Transform | undefined {
  const addon = loadNapi();
  if (addon) return new addon.CompressStream({ compressionLevel: level });
  const own = zlib as unknown as ZlibWithZstd;
  const levelParam = own.constants.ZSTD_c_compressionLevel;
  if (own.createZstdCompress && levelParam !== undefined) {
    return own.createZstdCompress({ params: { [levelParam]: level } });
  }
  return undefined;
}
