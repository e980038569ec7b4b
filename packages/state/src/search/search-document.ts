import { InvalidArgumentError } from '../errors.js';

/**
 * Who speaks in a search document: the person (`user`), the model's visible messages and
 * compaction summaries (`agent`), its tool calls with their output (`tool`), its reasoning
 * summaries (`reasoning`).
 *
 * @example
 * ```ts
 * const roles: SearchRole[] = ['user', 'agent']; // what was said, not what ran
 * ```
 */
export type SearchRole = 'user' | 'agent' | 'tool' | 'reasoning';

/**
 * Every {@link SearchRole}, in display order.
 *
 * @example
 * ```ts
 * if (!(SEARCH_ROLES as readonly string[]).includes(flag)) throw new Error(`unknown role ${flag}`);
 * ```
 */
export const SEARCH_ROLES: readonly SearchRole[] = Object.freeze([
  'user',
  'agent',
  'tool',
  'reasoning',
]);

/**
 * What a search document was made from: a user message, an agent message (`phase` commentary or
 * final answer), a reasoning summary, a tool call (its command or arguments, and the head and
 * tail of its output), or the summary a compaction left.
 *
 * @example
 * ```ts
 * const kind: SearchDocumentKind = 'tool_call';
 * ```
 */
export type SearchDocumentKind =
  'user_message' | 'agent_message' | 'reasoning' | 'tool_call' | 'compaction';

const ROLE_OF_KIND: Readonly<Record<SearchDocumentKind, SearchRole>> = {
  user_message: 'user',
  agent_message: 'agent',
  compaction: 'agent',
  reasoning: 'reasoning',
  tool_call: 'tool',
};

/**
 * One searchable piece of a conversation, as the indexer derives it from a rollout (the search
 * index's records in `IndexedThread.derived.search`): its text, where it is in the rollout and
 * when it was said.
 *
 * @example
 * ```ts
 * const doc: SearchDocument = {
 *   kind: 'user_message', turnId: '01a1fca2-5000-7bc3-a0f8-179a5c82ed24',
 *   timeMs: Date.parse('2026-11-21T05:44:18.207Z'), line: 9, ordinal: 8, text: 'RUN: ls -la',
 * };
 * ```
 */
export interface SearchDocument {
  kind: SearchDocumentKind;
  /** The turn it belongs to (Codex's `turn_id`), when the rollout names one. */
  turnId: string | null;
  /** When the line was written, unix milliseconds. */
  timeMs: number;
  /** Its line in the rollout file, 1-based (the first line of a tool call). */
  line: number;
  /** Its `ordinal` in a paginated rollout (Codex 0.169), else `null`. */
  ordinal: number | null;
  text: string;
}

/**
 * The role a document of this kind speaks in (what `roles` of a search filters on).
 *
 * @example
 * ```ts
 * roleOfKind('compaction'); // 'agent'
 * ```
 */
export function roleOfKind(kind: SearchDocumentKind): SearchRole {
  return ROLE_OF_KIND[kind];
}

/**
 * A search document as a store received it, checked: derived records come from extraction
 * (possibly across a worker thread), so their shape is verified before anything is written.
 *
 * @example
 * ```ts
 * const docs = records.map((record, i) => checkedSearchDocument(record, threadId, i));
 * ```
 */
export function checkedSearchDocument(
  record: unknown,
  threadId: string,
  index: number,
): SearchDocument {
  const problem = (what: string) =>
    new InvalidArgumentError('derived.search', `record ${index} of thread ${threadId}: ${what}`);
  if (typeof record !== 'object' || record === null) throw problem('not an object');
  const doc = record as Partial<Record<keyof SearchDocument, unknown>>;
  if (typeof doc.kind !== 'string' || !(doc.kind in ROLE_OF_KIND)) {
    throw problem(`unknown kind ${JSON.stringify(doc.kind)}`);
  }
  if (typeof doc.text !== 'string') throw problem('text is not a string');
  if (!Number.isInteger(doc.line) || (doc.line as number) < 1) {
    throw problem('line is not a positive integer');
  }
  if (!Number.isFinite(doc.timeMs)) throw problem('timeMs is not a number');
  if (doc.ordinal !== null && !Number.isInteger(doc.ordinal)) {
    throw problem('ordinal is neither an integer nor null');
  }
  if (doc.turnId !== null && typeof doc.turnId !== 'string') {
    throw problem('turnId is neither a string nor null');
  }
  return doc as SearchDocument;
}
