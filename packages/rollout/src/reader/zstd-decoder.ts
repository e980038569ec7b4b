import { createRequire } from 'node:module';

import { Decompress } from 'fzstd';

/**
 * Which zstd implementation decodes compressed rollouts: `native` is libzstd through the optional
 * `zstd-napi` addon (about 1 GB/s here), `js` the pure-JavaScript `fzstd` (about 200 MB/s), used
 * when the addon could not be built or loaded on this machine.
 */
export type ZstdDecoderKind = 'native' | 'js';

/**
 * Damaged zstd data: `offset` is the compressed byte at (or just before) which decoding failed.
 * The readers turn it into a `RolloutFileError` naming the file.
 */
export class ZstdDataError extends Error {
  readonly offset: number;

  constructor(problem: string, offset: number, options: { cause?: unknown } = {}) {
    super(`${problem} (compressed byte ${offset})`, options);
    this.offset = offset;
  }
}

/**
 * A streaming zstd decoder with bounded memory: compressed chunks go in, decompressed chunks come
 * out through `emit` (views of a reused buffer: copy what you keep). Several frames back to back
 * decode as one stream; skippable frames are skipped.
 */
export interface ZstdStreamDecoder {
  /** Feeds compressed bytes (the buffer may be reused after the call). */
  push(chunk: Uint8Array, emit: (bytes: Buffer) => void): void;
  /**
   * Ends the input: throws {@link ZstdDataError} when it stops inside a frame. Releases the
   * decoder either way.
   */
  end(emit: (bytes: Buffer) => void): void;
  /**
   * Gives the decoder's memory back for the next decoder of this thread (idempotent; the decoder
   * is unusable after). A reader that stops early calls it; `end` does it itself.
   */
  release(): void;
}

/** Size of the decoder's output buffer: what one `emit` hands out at most. */
const OUTPUT_BYTES = 256 * 1024;

/** The `zstd-napi` binding's streaming context (only the methods used here). */
interface NativeDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  reset(directive: number): void;
}

/** The parts of the `zstd-napi` binding used here. */
interface NativeBinding {
  DCtx: new () => NativeDCtx;
  /** `ZSTD_ResetDirective` values; `sessionOnly` abandons a frame and keeps the memory. */
  ResetDirective: { sessionOnly: number };
}

let nativeBinding: NativeBinding | null | undefined;

/** A native context with its output buffer, kept for reuse between the files of a thread. */
interface NativeSlot {
  ctx: NativeDCtx;
  out: Buffer;
}

/**
 * Released native contexts of this thread. Reusing them keeps libzstd's window buffers (up to a
 * few MB each) allocated once per thread instead of once per file, which is what kept the peak
 * RSS of a compressed backfill high: freed and re-allocated windows fragment the heap.
 */
const nativeSlots: NativeSlot[] = [];
const MAX_POOLED_SLOTS = 4;

/** The native binding, or `null` when `zstd-napi` is not installed or does not load here. */
function loadNative(): NativeBinding | null {
  if (nativeBinding !== undefined) return nativeBinding;
  try {
    const require = createRequire(import.meta.url);
    nativeBinding = require('zstd-napi/binding') as NativeBinding;
  } catch {
    nativeBinding = null;
  }
  return nativeBinding;
}

/**
 * The decoder kind {@link createZstdDecoder} uses by default: `native` when `zstd-napi` loads.
 *
 * @example
 * ```ts
 * logger.debug(`compressed rollouts decode with the ${defaultZstdDecoderKind()} zstd decoder`);
 * ```
 */
export function defaultZstdDecoderKind(): ZstdDecoderKind {
  return loadNative() ? 'native' : 'js';
}

/**
 * A new streaming zstd decoder of the given kind (default: {@link defaultZstdDecoderKind}).
 *
 * @example
 * ```ts
 * const decoder = createZstdDecoder();
 * decoder.push(compressedChunk, (bytes) => splitter.push(bytes, onLine));
 * decoder.end((bytes) => splitter.push(bytes, onLine));
 * ```
 */
export function createZstdDecoder(
  kind: ZstdDecoderKind = defaultZstdDecoderKind(),
): ZstdStreamDecoder {
  const native = kind === 'native' ? loadNative() : null;
  if (kind === 'native' && !native)
    throw new Error('the native zstd decoder (zstd-napi) is not available');
  return native ? new NativeDecoder(native) : new JsDecoder();
}

class NativeDecoder implements ZstdStreamDecoder {
  #slot: NativeSlot | undefined;
  readonly #resetSessionOnly: number;
  #consumed = 0;
  /** `decompressStream`'s last hint: 0 when a frame just ended, else bytes still expected. */
  #hint = 0;
  #started = false;

  constructor(binding: NativeBinding) {
    this.#resetSessionOnly = binding.ResetDirective.sessionOnly;
    this.#slot = nativeSlots.pop() ?? {
      ctx: new binding.DCtx(),
      out: Buffer.allocUnsafe(OUTPUT_BYTES),
    };
  }

  get #out(): Buffer {
    return this.#live().out;
  }

  push(chunk: Uint8Array, emit: (bytes: Buffer) => void): void {
    let src = chunk;
    while (src.length > 0) {
      this.#started = true;
      const [hint, produced, used] = this.#step(src);
      this.#hint = hint;
      this.#consumed += used;
      src = src.subarray(used);
      if (produced > 0) emit(this.#out.subarray(0, produced));
      // The output buffer was full: the decoder may hold more output for the same input.
      if (produced === OUTPUT_BYTES) this.#drain(emit);
    }
  }

  end(emit: (bytes: Buffer) => void): void {
    try {
      this.#drain(emit);
      if (!this.#started) throw new ZstdDataError('no zstd frame (empty data)', 0);
      if (this.#hint !== 0) throw new ZstdDataError('truncated zstd frame', this.#consumed);
    } finally {
      this.release();
    }
  }

  release(): void {
    const slot = this.#slot;
    if (!slot) return;
    this.#slot = undefined;
    if (nativeSlots.length >= MAX_POOLED_SLOTS) return;
    try {
      slot.ctx.reset(this.#resetSessionOnly);
    } catch {
      return; // a context that cannot be reset is left to the garbage collector
    }
    nativeSlots.push(slot);
  }

  #live(): NativeSlot {
    if (!this.#slot) throw new Error('this zstd decoder was released');
    return this.#slot;
  }

  #drain(emit: (bytes: Buffer) => void): void {
    for (;;) {
      const [hint, produced] = this.#step(new Uint8Array(0));
      if (produced > 0) {
        this.#hint = hint;
        emit(this.#out.subarray(0, produced));
      }
      if (produced < OUTPUT_BYTES) return;
    }
  }

  #step(src: Uint8Array): [number, number, number] {
    try {
      const slot = this.#live();
      return slot.ctx.decompressStream(slot.out, src);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ZstdDataError(`damaged zstd data: ${reason}`, this.#consumed, { cause: error });
    }
  }
}

class JsDecoder implements ZstdStreamDecoder {
  readonly #stream: Decompress;
  #emit: ((bytes: Buffer) => void) | undefined;
  #consumed = 0;
  #started = false;

  constructor() {
    this.#stream = new Decompress((data) => {
      this.#emit?.(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
  }

  push(chunk: Uint8Array, emit: (bytes: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.#started = true;
    // fzstd keeps a reference to unconsumed input: hand it a copy the caller cannot reuse.
    this.#run(Uint8Array.prototype.slice.call(chunk), false, emit);
    this.#consumed += chunk.length;
  }

  end(emit: (bytes: Buffer) => void): void {
    if (!this.#started) throw new ZstdDataError('no zstd frame (empty data)', 0);
    this.#run(new Uint8Array(0), true, emit);
  }

  release(): void {
    // fzstd holds nothing worth keeping: its buffers go with the decoder.
  }

  #run(chunk: Uint8Array, final: boolean, emit: (bytes: Buffer) => void): void {
    this.#emit = emit;
    try {
      this.#stream.push(chunk, final);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const problem =
        final && /unexpected EOF/i.test(reason)
          ? 'truncated zstd frame'
          : `damaged zstd data: ${reason}`;
      throw new ZstdDataError(problem, this.#consumed, { cause: error });
    } finally {
      this.#emit = undefined;
    }
  }
}
