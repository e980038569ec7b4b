import type { SessionMeta } from '../protocol/session-meta.js';
import { readRollout } from '../reader/rollout-reader.js';
import { requireSessionThread } from './session-thread.js';
import type { CopiedItem } from './write-line.js';

/** The thread a fork comes from: its first `session_meta` and its id, normalized. */
export interface ForkParent {
  meta: SessionMeta;
  threadId: string;
}

/**
 * Reads the head of a parent rollout, up to its first `session_meta`, which names the thread a
 * fork comes from. Throws {@link RolloutFileError}: `ROLLOUT_UNREADABLE` when the file cannot be
 * read, `ROLLOUT_INVALID` when it names no thread.
 */
export async function readForkParent(path: string): Promise<ForkParent> {
  const reader = readRollout(path);
  for await (const { line } of reader) if (line.type === 'session_meta') break;
  return requireSessionThread(path, reader.sessionMeta, 'fork');
}

/**
 * The lines a fork copies from its parent, streamed in batches of at most `batchSize`: every line
 * of the types the legacy format holds (`session_meta`, the parent's own and those of the threads
 * it was itself forked from, `response_item`, `event_msg`, `turn_context`, `compacted`), in
 * order, payloads as read. The parent's writer already chose what to persist, so nothing is
 * filtered again (a newer Codex persists events an older policy would drop, such as 0.169's
 * `item_completed` user messages). Lines of the paginated format's other types (`world_state`,
 * `token_usage_record`) and lines the reader skips (malformed, cut short) are not copied.
 */
export async function* forkedLines(
  path: string,
  batchSize: number,
): AsyncGenerator<CopiedItem[], void, undefined> {
  let batch: CopiedItem[] = [];
  for await (const { line } of readRollout(path)) {
    if (!LEGACY_LINE_TYPES.has(line.type)) continue;
    batch.push({ type: line.type, payload: line.payload, copied: true });
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

const LEGACY_LINE_TYPES: ReadonlySet<string> = new Set([
  'session_meta',
  'response_item',
  'event_msg',
  'turn_context',
  'compacted',
]);
