import {
  type ResponseItem,
  type RolloutEntry,
  type RolloutLine,
  readRollout,
} from '@agent-state/rollout';
import { InvalidArgumentError, type ThreadMetadata } from '@agent-state/state';

import { renderStage1UserMessage } from './prompts.js';
import { redactSecrets } from './redact-secrets.js';
import { HeadTailCollector } from './truncate-utf8.js';

/**
 * Default budget of the stage-one user message, in UTF-8 bytes: about 150,000 tokens at 4 bytes a
 * token, which fits the context window of current models with room for the answer.
 *
 * @example
 * ```ts
 * await buildStage1Input({ thread, maxInputBytes: DEFAULT_STAGE1_MAX_INPUT_BYTES / 2 });
 * ```
 */
export const DEFAULT_STAGE1_MAX_INPUT_BYTES = 600_000;

/**
 * Inserted where the middle of a session too long for the budget was cut out.
 *
 * @example
 * ```ts
 * if (input.text.includes(ROLLOUT_TRUNCATION_MARKER)) console.log('session was truncated');
 * ```
 */
export const ROLLOUT_TRUNCATION_MARKER =
  '\n\n[... the middle of this session was cut out to fit the memory extraction budget ...]\n\n';

/** Share of the budget given to the start of the session; the end gets the rest. */
const HEAD_SHARE = 1 / 3;

/**
 * Options of {@link buildStage1Input}.
 *
 * @example
 * ```ts
 * const options: BuildStage1InputOptions = { thread, maxInputBytes: 400_000, signal: AbortSignal.timeout(30_000) };
 * ```
 */
export interface BuildStage1InputOptions {
  /** The thread: its `rolloutPath` (read unless `path` or `entries` is given) and `cwd`. */
  thread: Pick<ThreadMetadata, 'rolloutPath' | 'cwd'>;
  /** Rollout to read instead of `thread.rolloutPath`. */
  path?: string | undefined;
  /** Lines already read (e.g. from `loadRollout`); nothing is read from disk then. */
  entries?: Iterable<RolloutEntry> | AsyncIterable<RolloutEntry> | undefined;
  /** Budget of the whole user message, UTF-8 bytes (default {@link DEFAULT_STAGE1_MAX_INPUT_BYTES}). */
  maxInputBytes?: number | undefined;
  /**
   * Redact credentials in the session before it goes to the model (default true): the memories
   * model may be served by another provider than the one the session used.
   */
  redact?: boolean | undefined;
  /** Stops reading when aborted. */
  signal?: AbortSignal | undefined;
}

/**
 * The stage-one user message and how it was built.
 *
 * @example
 * ```ts
 * const input: Stage1Input = await buildStage1Input({ thread });
 * if (input.keptItems === 0) return 'nothing to extract';
 * ```
 */
export interface Stage1Input {
  /** The user message: the template of {@link renderStage1UserMessage} around the session. */
  text: string;
  /** UTF-8 bytes of `text` (at most the budget). */
  bytes: number;
  /** UTF-8 bytes of the rendered session before truncation. */
  conversationBytes: number;
  /** True when the middle of the session was cut out. */
  truncated: boolean;
  /** Rollout items rendered into the session. */
  keptItems: number;
  /** Valid lines left out (metadata, events, developer messages, injected context, …). */
  skippedItems: number;
  /** Lines the reader could not use (malformed JSON, a truncated last line, …). */
  unreadableLines: number;
}

/**
 * Builds the stage-one model input of one thread: streams its rollout with `readRollout` (or
 * walks `entries`), keeps the conversation, renders each kept item as a text block (see
 * {@link renderStage1Item}), and wraps the result in the stage-one user message. When the
 * message would exceed `maxInputBytes`, the session's middle is cut out: its first third and
 * last two thirds of the remaining budget are kept (UTF-8 safe) around
 * {@link ROLLOUT_TRUNCATION_MARKER}. Memory use stays within the budget: only the kept head and a
 * rolling tail are held while reading. Throws `RolloutFileError` when the file cannot be read and
 * `InvalidArgumentError` when the budget cannot even hold the template.
 *
 * @example
 * ```ts
 * const input = await buildStage1Input({ thread, maxInputBytes: 400_000 });
 * const response = await client.responses.create({
 *   model: 'gpt-5-mini',
 *   instructions: STAGE1_INSTRUCTIONS,
 *   input: [{ role: 'user', content: [{ type: 'input_text', text: input.text }] }],
 *   text: { format: STAGE1_TEXT_FORMAT },
 * });
 * ```
 */
export async function buildStage1Input(options: BuildStage1InputOptions): Promise<Stage1Input> {
  const path = options.path ?? options.thread.rolloutPath;
  const maxInputBytes = options.maxInputBytes ?? DEFAULT_STAGE1_MAX_INPUT_BYTES;
  const redact = options.redact ?? true;
  const template = { rolloutPath: path, cwd: options.thread.cwd };
  const overhead = Buffer.byteLength(renderStage1UserMessage({ ...template, conversation: '' }));
  const markerBytes = Buffer.byteLength(ROLLOUT_TRUNCATION_MARKER);
  if (!Number.isInteger(maxInputBytes) || maxInputBytes - overhead <= markerBytes) {
    throw new InvalidArgumentError(
      'maxInputBytes',
      `expected an integer above ${overhead + markerBytes} (the message template and the truncation marker), got ${String(maxInputBytes)}`,
    );
  }

  const session = new HeadTailCollector({
    maxBytes: maxInputBytes - overhead,
    marker: ROLLOUT_TRUNCATION_MARKER,
    headShare: HEAD_SHARE,
  });
  let keptItems = 0;
  let skippedItems = 0;
  const consume = (line: RolloutLine): void => {
    const rendered = renderStage1Item(line);
    if (rendered === undefined) {
      skippedItems += 1;
      return;
    }
    const block = redact ? redactSecrets(rendered) : rendered;
    session.push(keptItems === 0 ? block : `\n\n${block}`);
    keptItems += 1;
  };

  let unreadableLines = 0;
  if (options.entries !== undefined) {
    for await (const entry of options.entries) {
      options.signal?.throwIfAborted();
      consume(entry.line);
    }
  } else {
    const reader = readRollout(path, { signal: options.signal });
    for await (const entry of reader) consume(entry.line);
    unreadableLines = reader.issueCount;
  }

  const conversation = session.finish();
  const text = renderStage1UserMessage({ ...template, conversation: conversation.text });
  return {
    text,
    bytes: Buffer.byteLength(text),
    conversationBytes: session.totalBytes,
    truncated: conversation.truncated,
    keptItems,
    skippedItems,
    unreadableLines,
  };
}

/**
 * Starts of user-message texts that the agent injected rather than the user typed (AGENTS.md
 * contents, environment and permission descriptions, skill lists). They say nothing about what
 * happened in the session and are left out.
 */
const INJECTED_CONTEXT_PREFIXES = [
  '# AGENTS.md instructions for ',
  '<environment_context>',
  '<user_instructions>',
  '<permissions instructions>',
  '<skills_instructions>',
  '<INSTRUCTIONS>',
] as const;

/**
 * Renders one rollout line as a block of the stage-one session text, or `undefined` when the
 * line is left out. Kept: `response_item` messages (`[user]`, `[assistant]`, …) except developer
 * and system messages and injected context, reasoning summaries (`[reasoning summary]`; never
 * raw or encrypted reasoning), tool calls and their outputs (`[tool call: NAME (ID)]`,
 * `[tool output (ID)]`), shell calls (`[shell command]`), web searches (`[web search]`), and
 * `compacted` summaries (`[compaction summary]`). Left out: session metadata, turn context,
 * events, world state, token usage, ghost snapshots, encrypted compactions, unknown items.
 * Images become `[image]`.
 *
 * @example
 * ```ts
 * renderStage1Item({ timestamp, type: 'compacted', payload: { message: 'Fixed the build.' } });
 * // '[compaction summary]\nFixed the build.'
 * ```
 */
export function renderStage1Item(line: RolloutLine): string | undefined {
  switch (line.type) {
    case 'response_item':
      return renderResponseItem(line.payload);
    case 'compacted': {
      const summary = line.payload.message.trim();
      return summary === '' ? undefined : `[compaction summary]\n${summary}`;
    }
    case 'session_meta':
    case 'event_msg':
    case 'turn_context':
    case 'world_state':
    case 'token_usage_record':
    case 'unknown':
      return undefined;
  }
}

function renderResponseItem(item: ResponseItem): string | undefined {
  switch (item.type) {
    case 'message': {
      const role = text(item.role) || 'message';
      if (role === 'developer' || role === 'system') return undefined;
      const parts = contentTexts(item.content, { dropInjected: role === 'user' });
      return parts.length === 0 ? undefined : block(`[${role}]`, parts.join('\n'));
    }
    case 'reasoning': {
      const summary = Array.isArray(item.summary)
        ? item.summary.map((part) => text(field(part, 'text')).trim()).filter((part) => part !== '')
        : [];
      return summary.length === 0 ? undefined : block('[reasoning summary]', summary.join('\n'));
    }
    case 'function_call':
      return block(toolCallHeader(item), text(item.arguments));
    case 'custom_tool_call':
      return block(toolCallHeader(item), text(item.input));
    case 'function_call_output':
    case 'custom_tool_call_output':
      return block(`[tool output${callIdSuffix(item)}]`, outputText(item.output));
    case 'local_shell_call': {
      const action = item.action;
      const command = field(action, 'command');
      const argv = Array.isArray(command) ? command.map((arg) => shellQuote(text(arg))) : [];
      const cwd = text(field(action, 'working_directory'));
      const body = `${cwd === '' ? '' : `(in ${cwd})\n`}${argv.join(' ')}`;
      return block(`[shell command${callIdSuffix(item)}]`, body);
    }
    case 'web_search_call':
      return `[web search] ${describeWebSearch(item.action)}`.trimEnd();
    default:
      return undefined;
  }
}

/** Texts of a message's content parts; images become `[image]`, blank parts are dropped. */
function contentTexts(content: unknown, options: { dropInjected: boolean }): string[] {
  if (typeof content === 'string') return content.trim() === '' ? [] : [content];
  if (!Array.isArray(content)) return [];
  const texts: string[] = [];
  for (const part of content) {
    const type = text(field(part, 'type'));
    if (type === 'input_image' || type === 'image') {
      texts.push('[image]');
      continue;
    }
    const value = text(field(part, 'text')) || text(field(part, 'refusal'));
    if (value.trim() === '') continue;
    if (options.dropInjected && isInjectedContext(value)) continue;
    texts.push(value);
  }
  return texts;
}

function isInjectedContext(value: string): boolean {
  const start = value.trimStart();
  return INJECTED_CONTEXT_PREFIXES.some((prefix) => start.startsWith(prefix));
}

/** A tool output: a string, content parts, or an object with `content` (older payloads). */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return contentTexts(output, { dropInjected: false }).join('\n');
  const content = field(output, 'content');
  if (typeof content === 'string') return content;
  return output === undefined || output === null ? '' : JSON.stringify(output);
}

function toolCallHeader(item: ResponseItem): string {
  const name = text(item.name) || 'unknown tool';
  return `[tool call: ${name}${callIdSuffix(item)}]`;
}

function callIdSuffix(item: ResponseItem): string {
  const callId = text(item.call_id);
  return callId === '' ? '' : ` (${callId})`;
}

function describeWebSearch(action: unknown): string {
  const type = text(field(action, 'type'));
  const query = text(field(action, 'query'));
  const url = text(field(action, 'url'));
  const pattern = text(field(action, 'pattern'));
  if (type === 'search' || (type === '' && query !== '')) return query;
  if (type === 'open_page') return `open ${url}`.trimEnd();
  if (type === 'find_in_page') return `find ${JSON.stringify(pattern)} in ${url}`.trimEnd();
  return type;
}

/** `header` and `body` (trailing whitespace dropped) on separate lines; just the header when the body is blank. */
function block(header: string, body: string): string {
  const trimmed = body.trimEnd();
  return trimmed === '' ? header : `${header}\n${trimmed}`;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
