import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

import {
  type Clock,
  InvalidArgumentError,
  isThreadId,
  normalizeThreadId,
} from '@agent-state/state';

import { isMissingError } from '../fs/errno.js';

/**
 * File name of the thread-name index under the home, shared with Codex: append-only JSONL, one
 * `{"id","thread_name","updated_at"}` object per rename, the newest entry wins.
 *
 * @example
 * ```ts
 * const indexPath = join(home, SESSION_INDEX_FILE); // ~/.codex/session_index.jsonl
 * ```
 */
export const SESSION_INDEX_FILE = 'session_index.jsonl';

/** Bytes read per step when scanning the index from its end (Codex's `READ_CHUNK_SIZE`). */
const READ_CHUNK_BYTES = 8192;

const NEWLINE = 0x0a;

/**
 * One line of `session_index.jsonl`, in camelCase. `updatedAt` is kept as written (RFC 3339 UTC).
 *
 * @example
 * ```ts
 * const entry: SessionIndexEntry =
 *   await appendThreadName({ home, threadId, name: 'Fix CI', clock });
 * // { id: '01a1fca2-…', threadName: 'Fix CI', updatedAt: '2026-11-21T05:44:21.704000000Z' }
 * ```
 */
export interface SessionIndexEntry {
  /** Thread id, lowercase. */
  id: string;
  threadName: string;
  updatedAt: string;
}

/**
 * Options of {@link appendThreadName}.
 *
 * @example
 * ```ts
 * const options: AppendThreadNameOptions = { home, threadId, name: 'Fix CI', clock: systemClock };
 * ```
 */
export interface AppendThreadNameOptions {
  home: string;
  threadId: string;
  /** Trimmed before it is stored; must not be empty. */
  name: string;
  /** Source of `updated_at`. */
  clock: Clock;
}

/**
 * Options of {@link findThreadName}.
 *
 * @example
 * ```ts
 * const options: FindThreadNameOptions = { home, threadId };
 * ```
 */
export interface FindThreadNameOptions {
  home: string;
  threadId: string;
}

/**
 * Options of {@link findThreadIdByName}.
 *
 * @example
 * ```ts
 * const options: FindThreadIdByNameOptions = { home, name: 'Fix CI' };
 * ```
 */
export interface FindThreadIdByNameOptions {
  home: string;
  /** Trimmed, then compared exactly (case-sensitive) with the stored names. */
  name: string;
}

/**
 * Options of {@link readThreadNames}.
 *
 * @example
 * ```ts
 * const options: ReadThreadNamesOptions = { home };
 * ```
 */
export interface ReadThreadNamesOptions {
  home: string;
}

/**
 * Normalizes a user-set thread name as Codex does: trims it, and refuses an empty result with
 * an `InvalidArgumentError` (argument `name`).
 *
 * @example
 * ```ts
 * normalizeThreadName('  Fix CI \n'); // 'Fix CI'
 * normalizeThreadName('   '); // throws InvalidArgumentError: invalid name: cannot be empty
 * ```
 */
export function normalizeThreadName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed === '') throw new InvalidArgumentError('name', 'cannot be empty');
  return trimmed;
}

/**
 * Records a user-set thread name: appends one line
 * `{"id":"…","thread_name":"…","updated_at":"<RFC 3339 UTC, nanoseconds>"}` to
 * `<home>/session_index.jsonl` (created when missing). The file is only ever opened for append,
 * never rewritten; if its last line lacks its newline (a torn write), a newline is added first so
 * the new entry stays readable. Returns the entry written.
 *
 * Throws `InvalidArgumentError` for an id that is not a UUID or a name that is empty once trimmed.
 *
 * @example
 * ```ts
 * await appendThreadName({ home, threadId: id, name: 'IDE thread ✓', clock: systemClock });
 * await findThreadName({ home, threadId: id }); // 'IDE thread ✓'
 * ```
 */
export async function appendThreadName(
  options: AppendThreadNameOptions,
): Promise<SessionIndexEntry> {
  const id = normalizeThreadId(options.threadId, 'threadId');
  const threadName = normalizeThreadName(options.name);
  const entry: SessionIndexEntry = {
    id,
    threadName,
    updatedAt: formatIndexTimestamp(options.clock.now()),
  };
  const line = `${JSON.stringify({ id, thread_name: threadName, updated_at: entry.updatedAt })}\n`;
  // 'a+': reads are positional (to check the last byte), writes always land at the end.
  const handle = await open(join(options.home, SESSION_INDEX_FILE), 'a+');
  try {
    const { size } = await handle.stat();
    const needsNewline = size > 0 && (await lastByte(handle, size)) !== NEWLINE;
    // One buffer, so a concurrent appender (Codex) cannot interleave inside the line.
    await handle.appendFile(needsNewline ? `\n${line}` : line, 'utf8');
  } finally {
    await handle.close();
  }
  return entry;
}

/**
 * The current user-set name of a thread: the newest index entry for its id, or `undefined` when
 * there is none, the newest one is empty, or the index does not exist. The file is scanned
 * backwards in 8192-byte chunks (as Codex does), so a lookup costs little even on a long index.
 * Unreadable lines (not JSON, missing fields, invalid UTF-8) are skipped; `\r\n` endings are fine.
 *
 * @example
 * ```ts
 * const name = await findThreadName({ home, threadId: id });
 * console.log(name ?? '(unnamed)');
 * ```
 */
export async function findThreadName(options: FindThreadNameOptions): Promise<string | undefined> {
  const id = normalizeThreadId(options.threadId, 'threadId');
  for await (const entry of sessionIndexNewestFirst(options.home)) {
    if (entry.id === id) return nonEmpty(entry.threadName);
  }
  return undefined;
}

/**
 * The thread named `name`, as Codex's `find_thread_id_by_name` resolves it: the index is scanned
 * from its end and the **latest entry whose name is `name`** wins, whatever the thread was renamed
 * to since. So after naming a thread `foo` and then renaming it `bar`, both `foo` and `bar` find
 * it; and when two threads were named `Same`, the one whose `Same` entry was appended last wins
 * (append order, not `updated_at`). Use {@link findThreadName} for a thread's current name.
 *
 * `name` is trimmed (names are stored trimmed, by Codex and by {@link appendThreadName}); stored
 * names are compared exactly, case-sensitive. `undefined` for an empty name, no match or a
 * missing index.
 *
 * @example
 * ```ts
 * await appendThreadName({ home, threadId: id, name: 'foo', clock });
 * await appendThreadName({ home, threadId: id, name: 'bar', clock });
 * await findThreadIdByName({ home, name: 'bar' }); // id
 * await findThreadIdByName({ home, name: 'foo' }); // id too: its old entry still matches
 * ```
 */
export async function findThreadIdByName(
  options: FindThreadIdByNameOptions,
): Promise<string | undefined> {
  const wanted = typeof options.name === 'string' ? options.name.trim() : '';
  if (wanted === '') return undefined;
  for await (const entry of sessionIndexNewestFirst(options.home)) {
    if (entry.threadName === wanted) return entry.id;
  }
  return undefined;
}

/**
 * Every thread's current name, for listings: a map from thread id to its newest non-empty name
 * (a thread whose newest entry is empty is left out). Empty when the index does not exist.
 *
 * @example
 * ```ts
 * const names = await readThreadNames({ home });
 * for (const thread of page.items) console.log(thread.id, names.get(thread.id) ?? thread.title);
 * ```
 */
export async function readThreadNames(
  options: ReadThreadNamesOptions,
): Promise<Map<string, string>> {
  const seen = new Set<string>();
  const names = new Map<string, string>();
  for await (const entry of sessionIndexNewestFirst(options.home)) {
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    const name = nonEmpty(entry.threadName);
    if (name !== undefined) names.set(entry.id, name);
  }
  return names;
}

/**
 * RFC 3339 UTC with nine fraction digits, like Codex's `2026-11-21T05:44:21.704266811Z`: the
 * clock's milliseconds, plus any sub-millisecond fraction it gives, padded to nanoseconds.
 */
function formatIndexTimestamp(ms: number): string {
  const wholeMs = Math.floor(ms);
  const iso = new Date(wholeMs).toISOString(); // YYYY-MM-DDThh:mm:ss.mmmZ
  const subMsNanos = Math.min(999_999, Math.round((ms - wholeMs) * 1_000_000));
  return `${iso.slice(0, -1)}${String(subMsNanos).padStart(6, '0')}Z`;
}

function nonEmpty(name: string): string | undefined {
  const trimmed = name.trim();
  return trimmed === '' ? undefined : trimmed;
}

async function lastByte(handle: FileHandle, size: number): Promise<number | undefined> {
  const byte = Buffer.alloc(1);
  const { bytesRead } = await handle.read(byte, 0, 1, size - 1);
  return bytesRead === 1 ? byte[0] : undefined;
}

/**
 * The valid entries of the index, newest (last line) first, read backwards in 8192-byte chunks.
 * A line is only decoded once complete, so multi-byte characters split across chunks are intact.
 * A missing index yields nothing. Only the bytes present when the scan starts are read.
 */
async function* sessionIndexNewestFirst(home: string): AsyncGenerator<SessionIndexEntry> {
  let handle: FileHandle;
  try {
    handle = await open(join(home, SESSION_INDEX_FILE), 'r');
  } catch (error) {
    if (isMissingError(error)) return;
    throw error;
  }
  try {
    let remaining = (await handle.stat()).size;
    const chunk = Buffer.alloc(READ_CHUNK_BYTES);
    // Pieces of the line being assembled (it ends where the previous chunk began), left to right.
    let pending: Buffer[] = [];
    while (remaining > 0) {
      const size = Math.min(remaining, READ_CHUNK_BYTES);
      remaining -= size;
      if (!(await readFully(handle, chunk, size, remaining))) return; // the file shrank under us
      let end = size;
      let newline = chunk.lastIndexOf(NEWLINE, end - 1);
      while (newline !== -1) {
        const entry = parseIndexLine(Buffer.concat([chunk.subarray(newline + 1, end), ...pending]));
        pending = [];
        if (entry) yield entry;
        end = newline;
        newline = end > 0 ? chunk.lastIndexOf(NEWLINE, end - 1) : -1;
      }
      if (end > 0) pending.unshift(Buffer.from(chunk.subarray(0, end)));
    }
    const first = parseIndexLine(Buffer.concat(pending));
    if (first) yield first;
  } finally {
    await handle.close();
  }
}

async function readFully(
  handle: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<boolean> {
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, position + offset);
    if (bytesRead === 0) return false;
    offset += bytesRead;
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One line of the index; `undefined` when it is blank or not a valid entry (Codex skips those). */
function parseIndexLine(bytes: Buffer): SessionIndexEntry | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  if (text.endsWith('\r')) text = text.slice(0, -1);
  text = text.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, thread_name: threadName, updated_at: updatedAt } = value as Record<string, unknown>;
  // Codex needs all three fields (serde) and a parsable id; so do we.
  if (typeof id !== 'string' || !isThreadId(id)) return undefined;
  if (typeof threadName !== 'string' || typeof updatedAt !== 'string') return undefined;
  return { id: id.toLowerCase(), threadName, updatedAt };
}
