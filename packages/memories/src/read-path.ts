import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

import { InvalidArgumentError } from '@agent-state/state';

import { MEMORY_SUMMARY_FILE } from './layout/memory-layout.js';
import { charStartAtOrAfter, charStartAtOrBefore } from './phase1/truncate-utf8.js';

/**
 * Default cap of the memory summary given to a new session, in estimated tokens.
 *
 * @example
 * ```ts
 * const summary = await readMemorySummary({ root, maxTokens: DEFAULT_MEMORY_SUMMARY_MAX_TOKENS });
 * ```
 */
export const DEFAULT_MEMORY_SUMMARY_MAX_TOKENS = 5_000;

/**
 * UTF-8 bytes per token assumed by {@link estimateTokens}.
 *
 * @example
 * ```ts
 * const maxBytes = maxTokens * APPROX_BYTES_PER_TOKEN;
 * ```
 */
export const APPROX_BYTES_PER_TOKEN = 4;

/**
 * A cheap token estimate: UTF-8 bytes divided by {@link APPROX_BYTES_PER_TOKEN}, rounded up.
 *
 * @example
 * ```ts
 * estimateTokens('hello world'); // 3
 * ```
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / APPROX_BYTES_PER_TOKEN);
}

/**
 * Options of {@link readMemorySummary}.
 *
 * @example
 * ```ts
 * const options: ReadMemorySummaryOptions = { root: memoriesRoot(home), maxTokens: 2_500 };
 * ```
 */
export interface ReadMemorySummaryOptions {
  /** The memories root. */
  root: string;
  /** Cap in estimated tokens (default 5000). */
  maxTokens?: number | undefined;
}

/**
 * The memory summary for a new session's instructions: `<root>/memory_summary.md`, trimmed,
 * capped at `maxTokens` estimated tokens (UTF-8 bytes / 4). A longer summary keeps its
 * head and tail (cut at character boundaries) around a marker saying it was truncated, and
 * only those parts of the file are read. `''` when the file is missing, empty, or not a regular
 * file (a symbolic link is not followed: the read path never injects a file from elsewhere).
 *
 * @example
 * ```ts
 * const summary = await readMemorySummary({ root: memoriesRoot(home), maxTokens: 5_000 });
 * if (summary !== '') instructions.push(`## Memory\n\n${summary}`);
 * ```
 */
export async function readMemorySummary(options: ReadMemorySummaryOptions): Promise<string> {
  const maxTokens = options.maxTokens ?? DEFAULT_MEMORY_SUMMARY_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens <= 0) {
    throw new InvalidArgumentError(
      'maxTokens',
      `expected a positive integer, got ${String(maxTokens)}`,
    );
  }
  const maxBytes = maxTokens * APPROX_BYTES_PER_TOKEN;
  const marker = Buffer.from(
    `\n\n[... memory summary truncated to about ${maxTokens} tokens ...]\n\n`,
    'utf8',
  );

  let handle: FileHandle;
  try {
    // A symbolic link in place of the file fails with ELOOP instead of being followed.
    handle = await open(join(options.root, MEMORY_SUMMARY_FILE), constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return '';
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return '';
    const size = stats.size;
    if (size <= maxBytes + TRIM_SLACK_BYTES) {
      const whole = trimBytes(await readRange(handle, 0, size));
      if (whole.length <= maxBytes) return whole.toString('utf8');
      return cutMiddle(whole, whole, maxBytes, marker);
    }
    // Far too long: read only the two ends.
    const head = trimBytes(await readRange(handle, 0, maxBytes), 'start');
    const tail = trimBytes(await readRange(handle, size - maxBytes, size), 'end');
    return cutMiddle(head, tail, maxBytes, marker);
  } finally {
    await handle.close();
  }
}

/** `O_NOFOLLOW` where the platform has it (not on Windows). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** Whitespace around the summary does not count: files up to this much over the cap are read whole. */
const TRIM_SLACK_BYTES = 64 * 1024;

/**
 * The first half of the budget from `head`, the marker, and the rest of the budget from the end of
 * `tail`, both cut at character boundaries. Without room for the marker, only the head.
 */
function cutMiddle(head: Buffer, tail: Buffer, maxBytes: number, marker: Buffer): string {
  const budget = maxBytes - marker.length;
  if (budget <= 0) return head.subarray(0, charStartAtOrBefore(head, maxBytes)).toString('utf8');
  const headBytes = Math.floor(budget / 2);
  const tailBytes = budget - headBytes;
  const headEnd = charStartAtOrBefore(head, headBytes);
  const tailStart = charStartAtOrAfter(tail, tail.length - tailBytes);
  return Buffer.concat([head.subarray(0, headEnd), marker, tail.subarray(tailStart)]).toString(
    'utf8',
  );
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, end - start));
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** ASCII whitespace trimmed from one or both ends. */
function trimBytes(bytes: Buffer, side: 'both' | 'start' | 'end' = 'both'): Buffer {
  const isSpace = (byte: number | undefined) =>
    byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
  let start = 0;
  let end = bytes.length;
  if (side !== 'end') while (start < end && isSpace(bytes[start])) start += 1;
  if (side !== 'start') while (end > start && isSpace(bytes[end - 1])) end -= 1;
  return bytes.subarray(start, end);
}
