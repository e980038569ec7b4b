import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES,
  type RolloutItemInput,
  filterRolloutItems,
  isPersistedResponseItem,
  isPersistedRolloutItem,
  persistedEventTypes,
  sanitizeEventMsg,
  shouldPersistEventMsg,
} from './persistence-policy.js';

const LIMITED = [
  'user_message',
  'agent_message',
  'agent_reasoning',
  'agent_reasoning_raw_content',
  'token_count',
  'context_compacted',
  'entered_review_mode',
  'exited_review_mode',
  'thread_rolled_back',
  'undo_completed',
  'turn_aborted',
  'task_started',
  'task_complete',
];

const EXTENDED_ONLY = [
  'error',
  'web_search_end',
  'exec_command_end',
  'patch_apply_end',
  'mcp_tool_call_end',
  'view_image_tool_call',
  'collab_agent_spawn_end',
  'collab_agent_interaction_end',
  'collab_waiting_end',
  'collab_close_end',
];

const NEVER = [
  'agent_message_delta',
  'agent_reasoning_delta',
  'agent_reasoning_raw_content_delta',
  'agent_message_content_delta',
  'plan_delta',
  'reasoning_content_delta',
  'exec_command_begin',
  'exec_command_output_delta',
  'mcp_tool_call_begin',
  'web_search_begin',
  'patch_apply_begin',
  'collab_agent_spawn_begin',
  'exec_approval_request',
  'apply_patch_approval_request',
  'request_user_input',
  'elicitation_request',
  'warning',
  'session_configured',
  'mcp_startup_update',
  'mcp_startup_complete',
  'mcp_list_tools_response',
  'list_custom_prompts_response',
  'list_skills_response',
  'plan_update',
  'turn_diff',
  'background_event',
  'stream_error',
  'raw_response_item',
  'item_started',
  'shutdown_complete',
  'deprecation_notice',
  'undo_started',
  'skills_update_available',
  'model_reroute',
  'terminal_interaction',
  'thread_name_updated',
  'agent_reasoning_section_break',
  'get_history_entry_response',
  'some_future_event',
];

describe('shouldPersistEventMsg', () => {
  it.each(LIMITED)('keeps %s in both modes', (type) => {
    expect(shouldPersistEventMsg({ type }, 'limited')).toBe(true);
    expect(shouldPersistEventMsg({ type }, 'extended')).toBe(true);
  });

  it.each(EXTENDED_ONLY)('keeps %s in extended mode only', (type) => {
    expect(shouldPersistEventMsg({ type }, 'limited')).toBe(false);
    expect(shouldPersistEventMsg({ type }, 'extended')).toBe(true);
  });

  it.each(NEVER)('never keeps %s', (type) => {
    expect(shouldPersistEventMsg({ type }, 'limited')).toBe(false);
    expect(shouldPersistEventMsg({ type }, 'extended')).toBe(false);
  });

  it('keeps item_completed only for a Plan item', () => {
    for (const mode of ['limited', 'extended'] as const) {
      expect(shouldPersistEventMsg({ type: 'item_completed', item: { type: 'Plan' } }, mode)).toBe(
        true,
      );
      for (const item of [{ type: 'UserMessage' }, { type: 'AgentMessage' }, null, undefined]) {
        expect(shouldPersistEventMsg({ type: 'item_completed', item }, mode)).toBe(false);
      }
    }
  });

  it('agrees with persistedEventTypes', () => {
    expect([...persistedEventTypes('limited')].sort()).toEqual([...LIMITED].sort());
    for (const type of [...LIMITED, ...EXTENDED_ONLY]) {
      expect(persistedEventTypes('extended').has(type)).toBe(true);
    }
  });
});

describe('isPersistedResponseItem', () => {
  it('keeps every known response item and drops unknown ones (Other)', () => {
    const known = [
      'message',
      'reasoning',
      'local_shell_call',
      'function_call',
      'function_call_output',
      'custom_tool_call',
      'custom_tool_call_output',
      'web_search_call',
      'ghost_snapshot',
      'compaction',
      'tool_search_call',
      'tool_search_output',
      'image_generation_call',
    ];
    for (const type of known) expect(isPersistedResponseItem({ type })).toBe(true);
    expect(isPersistedResponseItem({ type: 'other' })).toBe(false);
    expect(isPersistedResponseItem({ type: 'some_future_item' })).toBe(false);
  });

  it('always keeps turn contexts and compaction summaries', () => {
    for (const mode of ['limited', 'extended'] as const) {
      expect(isPersistedRolloutItem({ type: 'turn_context', payload: {} }, mode)).toBe(true);
      expect(isPersistedRolloutItem({ type: 'compacted', payload: {} }, mode)).toBe(true);
    }
  });
});

describe('extended-mode sanitization of exec_command_end', () => {
  const execEnd = {
    type: 'exec_command_end',
    call_id: 'call_1',
    turn_id: 't1',
    command: ['bash', '-lc', 'cat big.txt'],
    cwd: join(tmpdir(), 'agent-state-test', 'app'),
    parsed_cmd: [],
    source: 'agent',
    stdout: 'out',
    stderr: 'err',
    aggregated_output: `${'a'.repeat(PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES - 1)}é and more`,
    exit_code: 0,
    duration: { secs: 0, nanos: 5_000_000 },
    formatted_output: 'formatted',
    status: 'completed',
  };

  it('keeps the head and tail of an aggregated_output over 10,000 bytes, as Codex does, and empties the rest', () => {
    const sanitized = sanitizeEventMsg(execEnd, 'extended');
    // 5,000 bytes of head; the tail is the last 5,000 bytes (the 'é' straddles no cut here).
    const output = execEnd.aggregated_output;
    const tail = Buffer.from(output).subarray(-5_000).toString('utf8');
    const omitted = [...output].length - 5_000 - [...tail].length;
    expect(sanitized.aggregated_output).toBe(
      `${'a'.repeat(5_000)}…${omitted} chars truncated…${tail}`,
    );
    expect(tail.endsWith('é and more')).toBe(true);
    expect(sanitized.stdout).toBe('');
    expect(sanitized.stderr).toBe('');
    expect(sanitized.formatted_output).toBe('');
    expect(sanitized.exit_code).toBe(0);
    expect(Object.keys(sanitized)).toEqual(Object.keys(execEnd));
    // The input is not touched.
    expect(execEnd.stdout).toBe('out');
  });

  it('leaves short output, other events and limited mode alone', () => {
    const short = { ...execEnd, aggregated_output: 'ok' };
    expect(sanitizeEventMsg(short, 'extended').aggregated_output).toBe('ok');
    expect(sanitizeEventMsg(execEnd, 'limited')).toBe(execEnd);
    const message = { type: 'agent_message', message: 'x'.repeat(20_000) };
    expect(sanitizeEventMsg(message, 'extended')).toBe(message);
  });

  it('filterRolloutItems drops and sanitizes in order', () => {
    const items: RolloutItemInput[] = [
      { type: 'event_msg', payload: { type: 'agent_message_delta', delta: 'D' } },
      { type: 'event_msg', payload: execEnd },
      { type: 'event_msg', payload: { type: 'agent_message', message: 'Done' } },
      { type: 'response_item', payload: { type: 'other' } },
    ];
    expect(filterRolloutItems(items, 'limited')).toEqual([items[2]]);
    const extended = filterRolloutItems(items, 'extended');
    expect(extended.map((item) => item.payload.type)).toEqual([
      'exec_command_end',
      'agent_message',
    ]);
    expect(extended[0]?.payload.stdout).toBe('');
  });
});
