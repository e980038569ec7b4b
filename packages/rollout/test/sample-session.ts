// Test support (not part of the public API): a realistic turn in the shape real Codex 0.100
// writes it, plus the noise a live session emits that the persistence policy must drop.
import type { RolloutItemInput } from '../src/recorder/persistence-policy.js';

/** What a sample turn is about. */
export interface SampleTurn {
  turnId: string;
  cwd: string;
  prompt: string;
  answer: string;
  approvalPolicy: string;
  sandboxPolicy: { type: string; [key: string]: unknown };
  /** Cumulative tokens before the turn. */
  tokensBefore: number;
  /** Bytes of tool output (default: a short line). */
  outputBytes?: number;
}

const RATE_LIMITS = {
  limit_id: 'codex',
  limit_name: null,
  primary: null,
  secondary: null,
  credits: null,
  plan_type: null,
};

function usage(input: number, output: number) {
  return {
    input_tokens: input,
    cached_input_tokens: 0,
    output_tokens: output,
    reasoning_output_tokens: 3,
    total_tokens: input + output,
  };
}

/** Cumulative tokens after {@link sampleTurn} (given the tokens before it). */
export function sampleTurnTokens(tokensBefore: number): number {
  return tokensBefore + 137 + 20 + 150 + 25;
}

/**
 * One turn as Codex 0.100 records it: task_started, instructions, the user message, the turn
 * context, reasoning, a function call and its output, token counts, the answer, task_complete.
 */
export function sampleTurn(turn: SampleTurn): RolloutItemInput[] {
  const callId = `call_${turn.turnId.slice(-8)}`;
  const first = usage(turn.tokensBefore + 137, 20);
  const last = usage(150, 25);
  const total = {
    ...last,
    input_tokens: first.input_tokens + 150,
    output_tokens: 45,
    reasoning_output_tokens: 6,
    total_tokens: sampleTurnTokens(turn.tokensBefore),
  };
  return [
    {
      type: 'event_msg',
      payload: {
        type: 'task_started',
        turn_id: turn.turnId,
        model_context_window: 258400,
        collaboration_mode_kind: 'default',
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'developer',
        content: [{ type: 'input_text', text: '<permissions instructions>\n…' }],
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [
          {
            type: 'input_text',
            text: `<environment_context>\n  <cwd>${turn.cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>`,
          },
        ],
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: turn.prompt }],
      },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'user_message',
        message: turn.prompt,
        images: [],
        local_images: [],
        text_elements: [],
      },
    },
    {
      type: 'turn_context',
      payload: {
        turn_id: turn.turnId,
        cwd: turn.cwd,
        approval_policy: turn.approvalPolicy,
        sandbox_policy: turn.sandboxPolicy,
        model: 'mock-model',
        personality: 'pragmatic',
        collaboration_mode: {
          mode: 'default',
          settings: { model: 'mock-model', reasoning_effort: null, developer_instructions: null },
        },
        summary: 'auto',
        truncation_policy: { mode: 'bytes', limit: 10000 },
      },
    },
    { type: 'event_msg', payload: { type: 'token_count', info: null, rate_limits: RATE_LIMITS } },
    {
      type: 'event_msg',
      payload: { type: 'agent_reasoning', text: '**Planning a shell command**' },
    },
    {
      type: 'response_item',
      payload: {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: '**Planning a shell command**' }],
        content: null,
        encrypted_content: null,
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'function_call',
        name: 'exec_command',
        arguments: JSON.stringify({ cmd: 'ls -la' }),
        call_id: callId,
      },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: {
          total_token_usage: first,
          last_token_usage: usage(137, 20),
          model_context_window: 258400,
        },
        rate_limits: RATE_LIMITS,
      },
    },
    {
      type: 'response_item',
      payload: {
        type: 'function_call_output',
        call_id: callId,
        output:
          turn.outputBytes === undefined
            ? 'Chunk ID: fa9c5c\nWall time: 0.0513 seconds\nProcess exited with code 0\nOutput:\ntotal 8\n'
            : `Output:\n${'x'.repeat(turn.outputBytes)}`,
      },
    },
    { type: 'event_msg', payload: { type: 'agent_message', message: turn.answer } },
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: turn.answer }],
      },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: { total_token_usage: total, last_token_usage: last, model_context_window: 258400 },
        rate_limits: RATE_LIMITS,
      },
    },
    {
      type: 'event_msg',
      payload: { type: 'task_complete', turn_id: turn.turnId, last_agent_message: turn.answer },
    },
  ];
}

/** Events a live session emits that the limited policy never writes. */
export function sampleNoise(turnId: string): RolloutItemInput[] {
  return [
    { type: 'event_msg', payload: { type: 'session_configured', session_id: turnId } },
    { type: 'event_msg', payload: { type: 'agent_message_delta', delta: 'The ' } },
    { type: 'event_msg', payload: { type: 'agent_reasoning_delta', delta: '**Plan' } },
    {
      type: 'event_msg',
      payload: { type: 'exec_command_begin', call_id: 'c', turn_id: turnId, command: ['ls'] },
    },
    {
      type: 'event_msg',
      payload: { type: 'exec_command_output_delta', call_id: 'c', stream: 'stdout', chunk: 'AA==' },
    },
    {
      type: 'event_msg',
      payload: {
        type: 'exec_command_end',
        call_id: 'c',
        turn_id: turnId,
        command: ['ls'],
        cwd: '/',
        parsed_cmd: [],
        source: 'agent',
        stdout: 'x',
        stderr: '',
        aggregated_output: 'x',
        exit_code: 0,
        duration: { secs: 0, nanos: 1 },
        formatted_output: 'x',
        status: 'completed',
      },
    },
    { type: 'event_msg', payload: { type: 'item_started', item: { type: 'AgentMessage' } } },
    {
      type: 'event_msg',
      payload: {
        type: 'item_completed',
        thread_id: turnId,
        turn_id: turnId,
        item: { type: 'AgentMessage', id: 'm', content: [] },
      },
    },
    { type: 'event_msg', payload: { type: 'warning', message: 'slow' } },
    { type: 'event_msg', payload: { type: 'raw_response_item', item: {} } },
    { type: 'response_item', payload: { type: 'some_future_item', data: 1 } },
  ];
}

/** Turn `n` of the crash test's endless session (deterministic, ~4 KiB of tool output). */
export function crashTurn(n: number): RolloutItemInput[] {
  return sampleTurn({
    turnId: `turn-${String(n).padStart(6, '0')}`,
    cwd: '/home/user/src/app',
    prompt: `RUN: step ${n}`,
    answer: `done ${n}`,
    approvalPolicy: 'never',
    sandboxPolicy: { type: 'read-only' },
    tokensBefore: n * 1000,
    outputBytes: 4096,
  });
}
