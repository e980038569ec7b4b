import { open } from 'node:fs/promises';

import { unreadableRollout } from '../errors.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import type { SessionMeta } from '../protocol/session-meta.js';
import { LineSplitter, type SplitLine } from './line-splitter.js';
import { RolloutDecoder } from './rollout-decoder.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  IssueLog,
  type RolloutIssue,
  decodeLine,
} from './rollout-issues.js';
import type { ZstdDecoderKind } from './zstd-decoder.js';

/**
 * Options of {@link readRollout}.
 *
 * @example
 * ```ts
 * const options: ReadRolloutOptions = { maxLineBytes: 8 * 1024 * 1024, signal: AbortSignal.timeout(5_000) };
 * const reader = readRollout(path, options);
 * ```
 */
export interface ReadRolloutOptions {
  /** Longest line read, bytes (default 64 MiB); longer lines are skipped and reported. */
  maxLineBytes?: number | undefined;
  /** Read size, bytes (default 256 KiB). */
  chunkBytes?: number | undefined;
  /** Stops reading when aborted. */
  signal?: AbortSignal | undefined;
  /** zstd implementation for compressed rollouts (default: native when it loads, else JS). */
  zstdDecoder?: ZstdDecoderKind | undefined;
}

/**
 * One line read from a rollout, with its 1-based line number.
 *
 * @example
 * ```ts
 * for await (const { lineNumber, line } of readRollout(path)) console.log(lineNumber, line.type);
 * ```
 */
export interface RolloutEntry {
  lineNumber: number;
  line: RolloutLine;
}

/**
 * A streaming reader of one rollout: iterate it for the valid lines in order; afterwards
 * `issues` / `issueCount` tell what was skipped (blank lines are skipped silently and counted in
 * `blankLines`). The file is read in chunks, never whole; a line longer than the limit is skipped
 * without being buffered; a truncated last line costs only that line. A compressed rollout
 * (`.jsonl.zst`) is decompressed as it streams; damaged compressed data throws a
 * `RolloutFileError` naming the file and the compressed byte offset, after the lines before it.
 *
 * @example
 * ```ts
 * const reader = readRollout(path);
 * for await (const { line } of reader) if (line.type === 'event_msg') handle(line.payload);
 * if (reader.issueCount > 0) console.warn(reader.issues);
 * ```
 */
export class RolloutReader implements AsyncIterable<RolloutEntry> {
  readonly path: string;
  readonly #options: ReadRolloutOptions;
  readonly #log = new IssueLog(100);
  #blankLines = 0;
  #lines = 0;
  #sessionMeta: SessionMeta | undefined;

  /** @internal Use {@link readRollout}. */
  constructor(path: string, options: ReadRolloutOptions) {
    this.path = path;
    this.#options = options;
  }

  /**
   * The first problems met (up to 100), with line numbers.
   *
   * @example
   * ```ts
   * for await (const entry of reader) handle(entry);
   * for (const issue of reader.issues) console.warn(`${path}:${issue.line}: ${issue.message}`);
   * ```
   */
  get issues(): readonly RolloutIssue[] {
    return this.#log.issues;
  }

  /**
   * How many lines were skipped or repaired in all.
   *
   * @example
   * ```ts
   * for await (const entry of reader) handle(entry);
   * if (reader.issueCount > 0) console.warn(`${path}: ${reader.issueCount} bad lines`);
   * ```
   */
  get issueCount(): number {
    return this.#log.count;
  }

  /**
   * Blank lines skipped.
   *
   * @example
   * ```ts
   * for await (const entry of reader) handle(entry);
   * console.log(`${reader.blankLines} blank lines skipped`);
   * ```
   */
  get blankLines(): number {
    return this.#blankLines;
  }

  /**
   * Lines read so far, valid or not (blank, malformed, cut short): after a full read, the number
   * of the file's last line, so that a line appended next is line `lines + 1`.
   *
   * @example
   * ```ts
   * const reader = readRollout(path);
   * for await (const _ of reader);
   * console.log(`${reader.lines} lines`);
   * ```
   */
  get lines(): number {
    return this.#lines;
  }

  /**
   * The canonical (first) `session_meta` seen so far.
   *
   * @example
   * ```ts
   * const reader = readRollout(path);
   * for await (const { line } of reader) if (line.type === 'session_meta') break;
   * console.log(reader.sessionMeta?.id, reader.sessionMeta?.cwd);
   * ```
   */
  get sessionMeta(): SessionMeta | undefined {
    return this.#sessionMeta;
  }

  /**
   * Opens the file and yields its valid lines in order, reading it in chunks. Throws
   * `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming the file and why: `no such file`,
   * `permission denied`, `is a directory`, …) when the file cannot be opened or read.
   *
   * @example
   * ```ts
   * for await (const { lineNumber, line } of readRollout(path)) console.log(lineNumber, line.type);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<RolloutEntry> {
    const chunkBytes = this.#options.chunkBytes ?? 256 * 1024;
    const splitter = new LineSplitter({
      maxLineBytes: this.#options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    });
    const ready: RolloutEntry[] = [];
    const onLine = (split: SplitLine) => {
      this.#lines = split.lineNumber;
      if (!split.overlong && split.bytes.length === 0) {
        this.#blankLines += 1;
        return;
      }
      const line = decodeLine(split, this.#log);
      if (!line) return;
      if (line.type === 'session_meta') this.#sessionMeta ??= line.payload;
      ready.push({ lineNumber: split.lineNumber, line });
    };

    const decoder = new RolloutDecoder(this.path, { zstdDecoder: this.#options.zstdDecoder });
    const feed = (bytes: Buffer) => splitter.push(bytes, onLine);
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      throw unreadableRollout(this.path, error);
    }
    try {
      for (;;) {
        this.#options.signal?.throwIfAborted();
        const chunk = Buffer.allocUnsafe(chunkBytes);
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(chunk, 0, chunkBytes, null));
        } catch (error) {
          // A directory opens fine on Linux and fails here with EISDIR.
          throw unreadableRollout(this.path, error);
        }
        if (bytesRead === 0) break;
        decoder.push(chunk.subarray(0, bytesRead), feed);
        yield* ready.splice(0);
      }
      decoder.end(feed);
      splitter.end(onLine);
      yield* ready.splice(0);
    } finally {
      decoder.release();
      await handle.close();
    }
  }
}

/**
 * Reads a rollout line by line (see {@link RolloutReader}).
 *
 * @example
 * ```ts
 * const reader = readRollout('/home/me/.codex/sessions/2026/11/21/rollout-….jsonl');
 * let userMessages = 0;
 * for await (const { line } of reader) {
 *   if (line.type === 'event_msg' && line.payload.type === 'user_message') userMessages += 1;
 * }
 * ```
 */
export function readRollout(path: string, options: ReadRolloutOptions = {}): RolloutReader {
  return new RolloutReader(path, options);
}

/**
 * Reads a whole rollout into memory (lines, not bytes): every valid line, the canonical
 * `session_meta`, and the issues. For resuming a thread or inspecting one; prefer
 * {@link readRollout} for large files.
 *
 * @example
 * ```ts
 * const { sessionMeta, entries } = await loadRollout(path);
 * ```
 */
export async function loadRollout(
  path: string,
  options: ReadRolloutOptions = {},
): Promise<{
  sessionMeta: SessionMeta | undefined;
  entries: RolloutEntry[];
  issues: readonly RolloutIssue[];
  issueCount: number;
}> {
  const reader = readRollout(path, options);
  const entries: RolloutEntry[] = [];
  for await (const entry of reader) entries.push(entry);
  return {
    sessionMeta: reader.sessionMeta,
    entries,
    issues: reader.issues,
    issueCount: reader.issueCount,
  };
}
