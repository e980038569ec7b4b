import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { InvalidArgumentError, type Logger, NotFoundError, noopLogger } from '@agent-state/state';
import OpenAI from 'openai';

import { failureReason } from '../errors/failure-reason.js';
import { MEMORY_FILE } from '../layout/memory-layout.js';
import { DEFAULT_MAX_MEMORY_BYTES } from '../model/model-config.js';
import {
  ConsolidationAbortedError,
  ConsolidationMaxTurnsError,
  ConsolidationModelError,
  ConsolidationOverCapError,
  type ConsolidationProgress,
  ConsolidationTimeoutError,
} from './consolidation-errors.js';
import { CONSOLIDATION_INSTRUCTIONS, buildConsolidationPrompt } from './consolidation-prompt.js';
import { type MemoryFileToolLimits, createMemoryFileTools } from './file-tools.js';

/**
 * Defaults of {@link runConsolidationAgent}: 24 turns, at most 32 tool calls run per turn, and a
 * 30-minute budget for the whole run (well inside the one-hour phase-2 lease).
 *
 * @example
 * ```ts
 * await runConsolidationAgent({ ...options, maxTurns: CONSOLIDATION_AGENT_DEFAULTS.maxTurns * 2 });
 * ```
 */
export const CONSOLIDATION_AGENT_DEFAULTS = Object.freeze({
  maxTurns: 24,
  maxToolCallsPerTurn: 32,
  timeoutMs: 30 * 60 * 1000,
});

/**
 * Options of {@link runConsolidationAgent}.
 *
 * @example
 * ```ts
 * const options: RunConsolidationAgentOptions = {
 *   client: new OpenAI({ apiKey, baseURL }),
 *   model: 'gpt-5',
 *   reasoningEffort: 'medium',
 *   root: join(home, 'memories'),
 *   signal: controller.signal,
 * };
 * ```
 */
export interface RunConsolidationAgentOptions {
  /** A client of any OpenAI-compatible Responses API (its own `maxRetries` apply per request). */
  client: OpenAI;
  model: string;
  /** Sent as `reasoning.effort` when given; omitted otherwise (for models without reasoning). */
  reasoningEffort?: Exclude<OpenAI.ReasoningEffort, null> | undefined;
  /** The memories root, which must exist: the agent's tools are confined to it. */
  root: string;
  /** Aborts the run: the request in flight is cancelled and nothing more is written. */
  signal?: AbortSignal | undefined;
  /** Model responses allowed before the run fails with {@link ConsolidationMaxTurnsError}. */
  maxTurns?: number | undefined;
  /** Tool calls run per response; the model gets an error result for the rest. */
  maxToolCallsPerTurn?: number | undefined;
  /** Budget of the whole run, ms; then it fails with {@link ConsolidationTimeoutError}. */
  timeoutMs?: number | undefined;
  /** Timeout of each request, ms (default: the client's). */
  requestTimeoutMs?: number | undefined;
  /**
   * Largest `MEMORY.md` the run may leave, bytes (default `DEFAULT_MAX_MEMORY_BYTES`): the agent
   * is told, and a larger one ends the run with {@link ConsolidationOverCapError}.
   */
  maxMemoryBytes?: number | undefined;
  /** Overrides of the file tools' limits (sizes, counts). */
  toolLimits?: Partial<MemoryFileToolLimits> | undefined;
  /** Default: discard. */
  logger?: Logger | undefined;
}

/**
 * What a finished consolidation run did.
 *
 * @example
 * ```ts
 * const { finalMessage, filesWritten } = await runConsolidationAgent(options);
 * logger.info(finalMessage, { filesWritten });
 * ```
 */
export interface ConsolidationAgentResult extends ConsolidationProgress {
  /** The model's closing answer (may be empty). */
  finalMessage: string;
  /** Tokens reported by the server over all requests (0 when it reports none). */
  usage: { inputTokens: number; outputTokens: number };
}

type InputItem = OpenAI.Responses.ResponseInputItem;
type FunctionCall = OpenAI.Responses.ResponseFunctionToolCall;

/**
 * Runs the phase-2 consolidation agent over the memories root: a bounded tool-calling loop on
 * the Responses API in which the model reads `raw_memories.md` and `rollout_summaries/` and
 * maintains `MEMORY.md`, `memory_summary.md` and `skills/` through the confined file tools.
 *
 * Each request resends the whole conversation (`store: false`, no `previous_response_id`), so
 * any OpenAI-compatible server works. After every response, each `function_call` is run in order
 * and answered with a `function_call_output` of the same `call_id`; bad calls (unknown tools,
 * malformed arguments, escaping paths) get error results and the run goes on. The run ends when
 * the model answers without a tool call, leaving a `MEMORY.md` within `maxMemoryBytes` (else it
 * fails with {@link ConsolidationOverCapError}). It fails with {@link ConsolidationMaxTurnsError} after
 * `maxTurns` responses, {@link ConsolidationAbortedError} when `signal` aborts,
 * {@link ConsolidationTimeoutError} after `timeoutMs`, and {@link ConsolidationModelError} when
 * a request fails; files written before a failure stay (each write is atomic).
 *
 * @example
 * ```ts
 * import OpenAI from 'openai';
 *
 * const controller = new AbortController();
 * const result = await runConsolidationAgent({
 *   client: new OpenAI({ apiKey: process.env.OPENAI_API_KEY }),
 *   model: 'gpt-5',
 *   reasoningEffort: 'medium',
 *   root: join(home, 'memories'),
 *   signal: controller.signal,
 * });
 * console.log(result.finalMessage, result.filesWritten); // '…', ['MEMORY.md', 'memory_summary.md']
 * ```
 */
export async function runConsolidationAgent(
  options: RunConsolidationAgentOptions,
): Promise<ConsolidationAgentResult> {
  const maxTurns = positiveInteger('maxTurns', options.maxTurns);
  const maxToolCallsPerTurn = positiveInteger('maxToolCallsPerTurn', options.maxToolCallsPerTurn);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs);
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  if (!Number.isSafeInteger(maxMemoryBytes) || maxMemoryBytes < 1) {
    throw new InvalidArgumentError(
      'maxMemoryBytes',
      `expected a positive integer, got ${String(options.maxMemoryBytes)}`,
    );
  }
  const logger = (options.logger ?? noopLogger).child({ target: 'agent_state::memories::phase2' });
  const rootInfo = await stat(options.root).catch(() => undefined);
  if (!rootInfo?.isDirectory()) {
    throw new NotFoundError(`memories root ${options.root}`, { path: options.root });
  }

  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const tools = createMemoryFileTools({ root: options.root, signal, limits: options.toolLimits });
  const usage = { inputTokens: 0, outputTokens: 0 };
  let turns = 0;
  let toolCalls = 0;
  const progress = (): ConsolidationProgress => ({
    turns,
    toolCalls,
    filesWritten: [...tools.filesWritten],
    filesDeleted: [...tools.filesDeleted],
  });
  const stopped = (): Error => {
    if (options.signal?.aborted)
      return new ConsolidationAbortedError(options.signal.reason, progress());
    return new ConsolidationTimeoutError(timeoutMs, progress());
  };

  const listing = await tools.call('list_files', '{"path":null}');
  const input: InputItem[] = [
    {
      type: 'message',
      role: 'user',
      content: [
        {
          type: 'input_text',
          text: buildConsolidationPrompt({ listing: listing.output, maxMemoryBytes }),
        },
      ],
    },
  ];
  logger.info('memory consolidation started', { model: options.model, maxTurns });

  while (turns < maxTurns) {
    if (signal.aborted) throw stopped();
    let response: OpenAI.Responses.Response;
    try {
      response = await options.client.responses.create(
        {
          model: options.model,
          instructions: CONSOLIDATION_INSTRUCTIONS,
          input,
          tools: [...tools.definitions],
          store: false,
          ...(options.reasoningEffort ? { reasoning: { effort: options.reasoningEffort } } : {}),
        },
        {
          signal,
          ...(options.requestTimeoutMs === undefined ? {} : { timeout: options.requestTimeoutMs }),
        },
      );
    } catch (error) {
      if (signal.aborted) throw stopped();
      const status: unknown = error instanceof OpenAI.APIError ? error.status : undefined;
      throw new ConsolidationModelError(
        `consolidation model request failed: ${failureReason(error)}`,
        progress(),
        { status: typeof status === 'number' ? status : undefined, cause: error },
      );
    }
    turns += 1;
    if (signal.aborted) throw stopped();
    usage.inputTokens += response.usage?.input_tokens ?? 0;
    usage.outputTokens += response.usage?.output_tokens ?? 0;

    if (!Array.isArray(response.output)) {
      throw new ConsolidationModelError(
        'consolidation model response has no output list',
        progress(),
      );
    }
    const calls = response.output.filter(
      (item): item is FunctionCall => item.type === 'function_call',
    );
    const text = outputText(response.output);
    if (response.status === 'failed' || response.status === 'cancelled') {
      throw new ConsolidationModelError(
        failureReason(
          `consolidation model response ${response.status}: ${response.error?.message ?? 'no details'}`,
        ),
        progress(),
      );
    }
    if (calls.length === 0) {
      if (response.status === 'incomplete') {
        const reason = response.incomplete_details?.reason ?? 'unknown reason';
        throw new ConsolidationModelError(
          `consolidation model response cut off (${reason}) before the agent finished`,
          progress(),
        );
      }
      const memoryBytes = await fileBytes(join(options.root, MEMORY_FILE));
      if (memoryBytes > maxMemoryBytes) {
        throw new ConsolidationOverCapError(memoryBytes, maxMemoryBytes, progress());
      }
      const result = { ...progress(), finalMessage: text.trim(), usage };
      logger.info('memory consolidation finished', {
        turns,
        toolCalls,
        filesWritten: result.filesWritten,
        filesDeleted: result.filesDeleted,
      });
      return result;
    }

    input.push(...replayable(response.output));
    for (const [index, call] of calls.entries()) {
      if (signal.aborted) throw stopped();
      let output: string;
      if (index >= maxToolCallsPerTurn) {
        output = `error: not run: at most ${maxToolCallsPerTurn} tool calls are run per turn; repeat this call in your next turn if you still need it`;
      } else {
        const result = await tools.call(call.name, call.arguments);
        toolCalls += 1;
        output = result.output;
        logger.debug('consolidation tool call', {
          turn: turns,
          tool: call.name,
          ok: result.ok,
          ...(result.changed ? { changed: result.changed.path } : {}),
          ...(result.ok ? {} : { error: result.output }),
        });
      }
      input.push({ type: 'function_call_output', call_id: call.call_id, output });
    }
  }
  throw new ConsolidationMaxTurnsError(maxTurns, progress());
}

/**
 * The output items to send back with the next request: function calls (without their server ids,
 * which a stateless request cannot refer to), assistant text, and reasoning items that carry
 * their encrypted content. Anything else is dropped.
 */
function replayable(output: readonly OpenAI.Responses.ResponseOutputItem[]): InputItem[] {
  const items: InputItem[] = [];
  for (const item of output) {
    if (item.type === 'function_call') {
      items.push({
        type: 'function_call',
        call_id: item.call_id,
        name: item.name,
        arguments: item.arguments,
      });
    } else if (item.type === 'message') {
      const text = outputText([item]);
      if (text !== '') items.push({ type: 'message', role: 'assistant', content: text });
    } else if (item.type === 'reasoning' && item.encrypted_content) {
      items.push(item);
    }
  }
  return items;
}

/** The text of the assistant messages among `output` (refusals included). */
function outputText(output: readonly OpenAI.Responses.ResponseOutputItem[]): string {
  const parts: string[] = [];
  for (const item of output) {
    if (item.type !== 'message') continue;
    for (const part of item.content) {
      parts.push(part.type === 'output_text' ? part.text : part.refusal);
    }
  }
  return parts.join('');
}

/** The size of a file, bytes; 0 when it does not exist. A link counts as itself, not its target. */
async function fileBytes(path: string): Promise<number> {
  try {
    return (await lstat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function positiveInteger(
  key: keyof typeof CONSOLIDATION_AGENT_DEFAULTS,
  value: number | undefined,
): number {
  const resolved = value ?? CONSOLIDATION_AGENT_DEFAULTS[key];
  // Timers cannot wait longer than 2^31 - 1 ms.
  if (!Number.isSafeInteger(resolved) || resolved < 1 || resolved > 2_147_483_647) {
    throw new InvalidArgumentError(key, `expected a positive integer, got ${String(value)}`);
  }
  return resolved;
}
