import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';

import {
  type DerivedRecords,
  type DynamicToolSpec,
  ErrorCode,
  type ThreadMetadata,
  buildThreadMetadata,
} from '@agent-state/state';

import { RolloutFileError, unreadableRollout } from '../errors.js';
import {
  DERIVED_INDEXES,
  type DerivedIndexCollector,
  type DerivedIndexDefinition,
  LARGE_LINE_BYTES,
} from '../indexer/derived-index.js';
import { ARCHIVED_SESSIONS_SUBDIR, parseRolloutFileName } from '../paths/rollout-paths.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import type { SessionMeta } from '../protocol/session-meta.js';
import { LineSplitter, type SplitLine } from '../reader/line-splitter.js';
import { peekLine } from '../reader/line-peek.js';
import { RolloutDecoder } from '../reader/rollout-decoder.js';
import {
  DEFAULT_MAX_LINE_BYTES,
  IssueLog,
  type RolloutIssue,
  decodeLine,
} from '../reader/rollout-issues.js';
import { MetadataApplier, builderFromSessionMeta } from './metadata-applier.js';

/**
 * Options of {@link extractRolloutMetadata}.
 *
 * @example
 * ```ts
 * const options: ExtractRolloutOptions = { defaultProvider: 'openai', archived: false };
 * const { metadata } = extractRolloutMetadata(path, options);
 * ```
 */
export interface ExtractRolloutOptions {
  /** Provider for threads whose rollout names none (Codex: the configured provider). */
  defaultProvider: string;
  /**
   * Whether the thread is archived (its `archivedAt` becomes the file's mtime). Default: the file
   * lies directly in an `archived_sessions` folder.
   */
  archived?: boolean | undefined;
  /** Longest line read, bytes (default 64 MiB); longer lines are skipped and reported. */
  maxLineBytes?: number | undefined;
  /** Read size, bytes (default 1 MiB). */
  chunkBytes?: number | undefined;
  /** @internal The derived indexes fed (default: all of them, `DERIVED_INDEXES`). */
  derivedIndexes?: readonly DerivedIndexDefinition[] | undefined;
  /** @internal Only these of `DERIVED_INDEXES`, by name (what crosses to a worker thread). */
  derivedIndexNames?: readonly string[] | undefined;
}

/**
 * What {@link extractRolloutMetadata} found in a rollout.
 *
 * @example
 * ```ts
 * const { metadata, dynamicTools, issueCount } = extractRolloutMetadata(path, { defaultProvider: 'openai' });
 * ```
 */
export interface ExtractedRollout {
  metadata: ThreadMetadata;
  /** Tools from the thread's `session_meta`, or `null`. */
  dynamicTools: DynamicToolSpec[] | null;
  /** The first problems met (skipped lines), with line numbers. */
  issues: RolloutIssue[];
  /** How many lines were skipped or repaired in all. */
  issueCount: number;
  /** Size of the file read, bytes. */
  bytes: number;
  /** Lines in the file. */
  lines: number;
  /** The records of each derived index, by index name (empty while there are none). */
  derived: DerivedRecords;
}

type PendingOp = { kind: 'meta'; meta: SessionMeta } | { kind: 'line'; line: RolloutLine };

/**
 * Reads a rollout's thread metadata the way Codex's backfill does, in one streaming pass with
 * bounded memory: the first usable `session_meta` (or else the file name) starts the thread;
 * every item is applied in order, by Codex's rules; `updatedAt` is the file's mtime
 * and an archived thread's `archivedAt` too. Lines that carry no metadata (most of the bytes: tool
 * output, reasoning, response items) are recognised from their first bytes and never JSON-parsed.
 * Bad lines are skipped and reported, never fatal.
 *
 * Throws {@link RolloutFileError}: `ROLLOUT_UNREADABLE` when the file cannot be read,
 * `ROLLOUT_INVALID` when it is empty or names no thread.
 *
 * @example
 * ```ts
 * const { metadata, issues } = extractRolloutMetadata(path, { defaultProvider: 'openai' });
 * await store.threads.upsert(metadata);
 * for (const issue of issues) logger.warn(issue.message, { path, line: issue.line });
 * ```
 */
export function extractRolloutMetadata(
  path: string,
  options: ExtractRolloutOptions,
): ExtractedRollout {
  const archived = options.archived ?? basename(dirname(path)) === ARCHIVED_SESSIONS_SUBDIR;
  const log = new IssueLog();
  const splitter = new LineSplitter({
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  });
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;

  let applier: MetadataApplier | undefined;
  let canonicalMeta: SessionMeta | undefined;
  const pending: PendingOp[] = [];
  let lines = 0;
  let meaningfulLines = 0;

  const indexes =
    options.derivedIndexes ??
    (options.derivedIndexNames
      ? DERIVED_INDEXES.filter((index) => options.derivedIndexNames!.includes(index.name))
      : DERIVED_INDEXES);
  const collectors = indexes.map((index): [string, DerivedIndexCollector] => [
    index.name,
    index.createCollector({ path }),
  ]);
  const wantsUserInput = () => applier?.wantsUserInput ?? true;
  const route = (op: PendingOp) => {
    if (!applier) {
      pending.push(op);
      return;
    }
    if (op.kind === 'meta') applier.sessionMeta(op.meta);
    else applier.apply(op.line);
  };

  const onLine = (split: SplitLine): void => {
    lines = split.lineNumber;
    if (!split.overlong && split.bytes.length === 0) return;
    meaningfulLines += 1;
    const peeked = peekLine(split.overlong ? (split.head ?? split.bytes) : split.bytes);
    const forMetadata = !peeked || needsParse(peeked, wantsUserInput());
    let forIndexes =
      collectors.length === 0
        ? collectors
        : collectors.filter(
            ([, collector]) => !peeked || !collector.wants || collector.wants(peeked),
          );
    if (
      !forMetadata &&
      peeked &&
      !split.overlong &&
      split.bytes.length >= LARGE_LINE_BYTES &&
      forIndexes.length > 0
    ) {
      // A long line only derived indexes want (a tool's output, mostly): those that can read it
      // in place do, and it is parsed only for the others.
      forIndexes = forIndexes.filter(
        ([, collector]) => !collector.largeLine?.(split.bytes, peeked, split.lineNumber),
      );
    }
    if (!forMetadata && forIndexes.length === 0) return;
    const line = decodeLine(split, log);
    if (!line) return;
    for (const [, collector] of forIndexes) collector.line(line, split.lineNumber);
    if (!forMetadata) return;
    if (line.type === 'session_meta') {
      const meta = line.payload;
      canonicalMeta ??= meta;
      if (!applier) {
        const start = builderFromSessionMeta(meta, path, options);
        if (start) {
          applier = new MetadataApplier(start, options);
          for (const op of pending.splice(0)) route(op);
        }
      }
      route({ kind: 'meta', meta });
      return;
    }
    route({ kind: 'line', line });
  };

  const decoder = new RolloutDecoder(path);
  const feed = (bytes: Buffer) => splitter.push(bytes, onLine);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw unreadableRollout(path, error);
  }
  let bytes = 0;
  let mtimeSeconds: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new RolloutFileError(ErrorCode.RolloutUnreadable, path, 'not a regular file');
    }
    mtimeSeconds = Math.floor(stat.mtimeMs / 1000);
    const chunk = scratchBuffer(chunkBytes);
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunkBytes, null);
      } catch (error) {
        throw unreadableRollout(path, error);
      }
      if (read === 0) break;
      bytes += read;
      decoder.push(chunk.subarray(0, read), feed);
    }
    decoder.end(feed);
    splitter.end(onLine);
  } finally {
    decoder.release();
    closeSync(fd);
  }

  if (meaningfulLines === 0) {
    throw new RolloutFileError(ErrorCode.RolloutInvalid, path, 'empty rollout (no lines)');
  }
  if (!applier) {
    const fromName = parseRolloutFileName(path);
    if (!fromName) {
      throw new RolloutFileError(
        ErrorCode.RolloutInvalid,
        path,
        'no usable session_meta line, and the file name does not name a thread',
      );
    }
    applier = new MetadataApplier(
      buildThreadMetadata(
        { id: fromName.id, rolloutPath: path, createdAt: fromName.createdAt, source: 'vscode' },
        options,
      ),
      options,
    );
    for (const op of pending.splice(0)) route(op);
  }

  const metadata = applier.result();
  metadata.updatedAt = mtimeSeconds;
  if (archived && metadata.archivedAt === null) metadata.archivedAt = mtimeSeconds;
  if (!archived) metadata.archivedAt = null;
  const tools =
    canonicalMeta && canonicalMeta.id.toLowerCase() === metadata.id
      ? canonicalMeta.dynamic_tools
      : null;
  return {
    metadata,
    dynamicTools:
      tools && tools.length > 0
        ? tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            inputSchema: tool.input_schema,
          }))
        : null,
    issues: log.issues,
    issueCount: log.count,
    bytes,
    lines,
    derived: Object.fromEntries(collectors.map(([name, collector]) => [name, collector.finish()])),
  };
}

let scratch: Buffer | undefined;

/**
 * The read buffer of this thread, reused across files: allocating a fresh megabyte per read costs
 * more than reading a typical rollout. Safe because extraction is synchronous and the splitter
 * copies every byte it keeps beyond the current chunk.
 */
function scratchBuffer(size: number): Buffer {
  if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafeSlow(size);
  return scratch;
}

/** Whether a peeked line can change the metadata, i.e. must be parsed. */
function needsParse(
  peeked: NonNullable<ReturnType<typeof peekLine>>,
  wantsUserInput: boolean,
): boolean {
  switch (peeked.type) {
    case 'session_meta':
    case 'turn_context':
      return true;
    case 'event_msg':
      switch (peeked.eventType) {
        case undefined:
          return true;
        case 'token_count':
          return true;
        case 'user_message':
          return wantsUserInput;
        case 'item_completed':
          return (
            wantsUserInput && (peeked.itemType === undefined || peeked.itemType === 'UserMessage')
          );
        default:
          return false;
      }
    default:
      // response_item, compacted, world_state, token_usage_record and unknown types carry no metadata.
      return false;
  }
}
