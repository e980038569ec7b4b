/**
 * Byte-budget truncation that never splits a UTF-8 character: the head ends at a character
 * start, the tail begins at one, and a marker sits between them.
 */

/**
 * Result of {@link truncateMiddleUtf8}.
 *
 * @example
 * ```ts
 * const { text, truncated, omittedBytes }: TruncatedText = truncateMiddleUtf8(long, { maxBytes: 1_000, marker: '\n[…]\n' });
 * ```
 */
export interface TruncatedText {
  /** The text, at most `maxBytes` UTF-8 bytes long. */
  text: string;
  /** True when bytes were cut out (and the marker inserted). */
  truncated: boolean;
  /** UTF-8 bytes of the input that are not in `text` (0 when not truncated). */
  omittedBytes: number;
}

/**
 * Options of {@link truncateMiddleUtf8} and of the streaming head/tail collector.
 *
 * @example
 * ```ts
 * const options: TruncateMiddleOptions = { maxBytes: 300_000, marker: '\n\n[… cut …]\n\n', headShare: 1 / 2 };
 * ```
 */
export interface TruncateMiddleOptions {
  /** Budget for the whole result, marker included, in UTF-8 bytes. */
  maxBytes: number;
  /** Inserted where bytes were cut out. Must be shorter than `maxBytes`. */
  marker: string;
  /** Share of the budget (after the marker) given to the head; the tail gets the rest. Default 1/2. */
  headShare?: number | undefined;
}

/**
 * Keeps the head and the tail of `text` within `maxBytes` UTF-8 bytes, with `marker` in the
 * middle; text that fits is returned as is. The budget covers the marker: head =
 * ⌊(maxBytes − marker bytes) × headShare⌋, tail = the rest, and the cuts move inwards to the
 * nearest character boundary, so the result is valid UTF-8 and never longer than `maxBytes`.
 *
 * @example
 * ```ts
 * truncateMiddleUtf8('aaaa€€€€zzzz', { maxBytes: 9, marker: '…' }).text; // 'aaa…zzz'
 * ```
 */
export function truncateMiddleUtf8(text: string, options: TruncateMiddleOptions): TruncatedText {
  const collector = new HeadTailCollector(options);
  collector.push(text);
  return collector.finish();
}

/**
 * Collects text pushed piece by piece and keeps only what a head+tail truncation to the budget
 * needs: the first `head` bytes and a rolling window of at most `maxBytes − head` later bytes.
 * Memory stays within the budget however much is pushed. Internal to this package.
 *
 * @example
 * ```ts
 * const collector = new HeadTailCollector({ maxBytes: 100_000, marker: '\n[…]\n', headShare: 1 / 3 });
 * for await (const block of blocks) collector.push(block);
 * const { text, truncated } = collector.finish();
 * ```
 */
export class HeadTailCollector {
  readonly #maxBytes: number;
  readonly #marker: Buffer;
  readonly #headLimit: number;
  readonly #tailCapacity: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #totalBytes = 0;

  /**
   * Throws a `RangeError` when `maxBytes` cannot hold the marker or `headShare` is outside [0, 1].
   *
   * @example
   * ```ts
   * new HeadTailCollector({ maxBytes: 1_000, marker: '[…]' });
   * ```
   */
  constructor(options: TruncateMiddleOptions) {
    const { maxBytes, marker } = options;
    const headShare = options.headShare ?? 0.5;
    this.#marker = Buffer.from(marker, 'utf8');
    if (!Number.isInteger(maxBytes) || maxBytes <= this.#marker.length) {
      throw new RangeError(
        `maxBytes must be an integer larger than the marker (${this.#marker.length} bytes), got ${String(maxBytes)}`,
      );
    }
    if (!(headShare >= 0 && headShare <= 1)) {
      throw new RangeError(`headShare must be within [0, 1], got ${String(headShare)}`);
    }
    this.#maxBytes = maxBytes;
    this.#headLimit = Math.floor((maxBytes - this.#marker.length) * headShare);
    this.#tailCapacity = maxBytes - this.#headLimit;
  }

  /**
   * UTF-8 bytes pushed so far.
   *
   * @example
   * ```ts
   * collector.push('€'); // collector.totalBytes grows by 3
   * ```
   */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /**
   * Appends text.
   *
   * @example
   * ```ts
   * collector.push('[user]\nhello');
   * ```
   */
  push(text: string): void {
    if (text === '') return;
    let bytes = Buffer.from(text, 'utf8');
    this.#totalBytes += bytes.length;
    if (this.#headBytes < this.#headLimit) {
      const take = Math.min(this.#headLimit - this.#headBytes, bytes.length);
      this.#head.push(bytes.subarray(0, take));
      this.#headBytes += take;
      bytes = bytes.subarray(take);
    }
    if (bytes.length === 0) return;
    this.#tail.push(bytes);
    this.#tailBytes += bytes.length;
    this.#trimTail();
  }

  /**
   * The collected text, truncated with the marker when it exceeds the budget.
   *
   * @example
   * ```ts
   * const { text, truncated, omittedBytes } = collector.finish();
   * ```
   */
  finish(): TruncatedText {
    const head = Buffer.concat(this.#head, this.#headBytes);
    const tail = Buffer.concat(this.#tail, this.#tailBytes);
    if (this.#totalBytes <= this.#maxBytes) {
      // Decode once: the head/tail split may fall inside a character.
      const whole = Buffer.concat([head, tail]).toString('utf8');
      return { text: whole, truncated: false, omittedBytes: 0 };
    }
    // Over budget: the head holds exactly headLimit bytes, the tail more than it may keep.
    const headEnd = charStartAtOrBefore(head, this.#headLimit);
    const tailBudget = this.#maxBytes - this.#marker.length - this.#headLimit;
    const tailStart = charStartAtOrAfter(tail, tail.length - tailBudget);
    const kept = headEnd + (tail.length - tailStart);
    return {
      text:
        head.subarray(0, headEnd).toString('utf8') +
        this.#marker.toString('utf8') +
        tail.subarray(tailStart).toString('utf8'),
      truncated: true,
      omittedBytes: this.#totalBytes - kept,
    };
  }

  #trimTail(): void {
    let excess = this.#tailBytes - this.#tailCapacity;
    if (excess <= 0) return;
    let drop = 0;
    while (excess > 0) {
      const first = this.#tail[drop];
      if (!first) break;
      if (first.length <= excess) {
        excess -= first.length;
        this.#tailBytes -= first.length;
        drop += 1;
      } else {
        this.#tail[drop] = first.subarray(excess);
        this.#tailBytes -= excess;
        excess = 0;
      }
    }
    if (drop > 0) this.#tail = this.#tail.slice(drop);
  }
}

/** True for the continuation bytes (`10xxxxxx`) of a multi-byte UTF-8 character. */
function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * The largest character start ≤ `index`: cutting there keeps whole characters before it.
 *
 * @example
 * ```ts
 * charStartAtOrBefore(Buffer.from('a€'), 2); // 1 ('€' is 3 bytes starting at 1)
 * ```
 */
export function charStartAtOrBefore(bytes: Uint8Array, index: number): number {
  if (index >= bytes.length) return completeLength(bytes);
  let at = Math.max(0, index);
  while (at > 0 && isContinuation(bytes[at])) at -= 1;
  return at;
}

/**
 * Length of `bytes` without a last character that is cut short (`bytes` may be the prefix of a
 * longer text, so the byte after the end cannot be looked at).
 */
function completeLength(bytes: Uint8Array): number {
  let lead = bytes.length - 1;
  while (lead > 0 && bytes.length - lead < 4 && isContinuation(bytes[lead])) lead -= 1;
  const first = bytes[lead];
  if (first === undefined) return 0;
  const expected = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return lead + expected <= bytes.length ? bytes.length : lead;
}

/**
 * The smallest character start ≥ `index`: cutting there keeps whole characters after it.
 *
 * @example
 * ```ts
 * charStartAtOrAfter(Buffer.from('a€b'), 2); // 4 (the 'b')
 * ```
 */
export function charStartAtOrAfter(bytes: Uint8Array, index: number): number {
  let at = Math.max(0, Math.min(index, bytes.length));
  while (at < bytes.length && isContinuation(bytes[at])) at += 1;
  return at;
}
