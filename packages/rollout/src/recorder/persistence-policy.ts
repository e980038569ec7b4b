import { truncateMiddleChars } from './truncate-middle.js';

/**
 * Which events a recorder keeps: `limited` (Codex's default) keeps what resume, listing and the
 * store need; `extended` (Codex's `persistExtendedHistory`) also keeps tool results such as
 * `exec_command_end`, sanitized.
 *
 * @example
 * ```ts
 * const mode: EventPersistenceMode = 'extended';
 * const recorder = await RolloutRecorder.create({ ...options, persistenceMode: mode });
 * ```
 */
export type EventPersistenceMode = 'limited' | 'extended';

/**
 * One item a caller hands to `RolloutRecorder.record`: a rollout line without its timestamp. The
 * recorder writes `session_meta` itself, so callers pass `response_item`, `event_msg`,
 * `turn_context` and `compacted` items. Payloads use Codex's wire shape (snake_case, optional
 * fields omitted rather than `null`); the recorder validates each one exactly before queueing it.
 *
 * @example
 * ```ts
 * const items: RolloutItemInput[] = [
 *   { type: 'event_msg', payload: { type: 'user_message', message: 'Fix the flaky test', images: [], local_images: [], text_elements: [] } },
 *   { type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the flaky test' }] } },
 * ];
 * await recorder.record(items);
 * ```
 */
export type RolloutItemInput =
  | { type: 'response_item'; payload: { type: string; [key: string]: unknown } }
  | { type: 'event_msg'; payload: { type: string; [key: string]: unknown } }
  | { type: 'turn_context'; payload: { [key: string]: unknown } }
  | { type: 'compacted'; payload: { [key: string]: unknown } };

/**
 * Byte budget of the `aggregated_output` of an `exec_command_end` event kept in extended mode
 * (Codex's `PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES`): longer output keeps its first and last
 * 5,000 bytes around a `…N chars truncated…` marker.
 *
 * @example
 * ```ts
 * const { aggregated_output } = sanitizeEventMsg(execEnd, 'extended');
 * Buffer.byteLength(aggregated_output as string) <= PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES + 64; // true
 * ```
 */
export const PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES = 10_000;

/** Response items Codex persists (everything but `Other`, i.e. unknown types). */
const PERSISTED_RESPONSE_ITEMS: ReadonlySet<string> = new Set([
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
  'compaction_summary', // read alias of `compaction`; written as `compaction`
  // Added after February; Codex persists them too.
  'tool_search_call',
  'tool_search_output',
  'image_generation_call',
]);

/** Events kept in both modes (`item_completed` is handled apart: only Plan items). */
const LIMITED_EVENTS: ReadonlySet<string> = new Set([
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
  // Resume and fork rely on turn boundaries; real Codex 0.100 writes them.
  'task_started',
  'task_complete',
]);

/** Events extended mode adds. */
const EXTENDED_EVENTS: ReadonlySet<string> = new Set([
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
  'collab_resume_end',
  'dynamic_tool_call_request',
  'dynamic_tool_call_response',
]);

/**
 * The event types a recorder may write in a mode (without `item_completed`, which is kept only
 * for Plan items).
 *
 * @example
 * ```ts
 * persistedEventTypes('limited').has('agent_message_delta'); // false
 * persistedEventTypes('extended').has('exec_command_end'); // true
 * ```
 */
export function persistedEventTypes(mode: EventPersistenceMode): ReadonlySet<string> {
  return mode === 'extended' ? new Set([...LIMITED_EVENTS, ...EXTENDED_EVENTS]) : LIMITED_EVENTS;
}

/**
 * True when Codex persists a response item of this type: every known type (`message`,
 * `reasoning`, `function_call`, …), never an unknown one (Codex's `Other`).
 *
 * @example
 * ```ts
 * isPersistedResponseItem({ type: 'function_call' }); // true
 * isPersistedResponseItem({ type: 'some_future_item' }); // false
 * ```
 */
export function isPersistedResponseItem(item: { type: string }): boolean {
  return PERSISTED_RESPONSE_ITEMS.has(item.type);
}

/**
 * True when an event is written to the rollout in `mode` (Codex's `should_persist_event_msg`):
 * the limited set (user and agent messages, reasoning, token counts, turn start/complete/abort,
 * compaction, review mode, rollback, undo, and `item_completed` of a Plan item) in both modes,
 * plus tool results (`exec_command_end`, `mcp_tool_call_end`, `error`, …) in extended mode.
 * Deltas, `*_begin` events, approvals and requests are never written.
 *
 * @example
 * ```ts
 * shouldPersistEventMsg({ type: 'agent_message_delta' }, 'extended'); // false
 * shouldPersistEventMsg({ type: 'exec_command_end' }, 'limited'); // false
 * shouldPersistEventMsg({ type: 'item_completed', item: { type: 'Plan' } }, 'limited'); // true
 * ```
 */
export function shouldPersistEventMsg(
  event: { type: string; [key: string]: unknown },
  mode: EventPersistenceMode,
): boolean {
  if (event.type === 'item_completed') {
    const item = event.item as { type?: unknown } | null | undefined;
    return typeof item === 'object' && item !== null && item.type === 'Plan';
  }
  if (LIMITED_EVENTS.has(event.type)) return true;
  return mode === 'extended' && EXTENDED_EVENTS.has(event.type);
}

/**
 * True when a rollout item is written in `mode`: turn contexts and compaction summaries always,
 * response items and events by {@link isPersistedResponseItem} and {@link shouldPersistEventMsg}.
 *
 * @example
 * ```ts
 * const kept = items.filter((item) => isPersistedRolloutItem(item, 'limited'));
 * ```
 */
export function isPersistedRolloutItem(
  item: RolloutItemInput,
  mode: EventPersistenceMode,
): boolean {
  switch (item.type) {
    case 'response_item':
      return isPersistedResponseItem(item.payload);
    case 'event_msg':
      return shouldPersistEventMsg(item.payload, mode);
    case 'turn_context':
    case 'compacted':
      return true;
  }
}

/**
 * The event as it is written in `mode`. In extended mode an `exec_command_end` keeps the head
 * and the tail of an `aggregated_output` longer than
 * {@link PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES} bytes, half the budget each, cut on UTF-8
 * character boundaries and joined by `…N chars truncated…` (as Codex writes it), and empties
 * `stdout`, `stderr` and `formatted_output`; every other event is returned as it is. Never
 * mutates its argument.
 *
 * @example
 * ```ts
 * const stored = sanitizeEventMsg(execEnd, 'extended');
 * stored.stdout; // ''
 * ```
 */
export function sanitizeEventMsg<E extends { type: string; [key: string]: unknown }>(
  event: E,
  mode: EventPersistenceMode,
): E {
  if (mode !== 'extended' || event.type !== 'exec_command_end') return event;
  const sanitized: Record<string, unknown> = { ...event };
  if (typeof sanitized.aggregated_output === 'string') {
    sanitized.aggregated_output = truncateMiddleChars(
      sanitized.aggregated_output,
      PERSISTED_EXEC_AGGREGATED_OUTPUT_MAX_BYTES,
    );
  }
  for (const key of ['stdout', 'stderr', 'formatted_output'] as const) {
    if (key in sanitized) sanitized[key] = '';
  }
  return sanitized as E;
}

/**
 * Applies the policy to a batch: drops what `mode` does not persist and sanitizes the rest
 * (see {@link sanitizeEventMsg}); order is kept and the input is not mutated.
 *
 * @example
 * ```ts
 * const kept = filterRolloutItems(items, 'limited'); // no deltas, no exec_command_end
 * ```
 */
export function filterRolloutItems(
  items: readonly RolloutItemInput[],
  mode: EventPersistenceMode,
): RolloutItemInput[] {
  const kept: RolloutItemInput[] = [];
  for (const item of items) {
    if (!isPersistedRolloutItem(item, mode)) continue;
    kept.push(
      item.type === 'event_msg'
        ? { type: 'event_msg', payload: sanitizeEventMsg(item.payload, mode) }
        : item,
    );
  }
  return kept;
}
