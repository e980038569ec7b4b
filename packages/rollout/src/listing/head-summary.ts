import { open } from 'node:fs/promises';

import { isThreadId } from '@agent-state/state';

import { unreadableRollout } from '../errors.js';
import { enumToString, subAgentFactsOf, userInputOfEvent } from '../extract/metadata-applier.js';
import { stripUserMessagePrefix } from '../extract/user-message.js';
import type { SessionMeta } from '../protocol/session-meta.js';
import { LineSplitter, type SplitLine } from '../reader/line-splitter.js';
import { type PeekedLine, peekLine } from '../reader/line-peek.js';
import { RolloutDecoder } from '../reader/rollout-decoder.js';
import { DEFAULT_MAX_LINE_BYTES, IssueLog, decodeLine } from '../reader/rollout-issues.js';

/**
 * Lines of a rollout's head that {@link readHeadSummary} reads at most (blank lines not counted).
 *
 * @example
 * ```ts
 * const summary = await readHeadSummary(path);
 * summary.linesScanned <= HEAD_RECORD_LIMIT + USER_EVENT_SCAN_LIMIT; // true
 * ```
 */
export const HEAD_RECORD_LIMIT = 10;

/**
 * Extra lines {@link readHeadSummary} reads past {@link HEAD_RECORD_LIMIT} when it has seen a
 * `session_meta` but no user message yet.
 *
 * @example
 * ```ts
 * const maxLines = HEAD_RECORD_LIMIT + USER_EVENT_SCAN_LIMIT; // 210
 * ```
 */
export const USER_EVENT_SCAN_LIMIT = 200;

/**
 * What the head of a rollout says about its thread, by Codex's listing rules (see
 * {@link readHeadSummary}). Fields from the `session_meta` are `null` when the head holds none.
 *
 * @example
 * ```ts
 * const summary: HeadSummary = await readHeadSummary(path);
 * if (summary.sawSessionMeta && summary.sawUserEvent) show(summary.firstUserMessage ?? '');
 * ```
 */
export interface HeadSummary {
  /** Id of the first `session_meta` (lowercase). */
  threadId: string | null;
  /** Source of the first `session_meta` as the DB column stores it (missing means `vscode`). */
  source: string | null;
  /** `thread_source` of the first `session_meta` (Codex 0.169: `user`, `subagent`, …). */
  threadSource: string | null;
  agentNickname: string | null;
  agentRole: string | null;
  /** The thread that spawned this sub-agent thread. */
  parentThreadId: string | null;
  /** The thread this one was forked from. */
  forkedFromId: string | null;
  /** Provider named by the first `session_meta` (`null` when it names none). */
  modelProvider: string | null;
  cwd: string | null;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  cliVersion: string | null;
  /**
   * Raw creation time: the first `session_meta`'s `timestamp`, else the line timestamp of the
   * first `response_item` before it.
   */
  createdAt: string | null;
  /**
   * Text of the first user message whose text (after the `## My request for Codex:` marker,
   * trimmed) is not empty. `null` when every user message seen was blank or images only.
   */
  firstUserMessage: string | null;
  sawSessionMeta: boolean;
  /** A user message was seen (legacy `user_message` or 0.169 `item_completed` `UserMessage`). */
  sawUserEvent: boolean;
  /** Non-blank lines read, unparsable ones included. */
  linesScanned: number;
  /** Lines read that could not be used (bad JSON, invalid line, overlong). */
  skippedLines: number;
}

/**
 * Options of {@link readHeadSummary}.
 *
 * @example
 * ```ts
 * const options: ReadHeadSummaryOptions = { chunkBytes: 16 * 1024 };
 * const summary = await readHeadSummary(path, options);
 * ```
 */
export interface ReadHeadSummaryOptions {
  /** Read size, bytes (default 64 KiB). Reading stops at the first chunk after the summary is done. */
  chunkBytes?: number | undefined;
  /** Longest line read, bytes (default 64 MiB); a longer line is counted and skipped unbuffered. */
  maxLineBytes?: number | undefined;
}

/**
 * Reads the head of a rollout the way Codex's file listing does (`read_head_summary`), with
 * bounded memory (chunked reads, stopping as soon as the summary is complete):
 * - reads at most {@link HEAD_RECORD_LIMIT} lines, or up to `HEAD_RECORD_LIMIT +
 *   USER_EVENT_SCAN_LIMIT` while a `session_meta` was seen but no user message yet; blank lines are
 *   not counted, unparsable lines are counted and skipped;
 * - the first `session_meta` fills the thread id, source, sub-agent and fork facts, provider, cwd,
 *   git facts, cli version and creation time; later ones are ignored;
 * - a `response_item` sets the creation time from its line timestamp if it is still unset;
 * - a user message (legacy `event_msg/user_message` or 0.169 `event_msg/item_completed` of a
 *   `UserMessage`) sets `sawUserEvent`, and the first non-blank one `firstUserMessage`;
 * - stops once both a `session_meta` and a user message were seen.
 *
 * Rejects with a `RolloutFileError` (`ROLLOUT_UNREADABLE`, naming the file and why: `no such
 * file`, `permission denied`, `is a directory`, …) when the file cannot be opened or read.
 *
 * @example
 * ```ts
 * const summary = await readHeadSummary(
 *   '/home/me/.codex/sessions/2026/11/21/rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl',
 * );
 * summary.threadId; // '01a1fca2-1d67-7971-8727-3cd36fd8d76f'
 * summary.firstUserMessage; // 'Summarize the purpose of this repository in one sentence.'
 * ```
 */
export async function readHeadSummary(
  path: string,
  options: ReadHeadSummaryOptions = {},
): Promise<HeadSummary> {
  const summary: HeadSummary = {
    threadId: null,
    source: null,
    threadSource: null,
    agentNickname: null,
    agentRole: null,
    parentThreadId: null,
    forkedFromId: null,
    modelProvider: null,
    cwd: null,
    gitSha: null,
    gitBranch: null,
    gitOriginUrl: null,
    cliVersion: null,
    createdAt: null,
    firstUserMessage: null,
    sawSessionMeta: false,
    sawUserEvent: false,
    linesScanned: 0,
    skippedLines: 0,
  };
  const log = new IssueLog(0);
  const splitter = new LineSplitter({
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  });
  let done = false;

  const wantsMore = () =>
    summary.linesScanned < HEAD_RECORD_LIMIT ||
    (summary.sawSessionMeta &&
      !summary.sawUserEvent &&
      summary.linesScanned < HEAD_RECORD_LIMIT + USER_EVENT_SCAN_LIMIT);

  const onLine = (split: SplitLine): void => {
    if (done) return;
    if (!split.overlong && isBlank(split.bytes)) return;
    summary.linesScanned += 1;
    if (!readLine(split, summary, log)) summary.skippedLines += 1;
    if ((summary.sawSessionMeta && summary.sawUserEvent) || !wantsMore()) done = true;
  };

  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const decoder = new RolloutDecoder(path);
  const feed = (bytes: Buffer) => splitter.push(bytes, onLine);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadableRollout(path, error);
  }
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    while (!done) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(chunk, 0, chunkBytes, null));
      } catch (error) {
        throw unreadableRollout(path, error); // EISDIR: a directory opens, then fails to read
      }
      if (bytesRead === 0) {
        decoder.end(feed);
        splitter.end(onLine);
        break;
      }
      // The decoder and the splitter copy what they keep across chunks: the buffer is reused.
      decoder.push(chunk.subarray(0, bytesRead), feed);
    }
  } finally {
    decoder.release();
    await handle.close();
  }
  return summary;
}

/**
 * Applies one counted line to the summary, parsing it only when it can change something. False
 * when the line could not be used.
 */
function readLine(split: SplitLine, summary: HeadSummary, log: IssueLog): boolean {
  const peeked = peekLine(split.overlong ? (split.head ?? split.bytes) : split.bytes);
  if (peeked && !worthParsing(peeked, summary)) return true;
  if (split.overlong) {
    // Too long to parse; a response_item still gives its line timestamp.
    if (peeked?.type === 'response_item' && split.head) {
      summary.createdAt ??= leadingTimestamp(split.head) ?? null;
    }
    return false;
  }
  const line = decodeLine(split, log);
  if (!line) return false;
  switch (line.type) {
    case 'session_meta':
      if (!summary.sawSessionMeta) return applySessionMeta(line.payload, summary);
      break;
    case 'response_item':
      summary.createdAt ??= line.timestamp;
      break;
    case 'event_msg': {
      const input = userInputOfEvent(line.payload);
      if (!input) break;
      summary.sawUserEvent = true;
      if (summary.firstUserMessage === null) {
        const text = stripUserMessagePrefix(input.text);
        if (text !== '') summary.firstUserMessage = text;
      }
      break;
    }
    case 'turn_context':
    case 'compacted':
    case 'world_state':
    case 'token_usage_record':
    case 'unknown':
      break;
  }
  return true;
}

/** Takes the first `session_meta`; false (unusable, as for Codex) when its id is not a UUID. */
function applySessionMeta(meta: SessionMeta, summary: HeadSummary): boolean {
  if (!isThreadId(meta.id)) return false;
  summary.threadId = meta.id.toLowerCase();
  summary.source = enumToString(meta.source ?? 'vscode');
  Object.assign(summary, subAgentFactsOf(meta));
  summary.modelProvider = meta.model_provider ?? null;
  summary.cwd = meta.cwd;
  summary.gitSha = meta.git?.commit_hash ?? null;
  summary.gitBranch = meta.git?.branch ?? null;
  summary.gitOriginUrl = meta.git?.repository_url ?? null;
  summary.cliVersion = meta.cli_version ?? null;
  summary.createdAt = meta.timestamp;
  summary.sawSessionMeta = true;
  return true;
}

/** Whether a line of this (peeked) kind can change the summary as it stands. */
function worthParsing(peeked: PeekedLine, summary: HeadSummary): boolean {
  switch (peeked.type) {
    case 'session_meta':
      return !summary.sawSessionMeta;
    case 'response_item':
      return summary.createdAt === null;
    case 'event_msg':
      return (
        peeked.eventType === undefined ||
        peeked.eventType === 'user_message' ||
        (peeked.eventType === 'item_completed' &&
          (peeked.itemType === undefined || peeked.itemType === 'UserMessage'))
      );
    default:
      return false;
  }
}

const LEADING_TIMESTAMP = /^\{"timestamp":"([^"\\]{1,64})"/;

function leadingTimestamp(head: Buffer): string | undefined {
  return LEADING_TIMESTAMP.exec(head.toString('latin1'))?.[1];
}

/** True for a line that is empty or only whitespace (Codex trims before counting). */
function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) continue;
    if (byte < 0x80) return false;
    return bytes.toString('utf8').trim() === '';
  }
  return true;
}
