/** Flags of one line produced by {@link LineSplitter}. */
export interface SplitLine {
  /** 1-based line number in the file. */
  lineNumber: number;
  /** The line's bytes without the newline (and without a trailing `\r`); empty when `overlong`. */
  bytes: Buffer;
  /** The line was longer than the limit: its bytes were skipped, never buffered. */
  overlong: boolean;
  /** The file ended without a newline after this line (a writer may have crashed mid-line). */
  unterminated: boolean;
  /** Length of the line in bytes (also for overlong lines). */
  length: number;
  /** For overlong lines, their first bytes (enough to tell the line's type). */
  head?: Buffer;
}

const HEAD_BYTES = 256;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines, chunk by chunk, with bounded memory: a line longer than
 * `maxLineBytes` is skipped as it streams by (reported as overlong) instead of being buffered.
 * Lines that lie within one chunk are handed out as zero-copy views of that chunk.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #overlong = false;
  #head: Buffer | undefined;
  #lineNumber = 0;

  constructor(options: { maxLineBytes: number }) {
    this.#maxLineBytes = options.maxLineBytes;
  }

  /** Feeds one chunk; calls `emit` for every line it completes. */
  push(chunk: Buffer, emit: (line: SplitLine) => void): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.#hold(chunk.subarray(start));
        return;
      }
      this.#finish(chunk.subarray(start, end), false, emit);
      start = end + 1;
    }
  }

  /** Ends the stream: emits the last line when the file does not end with a newline. */
  end(emit: (line: SplitLine) => void): void {
    if (this.#pendingBytes > 0 || this.#overlong) this.#finish(Buffer.alloc(0), true, emit);
  }

  #hold(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#overlong) {
      this.#pendingBytes += part.length;
      return;
    }
    if (this.#pendingBytes + part.length > this.#maxLineBytes) {
      this.#overlong = true;
      this.#head = Buffer.concat([...this.#pending, part.subarray(0, HEAD_BYTES)]).subarray(
        0,
        HEAD_BYTES,
      );
      this.#pending = [];
      this.#pendingBytes += part.length;
      return;
    }
    // Copy: the caller may reuse the chunk's memory for the next read.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
  }

  #finish(tail: Buffer, unterminated: boolean, emit: (line: SplitLine) => void): void {
    this.#lineNumber += 1;
    const length = this.#pendingBytes + tail.length;
    if (this.#overlong || length > this.#maxLineBytes) {
      const head =
        this.#head ??
        Buffer.from(
          Buffer.concat([...this.#pending, tail.subarray(0, HEAD_BYTES)]).subarray(0, HEAD_BYTES),
        );
      emit({
        lineNumber: this.#lineNumber,
        bytes: Buffer.alloc(0),
        overlong: true,
        unterminated,
        length,
        head,
      });
    } else {
      let bytes = this.#pending.length === 0 ? tail : Buffer.concat([...this.#pending, tail]);
      if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) {
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      emit({ lineNumber: this.#lineNumber, bytes, overlong: false, unterminated, length });
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#overlong = false;
    this.#head = undefined;
  }
}
