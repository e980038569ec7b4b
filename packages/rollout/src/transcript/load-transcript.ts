import {
  type AgentStateStore,
  type Logger,
  NotFoundError,
  type ThreadMetadata,
  noopLogger,
} from '@agent-state/state';

import { findThread } from '../listing/find-thread.js';
import type { SessionMeta } from '../protocol/session-meta.js';
import { readRollout } from '../reader/rollout-reader.js';
import {
  DEFAULT_CLIPPING,
  TranscriptBuilder,
  type TranscriptClipping,
} from './transcript-builder.js';
import {
  TRANSCRIPT_VERSION,
  type Transcript,
  type TranscriptTokens,
  type TranscriptTurn,
} from './transcript-schema.js';

/** Forks of forks followed at most this deep (a cycle of ids stops sooner). */
const MAX_FORK_DEPTH = 32;

/**
 * Options of {@link loadTranscript}.
 *
 * @example
 * ```ts
 * const options: LoadTranscriptOptions = { home, store, id, redact: redactSecrets };
 * ```
 */
export interface LoadTranscriptOptions {
  home: string;
  /** The thread id (a UUID). */
  id: string;
  /** The store, to find rollouts fast; without one the rollouts are searched. */
  store?: AgentStateStore | null | undefined;
  /**
   * Index a thread the store does not know yet when it is found among the rollouts (default
   * true, as `findThread`); `false` never writes (the web UI).
   */
  repair?: boolean | undefined;
  /** Applied to every text before it is clipped: pass `redactSecrets` to remove secrets. */
  redact?: ((text: string) => string) | undefined;
  /**
   * How much of a long tool output, arguments or patch is kept (default: 6,000 + 2,000
   * characters of outputs, 40,000 + 4,000 of patches).
   */
  clipping?: TranscriptClipping | undefined;
  logger?: Logger | undefined;
}

/** What one rollout file yields: its turns, its first `session_meta`, the lines it skipped. */
interface RolloutTurns {
  turns: TranscriptTurn[];
  meta: SessionMeta | undefined;
  skipped: Transcript['skippedLines'];
}

/** Where a fork's history comes from. */
interface ForkOrigin {
  parentId: string;
  byReference: boolean;
  /** A fork by reference: its parent's lines before this ordinal are its history. */
  endOrdinal: number | null;
}

/**
 * A thread as a person reads it (see {@link Transcript}): its turns in order, each with the
 * user's message, the agent's messages and reasoning summaries, tool calls with their output
 * (long output kept as head and tail), patches, errors, times, model and token usage.
 *
 * Reads both rollout formats and compressed rollouts. A fork shows the history it inherited as
 * `inherited` turns: a fork by reference (Codex 0.169) reads it from its parent's rollout up to
 * the fork point, a legacy fork (Codex 0.100) holds a copy whose turns are marked by their ids.
 * A parent that cannot be found leaves `thread.forkedFrom.resolved` false. Lines that cannot be
 * read are skipped and listed in `skippedLines`. An unknown id throws `NotFoundError`.
 *
 * @example
 * ```ts
 * const transcript = await loadTranscript({ home: '/home/me/.codex', store, id });
 * for (const turn of transcript.turns) {
 *   for (const item of turn.items) if (item.type === 'user_message') console.log(item.text);
 * }
 * ```
 */
export async function loadTranscript(options: LoadTranscriptOptions): Promise<Transcript> {
  const found = await find(options, options.id);
  if (!found) throw new NotFoundError(`thread ${options.id}`);
  const own = await readTurns(options, found.path, found.metadata.id, null);
  const origin = forkOrigin(own.meta, found.metadata);
  let turns = own.turns;
  let resolved = false;
  const skipped = [...own.skipped];
  if (origin) {
    const history = await inheritedHistory(options, origin, new Set([found.metadata.id]), 1);
    if (history) {
      resolved = true;
      skipped.push(...history.skipped);
      turns = origin.byReference
        ? [...history.turns, ...own.turns]
        : markCopiedTurns(own.turns, history.turns);
    }
  }
  turns.forEach((turn, index) => {
    turn.index = index + 1;
  });
  const redact = options.redact ?? ((text: string) => text);
  const thread = found.metadata;
  return {
    format: 'agent-state.transcript',
    version: TRANSCRIPT_VERSION,
    thread: {
      id: thread.id,
      title: thread.title === '' ? null : redact(thread.title),
      cwd: thread.cwd === '' ? null : thread.cwd,
      createdAt: isoOf(thread.createdAt),
      updatedAt: isoOf(thread.updatedAt),
      archived: thread.archivedAt !== null,
      source: thread.source === '' ? null : thread.source,
      cliVersion: thread.cliVersion === '' ? null : thread.cliVersion,
      modelProvider: thread.modelProvider === '' ? null : thread.modelProvider,
      gitBranch: thread.gitBranch,
      rolloutPath: found.path,
      forkedFrom: origin
        ? { threadId: origin.parentId, byReference: origin.byReference, resolved }
        : null,
      parentThreadId: thread.parentThreadId,
    },
    turns,
    usage: sumUsage(turns.filter((turn) => !turn.inherited)),
    skippedLines: skipped,
    redacted: options.redact !== undefined,
  };
}

function find(options: LoadTranscriptOptions, id: string) {
  return findThread({
    home: options.home,
    store: options.store,
    id,
    repair: options.repair,
    logger: options.logger,
  });
}

/** Reads one rollout's turns; with `endOrdinal`, only its lines before that ordinal. */
async function readTurns(
  options: LoadTranscriptOptions,
  path: string,
  threadId: string,
  endOrdinal: number | null,
): Promise<RolloutTurns> {
  const builder = new TranscriptBuilder({
    threadId,
    clipping: options.clipping ?? DEFAULT_CLIPPING,
    redact: options.redact,
  });
  const reader = readRollout(path);
  for await (const { line, lineNumber } of reader) {
    // A paginated rollout numbers its lines; an older one is numbered by its lines from 0.
    if (endOrdinal !== null && (line.ordinal ?? lineNumber - 1) >= endOrdinal) break;
    builder.line(line, lineNumber);
  }
  return {
    turns: builder.finish(),
    meta: reader.sessionMeta,
    skipped: reader.issues.map((issue) => ({
      file: path,
      line: issue.line,
      reason: issue.message,
    })),
  };
}

/** The fork a rollout's `session_meta` (or, failing it, the store's row) says it is. */
function forkOrigin(meta: SessionMeta | undefined, thread: ThreadMetadata): ForkOrigin | null {
  const extra = (meta ?? {}) as Record<string, unknown>;
  const base = extra.history_base as {
    thread_id?: unknown;
    end_ordinal_exclusive?: unknown;
  } | null;
  if (base && typeof base.thread_id === 'string') {
    const end = base.end_ordinal_exclusive ?? extra.forked_from_ordinal_exclusive;
    return {
      parentId: base.thread_id,
      byReference: true,
      endOrdinal: typeof end === 'number' ? end : null,
    };
  }
  const parentId = meta?.forked_from_id ?? thread.forkedFromId;
  if (typeof parentId !== 'string' || parentId === '') return null;
  const end = extra.forked_from_ordinal_exclusive;
  return typeof end === 'number'
    ? { parentId, byReference: true, endOrdinal: end }
    : { parentId, byReference: false, endOrdinal: null };
}

/**
 * The history a fork inherits: its parent's turns (up to the fork point for a fork by
 * reference), after what the parent itself inherited, all marked `inherited`. `undefined` when
 * the parent (or a fork cycle) stops it.
 */
async function inheritedHistory(
  options: LoadTranscriptOptions,
  origin: ForkOrigin,
  seen: Set<string>,
  depth: number,
): Promise<{ turns: TranscriptTurn[]; skipped: Transcript['skippedLines'] } | undefined> {
  const logger = options.logger ?? noopLogger;
  if (seen.has(origin.parentId) || depth > MAX_FORK_DEPTH) {
    logger.warn('fork chain loops or is too deep', { threadId: origin.parentId });
    return undefined;
  }
  let found;
  try {
    found = await find(options, origin.parentId);
  } catch (error) {
    logger.warn('cannot find the parent of a fork', { threadId: origin.parentId, error });
    return undefined;
  }
  if (!found) return undefined;
  const parent = await readTurns(options, found.path, found.metadata.id, origin.endOrdinal);
  const grand = forkOrigin(parent.meta, found.metadata);
  let turns = parent.turns;
  const skipped = [...parent.skipped];
  if (grand) {
    seen.add(origin.parentId);
    const history = await inheritedHistory(options, grand, seen, depth + 1);
    if (history) {
      skipped.push(...history.skipped);
      turns = grand.byReference
        ? [...history.turns, ...parent.turns]
        : markCopiedTurns(parent.turns, history.turns);
    }
  }
  for (const turn of turns) turn.inherited = true;
  return { turns, skipped };
}

/**
 * A legacy fork's turns with those it copied from its parent marked `inherited` (and credited
 * to the thread that wrote them): the copied lines keep their turn ids.
 */
function markCopiedTurns(own: TranscriptTurn[], parent: TranscriptTurn[]): TranscriptTurn[] {
  const parentTurns = new Map(
    parent.filter((turn) => turn.id !== null).map((turn) => [turn.id, turn]),
  );
  for (const turn of own) {
    const copied = turn.id === null ? undefined : parentTurns.get(turn.id);
    if (!copied) continue;
    turn.inherited = true;
    turn.fromThreadId = copied.fromThreadId;
  }
  return own;
}

function sumUsage(turns: readonly TranscriptTurn[]): TranscriptTokens {
  const sum: TranscriptTokens = {
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
  };
  for (const { usage } of turns) {
    if (!usage) continue;
    sum.inputTokens += usage.inputTokens;
    sum.cachedInputTokens += usage.cachedInputTokens;
    sum.outputTokens += usage.outputTokens;
    sum.reasoningOutputTokens += usage.reasoningOutputTokens;
    sum.totalTokens += usage.totalTokens;
  }
  return sum;
}

function isoOf(unixSeconds: number): string | null {
  return unixSeconds > 0 ? new Date(unixSeconds * 1000).toISOString() : null;
}
