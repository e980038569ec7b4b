import { ErrorCode } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import { isCompressedRolloutPath } from '../paths/rollout-paths.js';
import {
  type ZstdDecoderKind,
  ZstdDataError,
  type ZstdStreamDecoder,
  createZstdDecoder,
} from './zstd-decoder.js';

/** The first four bytes of every zstd frame (`28 b5 2f fd`). */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/**
 * Turns the bytes of a rollout file into the bytes of its JSONL, chunk by chunk: a plain rollout
 * passes through untouched; a compressed one (`.jsonl.zst`, or any rollout that starts with the
 * zstd magic) is decompressed as it streams, frames back to back, with bounded memory. Damaged
 * compressed data throws a `RolloutFileError` (`ROLLOUT_UNREADABLE`) naming the file and the
 * compressed byte offset. Every reader of rollout bytes goes through one of these.
 */
export class RolloutDecoder {
  readonly #path: string;
  readonly #kind: ZstdDecoderKind | undefined;
  #zstd: ZstdStreamDecoder | undefined;
  /** Leading bytes of a plain-named file held until its first four bytes tell its format. */
  #sniff: Buffer | undefined;
  #plain = false;

  constructor(path: string, options: { zstdDecoder?: ZstdDecoderKind | undefined } = {}) {
    this.#path = path;
    this.#kind = options.zstdDecoder;
    if (isCompressedRolloutPath(path)) this.#zstd = createZstdDecoder(this.#kind);
  }

  /** Whether the file turned out to be compressed (known after the first bytes). */
  get compressed(): boolean {
    return this.#zstd !== undefined;
  }

  /** Feeds bytes read from the file; `emit` receives JSONL bytes (reused memory: copy to keep). */
  push(chunk: Buffer, emit: (bytes: Buffer) => void): void {
    if (this.#plain) {
      emit(chunk);
      return;
    }
    if (!this.#zstd) {
      const head = this.#sniff ? Buffer.concat([this.#sniff, chunk]) : chunk;
      if (head.length < ZSTD_MAGIC.length) {
        this.#sniff = Buffer.from(head);
        return;
      }
      this.#sniff = undefined;
      if (head.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
        this.#zstd = createZstdDecoder(this.#kind);
      } else {
        this.#plain = true;
        emit(head);
        return;
      }
      chunk = head;
    }
    this.#decode(() => this.#zstd!.push(chunk, emit));
  }

  /**
   * Gives a compressed file's decoder memory back for the next file (idempotent). Readers call it
   * in `finally`, so a read that stops early or fails releases it too; {@link end} does it itself.
   */
  release(): void {
    this.#zstd?.release();
  }

  /** Ends the file: flushes what is held; throws when a compressed file stops inside a frame. */
  end(emit: (bytes: Buffer) => void): void {
    if (this.#sniff) emit(this.#sniff);
    this.#sniff = undefined;
    if (this.#zstd) this.#decode(() => this.#zstd!.end(emit));
  }

  #decode(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (!(error instanceof ZstdDataError)) throw error;
      throw new RolloutFileError(ErrorCode.RolloutUnreadable, this.#path, error.message, {
        offset: error.offset,
        cause: error,
      });
    }
  }
}
