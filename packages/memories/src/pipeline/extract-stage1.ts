import type { ThreadMetadata } from '@agent-state/state';
import type OpenAI from 'openai';

import { failureReason } from '../errors/failure-reason.js';
import type { PhaseModel } from '../model/model-config.js';
import { STAGE1_TEXT_FORMAT } from '../phase1/output-schema.js';
import { parseStage1Output } from '../phase1/parse-output.js';
import { STAGE1_INSTRUCTIONS } from '../phase1/prompts.js';
import { buildStage1Input } from '../phase1/rollout-input.js';

/**
 * What phase 1 made of one thread: memories, nothing worth keeping, or why it failed.
 *
 * @example
 * ```ts
 * if (outcome.kind === 'failed') console.warn(outcome.reason);
 * ```
 */
export type Stage1Outcome =
  | { kind: 'output'; rolloutSummary: string; rawMemory: string; rolloutSlug: string | null }
  | { kind: 'empty' }
  | { kind: 'failed'; reason: string };

/**
 * Phase 1 for one thread: reads its rollout (head and tail within the byte budget, credentials
 * redacted), asks the model for a summary and raw memories with a strict JSON schema, parses the
 * answer (legacy keys and fenced JSON accepted) and redacts secrets. Never throws: a model error,
 * a timeout, an unreadable rollout or an unusable answer becomes `{ kind: 'failed', reason }`,
 * where `reason` is one line with the error's causes (`… ECONNREFUSED …`), secrets redacted and
 * at most 1,000 characters. When `signal` aborts, the outcome is `failed` as well: a caller that
 * holds the thread's job should then give it back (`store.stage1Jobs.release`) rather
 * than record a failure.
 *
 * @example
 * ```ts
 * const outcome = await extractStage1({ client, model: { model: 'gpt-5-mini' }, thread });
 * ```
 */
export async function extractStage1(options: {
  client: OpenAI;
  model: PhaseModel;
  thread: ThreadMetadata;
  signal?: AbortSignal | undefined;
  /** Budget of the model input, UTF-8 bytes (default: the input builder's). */
  maxInputBytes?: number | undefined;
}): Promise<Stage1Outcome> {
  const { thread } = options;
  try {
    const input = await buildStage1Input({
      thread,
      maxInputBytes: options.maxInputBytes,
      signal: options.signal,
    });
    const response = await options.client.responses.create(
      {
        model: options.model.model,
        instructions: STAGE1_INSTRUCTIONS,
        input: [{ role: 'user', content: [{ type: 'input_text', text: input.text }] }],
        text: { format: STAGE1_TEXT_FORMAT },
        store: false,
        ...(options.model.reasoningEffort
          ? { reasoning: { effort: options.model.reasoningEffort } }
          : {}),
      },
      { signal: options.signal },
    );
    // A stream or server can stop before the response is complete without an HTTP error.
    if (response.status !== undefined && response.status !== 'completed') {
      const why =
        response.incomplete_details?.reason ?? response.error?.message ?? 'no reason given';
      return { kind: 'failed', reason: failureReason(`model response ${response.status}: ${why}`) };
    }
    const parsed = parseStage1Output(response.output_text);
    if ('empty' in parsed) return { kind: 'empty' };
    // The parser redacts secrets and applies the size caps.
    return { kind: 'output', ...parsed };
  } catch (error) {
    return { kind: 'failed', reason: failureReason(error) };
  }
}
