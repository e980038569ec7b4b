import type { UsageRecord } from '@agent-state/state';

import {
  commandText,
  execExitCode,
  functionCallParts,
  stringOf,
  texts,
  toolOutputText,
  webSearchText,
  withoutExecHeader,
} from '../extract/conversation-parts.js';
import { stripUserMessagePrefix } from '../extract/user-message.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { UsageCollector } from '../usage/usage-records.js';
import type {
  ClippedText,
  TranscriptItem,
  TranscriptTokens,
  TranscriptTurn,
} from './transcript-schema.js';

/**
 * How much of a long text a transcript keeps: its first `head` and last `tail` characters. Tool
 * outputs and arguments are clipped to `output`; patches, which a reviewer reads whole, to `patch`.
 *
 * @example
 * ```ts
 * const clipping: TranscriptClipping = { output: { head: 500, tail: 200 }, patch: { head: 10_000, tail: 1_000 } };
 * const transcript = await loadTranscript({ home, id, clipping });
 * ```
 */
export interface TranscriptClipping {
  output: { head: number; tail: number };
  patch: { head: number; tail: number };
}

/** The default clipping: 6,000 + 2,000 characters of an output, 40,000 + 4,000 of a patch. */
export const DEFAULT_CLIPPING: TranscriptClipping = Object.freeze({
  output: Object.freeze({ head: 6_000, tail: 2_000 }),
  patch: Object.freeze({ head: 40_000, tail: 4_000 }),
});

/** The tool name of a command the person ran in the session (Codex 0.169's `user_shell`). */
const USER_SHELL = 'user_shell';

const PATCH_FILE = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm;
const DATA_URL = /^data:([^;,]*)[;,]/;

/** Options of a {@link TranscriptBuilder}. */
export interface TranscriptBuilderOptions {
  /** The thread whose rollout the lines come from. */
  threadId: string;
  clipping?: TranscriptClipping | undefined;
  /** Applied to every text before it is clipped (secret redaction). */
  redact?: ((text: string) => string) | undefined;
}

type Tool = Extract<TranscriptItem, { type: 'tool_call' | 'patch' }>;

/**
 * Turns one rollout's lines, in order, into turns: user messages (from the user-message events:
 * the person's words, never Codex's injected context), agent messages and reasoning summaries
 * (from the response items), tool calls matched with their outputs by call id (`apply_patch`
 * calls as patches), errors, aborted turns and compactions; each turn's model, times and own
 * token usage (the usage index's rules: repeats and duplicates left out). Both rollout formats:
 * Codex 0.100's turns are the spans between `task_started` and `task_complete`, Codex 0.169's
 * items also name their turn.
 */
export class TranscriptBuilder {
  readonly #threadId: string;
  readonly #clipping: TranscriptClipping;
  readonly #redact: (text: string) => string;
  readonly #turns: TranscriptTurn[] = [];
  readonly #turnsById = new Map<string, TranscriptTurn>();
  readonly #tools = new Map<string, Tool>();
  /** The turn open at each usage line, for records that name no turn. */
  readonly #usageTurns = new Map<number, TranscriptTurn>();
  readonly #usage = new UsageCollector();
  #current: TranscriptTurn | undefined;
  #model: string | null = null;

  constructor(options: TranscriptBuilderOptions) {
    this.#threadId = options.threadId;
    this.#clipping = options.clipping ?? DEFAULT_CLIPPING;
    this.#redact = options.redact ?? ((text) => text);
  }

  /** Adds one line (1-based `lineNumber`). */
  line(line: RolloutLine, lineNumber: number): void {
    this.#usage.line(line, lineNumber);
    const at = { line: lineNumber, time: line.timestamp === '' ? null : line.timestamp };
    switch (line.type) {
      case 'turn_context': {
        const context = line.payload as Record<string, unknown>;
        if (typeof context.model === 'string') this.#model = context.model;
        const turn =
          typeof context.turn_id === 'string' ? this.#turnsById.get(context.turn_id) : undefined;
        if (turn && typeof context.model === 'string') turn.model = context.model;
        return;
      }
      case 'event_msg':
        this.#event(line.payload, at);
        return;
      case 'response_item':
        this.#responseItem(line.payload, at);
        return;
      case 'compacted':
        this.#add(undefined, at, {
          type: 'compaction',
          ...at,
          text: this.#text(line.payload.message),
        });
        return;
      case 'token_usage_record': {
        this.#usageTurns.set(lineNumber, this.#turnFor(line.payload.turn_id, at));
        return;
      }
      case 'session_meta':
      case 'world_state':
      case 'unknown':
        return;
    }
  }

  /** The turns so far, each with its own token usage; items without content left out. */
  finish(): TranscriptTurn[] {
    for (const record of this.#usage.finish()) {
      const turn =
        (record.turnId === null ? undefined : this.#turnsById.get(record.turnId)) ??
        this.#usageTurns.get(record.line);
      if (turn) turn.usage = addTokens(turn.usage, record);
    }
    return this.#turns;
  }

  #event(
    event: Record<string, unknown> & { type: string },
    at: { line: number; time: string | null },
  ): void {
    switch (event.type) {
      case 'task_started':
      case 'turn_started': {
        const turn = this.#startTurn(stringOrNull(event.turn_id), at);
        turn.startedAt ??= at.time;
        return;
      }
      case 'task_complete':
      case 'turn_complete': {
        const turn = this.#turnFor(event.turn_id, at);
        turn.status = 'completed';
        turn.completedAt = at.time;
        turn.durationMs =
          typeof event.duration_ms === 'number'
            ? event.duration_ms
            : elapsed(turn.startedAt, at.time);
        if (turn === this.#current) this.#current = undefined;
        return;
      }
      case 'turn_aborted': {
        const turn = this.#turnFor(event.turn_id, at);
        turn.status = 'aborted';
        turn.completedAt = at.time;
        turn.durationMs = elapsed(turn.startedAt, at.time);
        const reason = typeof event.reason === 'string' ? event.reason : 'unknown reason';
        this.#add(turn, at, { type: 'error', ...at, message: `turn aborted: ${reason}` });
        if (turn === this.#current) this.#current = undefined;
        return;
      }
      case 'error':
        this.#add(event.turn_id, at, {
          type: 'error',
          ...at,
          message: this.#text(stringOf(event.message)),
        });
        return;
      case 'token_count':
        this.#usageTurns.set(at.line, this.#turnFor(event.turn_id, at));
        return;
      case 'thread_settings_applied': {
        const model = (event.thread_settings as { model?: unknown } | undefined)?.model;
        if (typeof model === 'string') this.#model = model;
        return;
      }
      case 'user_message':
        this.#userMessage(event.turn_id, at, stringOf(event.message), [
          ...imagesOf(event.images, 'url'),
          ...imagesOf(event.local_images, 'local'),
        ]);
        return;
      case 'item_completed':
        this.#itemCompleted(event, at);
        return;
      default:
        return;
    }
  }

  /** Codex 0.169's completed items: user messages, and the exit codes of commands. */
  #itemCompleted(event: Record<string, unknown>, at: { line: number; time: string | null }): void {
    const item = event.item as Record<string, unknown> | undefined;
    if (!item) return;
    if (item.type === 'UserMessage') {
      const parts = Array.isArray(item.content)
        ? (item.content as unknown[]).filter(
            (part): part is Record<string, unknown> => typeof part === 'object' && part !== null,
          )
        : [];
      const text = parts
        .filter((part) => part.type === 'text' && typeof part.text === 'string')
        .map((part) => part.text as string)
        .join('\n');
      const images = parts.flatMap((part) => {
        if (typeof part.type !== 'string' || !part.type.includes('image')) return [];
        const ref = part.url ?? part.image_url ?? part.path;
        return imagesOf([ref], typeof part.path === 'string' ? 'local' : 'url');
      });
      this.#userMessage(event.turn_id, at, text, images);
      return;
    }
    if (item.type === 'CommandExecution' && typeof item.id === 'string') {
      const tool = this.#tools.get(item.id);
      if (tool?.type === 'tool_call' && typeof item.exit_code === 'number') {
        tool.exitCode = item.exit_code;
      }
      // A command the person ran themselves (`!cmd` in Codex's TUI): no model call names it.
      if (!tool && item.source === USER_SHELL) {
        this.#tool(event.turn_id, at, item.id, USER_SHELL, commandText(item.command) ?? null, '');
        this.#output(item.id, stringOf(item.aggregated_output));
        const added = this.#tools.get(item.id);
        if (added?.type === 'tool_call' && typeof item.exit_code === 'number') {
          added.exitCode = item.exit_code;
        }
      }
    }
  }

  #userMessage(
    turnId: unknown,
    at: { line: number; time: string | null },
    message: string,
    images: { kind: 'url' | 'data' | 'local'; ref: string }[],
  ): void {
    const text = this.#text(stripUserMessagePrefix(message));
    if (text === '' && images.length === 0) return;
    this.#add(turnId, at, { type: 'user_message', ...at, text, images });
  }

  #responseItem(
    item: Record<string, unknown> & { type: string },
    at: { line: number; time: string | null },
  ): void {
    const turnId = (
      item.internal_chat_message_metadata_passthrough as { turn_id?: unknown } | undefined
    )?.turn_id;
    switch (item.type) {
      case 'message': {
        if (item.role !== 'assistant') return;
        const text = this.#text(texts(item.content, 'output_text'));
        if (text === '') return;
        const phase =
          item.phase === 'commentary' || item.phase === 'final_answer' ? item.phase : null;
        this.#add(turnId, at, { type: 'agent_message', ...at, phase, text });
        return;
      }
      case 'reasoning': {
        const text = this.#text(texts(item.summary, 'summary_text'));
        if (text !== '') this.#add(turnId, at, { type: 'reasoning', ...at, text });
        return;
      }
      case 'function_call': {
        const name = stringOf(item.name);
        const { raw, command } = functionCallParts(item.arguments);
        if (name === 'apply_patch') {
          const input = patchInput(raw);
          if (input !== undefined) {
            this.#patch(turnId, at, item.call_id, input);
            return;
          }
        }
        this.#tool(turnId, at, item.call_id, name, command ?? null, raw);
        return;
      }
      case 'custom_tool_call': {
        const name = stringOf(item.name);
        if (name === 'apply_patch') this.#patch(turnId, at, item.call_id, stringOf(item.input));
        else this.#tool(turnId, at, item.call_id, name, null, stringOf(item.input));
        return;
      }
      case 'local_shell_call': {
        const action = item.action as { command?: unknown } | undefined;
        this.#tool(
          turnId,
          at,
          item.call_id,
          'local_shell',
          commandText(action?.command) ?? null,
          '',
        );
        return;
      }
      case 'web_search_call':
        this.#tool(turnId, at, undefined, 'web_search', null, webSearchText(item.action));
        return;
      case 'function_call_output':
      case 'custom_tool_call_output':
        this.#output(item.call_id, item.output);
        return;
      default:
        return;
    }
  }

  #tool(
    turnId: unknown,
    at: { line: number; time: string | null },
    callId: unknown,
    name: string,
    command: string | null,
    args: string,
  ): void {
    const tool: Tool = {
      type: 'tool_call',
      ...at,
      callId: stringOrNull(callId),
      name,
      command: command === null ? null : this.#text(command),
      arguments: command !== null || args === '' ? null : this.#clip(args, 'output'),
      output: null,
      exitCode: null,
    };
    this.#add(turnId, at, tool);
    if (tool.callId !== null) this.#tools.set(tool.callId, tool);
  }

  #patch(
    turnId: unknown,
    at: { line: number; time: string | null },
    callId: unknown,
    patch: string,
  ): void {
    const files = [...new Set([...patch.matchAll(PATCH_FILE)].map((match) => match[1]!.trim()))];
    const tool: Tool = {
      type: 'patch',
      ...at,
      callId: stringOrNull(callId),
      files: files.map((file) => this.#text(file)),
      patch: this.#clip(patch, 'patch'),
      output: null,
    };
    this.#add(turnId, at, tool);
    if (tool.callId !== null) this.#tools.set(tool.callId, tool);
  }

  #output(callId: unknown, output: unknown): void {
    if (typeof callId !== 'string') return;
    const tool = this.#tools.get(callId);
    if (!tool) return;
    const raw = toolOutputText(output);
    tool.output = this.#clip(withoutExecHeader(raw).trimEnd(), 'output');
    if (tool.type === 'tool_call') tool.exitCode ??= execExitCode(raw);
  }

  #add(turnId: unknown, at: { line: number; time: string | null }, item: TranscriptItem): void;
  #add(turn: TranscriptTurn, at: { line: number; time: string | null }, item: TranscriptItem): void;
  #add(turn: unknown, at: { line: number; time: string | null }, item: TranscriptItem): void {
    const target = isTurn(turn) ? turn : this.#turnFor(turn, at);
    target.items.push(item);
  }

  /** The turn an item belongs to: the one it names, else the open one, else a new one. */
  #turnFor(turnId: unknown, at: { line: number; time: string | null }): TranscriptTurn {
    if (typeof turnId === 'string') {
      return this.#turnsById.get(turnId) ?? this.#startTurn(turnId, at);
    }
    return this.#current ?? this.#startTurn(null, at);
  }

  #startTurn(id: string | null, at: { line: number; time: string | null }): TranscriptTurn {
    const known = id === null ? undefined : this.#turnsById.get(id);
    if (known) {
      this.#current = known;
      return known;
    }
    const turn: TranscriptTurn = {
      index: this.#turns.length + 1,
      id,
      inherited: false,
      fromThreadId: this.#threadId,
      startedAt: at.time,
      completedAt: null,
      durationMs: null,
      status: 'open',
      model: this.#model,
      usage: null,
      items: [],
    };
    this.#turns.push(turn);
    if (id !== null) this.#turnsById.set(id, turn);
    this.#current = turn;
    return turn;
  }

  #text(text: string): string {
    return this.#redact(text);
  }

  #clip(text: string, kind: keyof TranscriptClipping): ClippedText {
    return clip(this.#redact(text), this.#clipping[kind]);
  }
}

function isTurn(value: unknown): value is TranscriptTurn {
  return typeof value === 'object' && value !== null && 'items' in value;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A text as its head and tail when it is longer than both together. */
export function clip(text: string, limits: { head: number; tail: number }): ClippedText {
  if (text.length <= limits.head + limits.tail) return { head: text, tail: '', omittedChars: 0 };
  return {
    head: text.slice(0, limits.head),
    tail: text.slice(text.length - limits.tail),
    omittedChars: text.length - limits.head - limits.tail,
  };
}

/** The patch text of an `apply_patch` function call's arguments (`{"input": …}`), if any. */
function patchInput(raw: string): string | undefined {
  try {
    const parsed = JSON.parse(raw) as { input?: unknown; patch?: unknown };
    const input = parsed.input ?? parsed.patch;
    return typeof input === 'string' ? input : undefined;
  } catch {
    return undefined;
  }
}

/** Image references: URLs and paths as they are, inline data as its media type and size. */
function imagesOf(
  values: unknown,
  kind: 'url' | 'local',
): { kind: 'url' | 'data' | 'local'; ref: string }[] {
  if (!Array.isArray(values)) return [];
  return values
    .filter((value): value is string => typeof value === 'string' && value !== '')
    .map((value) => {
      const data = DATA_URL.exec(value);
      if (!data) return { kind, ref: value };
      const bytes = Math.floor(((value.length - value.indexOf(',') - 1) * 3) / 4);
      return { kind: 'data' as const, ref: `${data[1] || 'image'}, ${bytes} bytes` };
    });
}

function elapsed(start: string | null, end: string | null): number | null {
  if (start === null || end === null) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function addTokens(sum: TranscriptTokens | null, record: UsageRecord): TranscriptTokens {
  return {
    inputTokens: (sum?.inputTokens ?? 0) + record.inputTokens,
    cachedInputTokens: (sum?.cachedInputTokens ?? 0) + record.cachedInputTokens,
    outputTokens: (sum?.outputTokens ?? 0) + record.outputTokens,
    reasoningOutputTokens: (sum?.reasoningOutputTokens ?? 0) + record.reasoningOutputTokens,
    totalTokens: (sum?.totalTokens ?? 0) + record.totalTokens,
  };
}
