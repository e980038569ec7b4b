// The session the recorder crash worker records: seeded turns the parent can regenerate.
import type { RolloutItemInput } from '@agent-state/rollout';

import { seededRandom } from '../harness/trials.js';

const CWD = '/home/user/src/crash-app';

/** Turn `n` of the session seeded with `sessionSeed`: a prompt, a tool call, tokens, an answer. */
export function crashSessionTurn(sessionSeed: number, n: number): RolloutItemInput[] {
  const random = seededRandom((sessionSeed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const outputBytes = Math.floor(random() * 16_384);
  const callId = `call_${sessionSeed.toString(16)}_${n}`;
  const prompt = `step ${n} of session ${sessionSeed}`;
  const total = (n + 1) * 1000 + Math.floor(random() * 999);
  const usage = {
    input_tokens: total - 100,
    cached_input_tokens: 0,
    output_tokens: 100,
    reasoning_output_tokens: 0,
    total_tokens: total,
  };
  return [
    {
      type: 'turn_context',
      payload: {
        turn_id: `turn-${n}`,
        cwd: CWD,
        approval_policy: 'never',
        sandbox_policy: { type: 'read-only' },
        model: 'gpt-5',
        summary: 'auto',
      },
    },
    {
      type: 'response_item',
      payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'user_message',
        message: prompt,
        images: [],
        local_images: [],
        text_elements: [],
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'function_call',
        name: 'shell',
        arguments: JSON.stringify({ command: ['echo', String(n)] }),
        call_id: callId,
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'function_call_output',
        call_id: callId,
        output: `${'x'.repeat(outputBytes)}\n`,
      },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: { total_token_usage: usage, last_token_usage: usage, model_context_window: 258400 },
        rate_limits: null,
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: `done ${n}` }],
      },
    },
  ];
}

/** The first `count` items of the session. */
export function crashSessionItems(sessionSeed: number, count: number): RolloutItemInput[] {
  const items: RolloutItemInput[] = [];
  for (let n = 0; items.length < count; n += 1) items.push(...crashSessionTurn(sessionSeed, n));
  return items.slice(0, count);
}

/** Where the sessions are recorded from. */
export const CRASH_SESSION_CWD = CWD;
