import {
  SEARCH_INDEX_NAME,
  type SearchDocument,
  type SearchDocumentKind,
} from '@agent-state/state';

import type { DerivedIndexCollector, DerivedIndexDefinition } from '../indexer/derived-index.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { jsonStringEnd, jsonStringHead, jsonStringTail } from '../reader/json-string-slice.js';
import type { PeekedLine } from '../reader/line-peek.js';
import { userInputOfEvent } from '../extract/metadata-applier.js';
import { stripUserMessagePrefix } from '../extract/user-message.js';
import {
  EXEC_HEADER_MAX_CHARS,
  commandText,
  functionCallParts,
  stringOf,
  texts,
  toolOutputText,
  webSearchText,
  withoutExecHeader,
} from '../extract/conversation-parts.js';

/**
 * Characters kept from the start and from the end of a tool's output (or long arguments): what
 * ran and how it ended. Small enough that three tool-call documents share a 4 KiB page of the
 * store, since tool calls are most documents.
 */
const OUTPUT_HEAD_CHARS = 900;
const OUTPUT_TAIL_CHARS = 300;
const ARGUMENTS_HEAD_CHARS = 1_000;
const ARGUMENTS_TAIL_CHARS = 300;

/** Trailing whitespace a tail read in place may lose to `trimEnd` and still fill. */
const TRIM_MARGIN_CHARS = 64;
/**
 * Shortest output (bytes of its JSON text) read in place: even at 6 bytes a character (`\uXXXX`)
 * longer than the header, head, tail and trimming margin together, so that the two ends read in
 * place are the ends of the whole text.
 */
const IN_PLACE_MIN_BYTES =
  6 * (EXEC_HEADER_MAX_CHARS + OUTPUT_HEAD_CHARS + OUTPUT_TAIL_CHARS + TRIM_MARGIN_CHARS) + 1;
const CALL_ID = /"call_id":"([^"\\]{1,200})"/;
const OUTPUT_KEY = '"output":"';

/** Events a document comes from (the turn's start names the turn). */
const WANTED_EVENTS: ReadonlySet<string> = new Set([
  'user_message',
  'task_started',
  'turn_started',
]);

/** Whether a line can hold a search document (or the turn it belongs to), from its first bytes. */
export function wantedBySearch(peeked: PeekedLine): boolean {
  switch (peeked.type) {
    case 'response_item':
      // Only the agent's messages: `user` and `developer` ones carry Codex's injections (the
      // person's own words come from the user-message events).
      return (
        peeked.payloadType !== 'message' || peeked.role === undefined || peeked.role === 'assistant'
      );
    case 'compacted':
      return true;
    case 'event_msg':
      if (peeked.eventType === undefined) return true;
      if (peeked.eventType === 'item_completed') {
        return peeked.itemType === undefined || peeked.itemType === 'UserMessage';
      }
      return WANTED_EVENTS.has(peeked.eventType);
    default:
      return false;
  }
}

/**
 * The search index's collector: the conversation documents of one rollout, in its order.
 *
 * - **User messages** from the `user_message` event (legacy) or the `item_completed` of a
 *   `UserMessage` (paginated, Codex 0.169): the person's words only. The `user` response items
 *   beside them also carry Codex's injections (environment context, AGENTS.md, skills), and
 *   `developer` items its instructions: neither is indexed, nor the base instructions of
 *   `session_meta`.
 * - **Agent messages**: `assistant` message response items (commentary and final answers).
 * - **Reasoning**: the summaries of `reasoning` response items.
 * - **Tool calls**: one document per call, at the call's line: the command (shell calls) or the
 *   tool's name and arguments, then the head and tail of its output (Codex's exec header
 *   stripped).
 * - **Compactions**: the summary of a `compacted` line.
 *
 * A fork by reference (Codex 0.169) holds only its own lines, so its inherited history stays its
 * parent's; a legacy fork's file holds its copy of the parent's lines, which are its own text.
 */
class SearchCollector implements DerivedIndexCollector {
  readonly #documents: SearchDocument[] = [];
  /** Tool calls waiting for their output, by call id (their text is the call's until then). */
  readonly #calls = new Map<string, { document: SearchDocument; call: string }>();
  #turnId: string | null = null;
  #lastTimeMs = 0;

  wants(peeked: PeekedLine): boolean {
    return wantedBySearch(peeked);
  }

  largeLine(bytes: Buffer, peeked: PeekedLine): boolean {
    if (
      peeked.type !== 'response_item' ||
      (peeked.payloadType !== 'function_call_output' &&
        peeked.payloadType !== 'custom_tool_call_output')
    ) {
      return false;
    }
    // The keys come first in Codex's lines (`call_id`, then `output`); anything else is parsed.
    const head = bytes.toString('latin1', 0, Math.min(bytes.length, 1024));
    const callId = CALL_ID.exec(head)?.[1];
    const key = head.indexOf(OUTPUT_KEY);
    if (callId === undefined || key === -1 || key < head.indexOf('"call_id"')) return false;
    const start = key + OUTPUT_KEY.length;
    const end = jsonStringEnd(bytes, start);
    if (end === -1 || end - start < IN_PLACE_MIN_BYTES) return false;
    const pending = this.#calls.get(callId);
    if (!pending) return true; // an output without its call adds nothing
    this.#calls.delete(callId);
    pending.document.text = detached(`${pending.call}\n${outputTextInPlace(bytes, start, end)}`);
    return true;
  }

  line(line: RolloutLine, lineNumber: number): void {
    const timeMs = this.#timeOf(line.timestamp);
    const at = { line: lineNumber, ordinal: line.ordinal ?? null, timeMs };
    switch (line.type) {
      case 'event_msg': {
        const event = line.payload as Record<string, unknown> & { type: string };
        if (event.type === 'task_started' || event.type === 'turn_started') {
          if (typeof event.turn_id === 'string') this.#turnId = event.turn_id;
          return;
        }
        const input = userInputOfEvent(event);
        if (!input) return;
        if (event.type === 'item_completed' && typeof event.turn_id === 'string') {
          this.#turnId = event.turn_id;
        }
        this.#add('user_message', stripUserMessagePrefix(input.text), at);
        return;
      }
      case 'response_item':
        this.#responseItem(line.payload, at);
        return;
      case 'compacted':
        this.#add('compaction', line.payload.message.trim(), at);
        return;
      case 'session_meta':
      case 'turn_context':
      case 'world_state':
      case 'token_usage_record':
      case 'unknown':
        return;
    }
  }

  /** The documents so far (copies: a call's output read later does not change them). */
  finish(): readonly SearchDocument[] {
    return this.#documents
      .filter((document) => document.text !== '')
      .map((document) => ({ ...document }));
  }

  #responseItem(
    item: Record<string, unknown> & { type: string },
    at: { line: number; ordinal: number | null; timeMs: number },
  ): void {
    const turn = (
      item.internal_chat_message_metadata_passthrough as { turn_id?: unknown } | undefined
    )?.turn_id;
    if (typeof turn === 'string') this.#turnId = turn;
    switch (item.type) {
      case 'message':
        if (item.role === 'assistant')
          this.#add('agent_message', texts(item.content, 'output_text'), at);
        return;
      case 'reasoning':
        this.#add('reasoning', texts(item.summary, 'summary_text'), at);
        return;
      case 'function_call':
        this.#call(item.call_id, toolCallText(stringOf(item.name), item.arguments), at);
        return;
      case 'custom_tool_call':
        this.#call(
          item.call_id,
          `${stringOf(item.name)} ${headAndTail(stringOf(item.input), ARGUMENTS_HEAD_CHARS, ARGUMENTS_TAIL_CHARS)}`,
          at,
        );
        return;
      case 'local_shell_call': {
        const action = item.action as { command?: unknown } | undefined;
        this.#call(item.call_id, commandText(action?.command) ?? '', at);
        return;
      }
      case 'web_search_call':
        this.#call(undefined, `web search ${webSearchText(item.action)}`.trimEnd(), at);
        return;
      case 'function_call_output':
      case 'custom_tool_call_output':
        this.#output(item.call_id, item.output);
        return;
      default:
        return;
    }
  }

  #add(
    kind: SearchDocumentKind,
    text: string,
    at: { line: number; ordinal: number | null; timeMs: number },
  ): SearchDocument {
    const document: SearchDocument = { kind, turnId: this.#turnId, ...at, text };
    this.#documents.push(document);
    return document;
  }

  #call(
    callId: unknown,
    call: string,
    at: { line: number; ordinal: number | null; timeMs: number },
  ): void {
    const text = detached(call.trim());
    const document = this.#add('tool_call', text, at);
    if (typeof callId === 'string' && callId !== '')
      this.#calls.set(callId, { document, call: text });
  }

  #output(callId: unknown, output: unknown): void {
    if (typeof callId !== 'string') return;
    const pending = this.#calls.get(callId);
    if (!pending) return;
    this.#calls.delete(callId);
    const text = outputText(output);
    pending.document.text = text === '' ? pending.call : detached(`${pending.call}\n${text}`);
  }

  #timeOf(timestamp: string): number {
    const ms = Date.parse(timestamp);
    if (Number.isFinite(ms)) this.#lastTimeMs = ms;
    return this.#lastTimeMs;
  }
}

/** A function call as a person would search it: the command it ran, or its name and arguments. */
function toolCallText(name: string, args: unknown): string {
  const { raw, command } = functionCallParts(args);
  return command ?? `${name} ${headAndTail(raw, ARGUMENTS_HEAD_CHARS, ARGUMENTS_TAIL_CHARS)}`;
}

/** A tool's output, its head and tail; Codex's exec header (chunk id, wall time…) left out. */
function outputText(output: unknown): string {
  const text = toolOutputText(output);
  return headAndTail(withoutExecHeader(text).trim(), OUTPUT_HEAD_CHARS, OUTPUT_TAIL_CHARS);
}

/**
 * The head and tail of a long tool output read in place from its line's bytes (see
 * `largeLine`): the same text {@link outputText} gives from the parsed string, for outputs longer
 * than head and tail together.
 */
function outputTextInPlace(bytes: Buffer, start: number, end: number): string {
  const head = withoutExecHeader(
    jsonStringHead(bytes, start, end, EXEC_HEADER_MAX_CHARS + OUTPUT_HEAD_CHARS),
  ).trimStart();
  const tail = jsonStringTail(bytes, start, end, OUTPUT_TAIL_CHARS + TRIM_MARGIN_CHARS).trimEnd();
  return `${head.slice(0, OUTPUT_HEAD_CHARS)}\n…\n${tail.slice(Math.max(0, tail.length - OUTPUT_TAIL_CHARS))}`;
}

/**
 * A copy of `text` that holds nothing of the strings it was cut from. V8 keeps a slice or a
 * concatenation as a view of its parts: a head and tail of a 50 KB output would keep the 50 KB
 * alive as long as the document (all of a long rollout's documents are held until it is read).
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function headAndTail(text: string, head: number, tail: number): string {
  if (text.length <= head + tail) return text;
  return `${text.slice(0, head)}\n…\n${text.slice(text.length - tail)}`;
}

/**
 * The search index as the indexer knows it: its name and a collector per rollout (see
 * {@link SearchCollector} for what becomes a document).
 */
export const SEARCH_DOCUMENTS: DerivedIndexDefinition = {
  name: SEARCH_INDEX_NAME,
  createCollector: () => new SearchCollector(),
};
