import { InvalidArgumentError } from '@agent-state/state';
import * as z from 'zod';

import { EventMsgWriteSchema } from '../protocol/event-msg.js';
import { ResponseItemWriteSchema } from '../protocol/response-item.js';
import { type RolloutLineWrite, RolloutLineWriteSchema } from '../protocol/rollout-line.js';
import {
  type EventPersistenceMode,
  type RolloutItemInput,
  isPersistedRolloutItem,
  sanitizeEventMsg,
} from './persistence-policy.js';

/**
 * `exec_command_end`, exactly, in Codex's key order (written in extended mode only, sanitized).
 */
const ExecCommandEndWriteSchema = z.strictObject({
  type: z.literal('exec_command_end'),
  call_id: z.string(),
  process_id: z.string().optional(),
  turn_id: z.string(),
  command: z.array(z.string()),
  cwd: z.string(),
  parsed_cmd: z.array(z.unknown()),
  source: z.enum(['agent', 'user_shell', 'unified_exec_startup', 'unified_exec_interaction']),
  interaction_input: z.string().optional(),
  stdout: z.string(),
  stderr: z.string(),
  aggregated_output: z.string(),
  exit_code: z.number().int(),
  duration: z.unknown(),
  formatted_output: z.string(),
  status: z.enum(['completed', 'failed', 'declined']),
});

/** An event Codex keeps in extended mode whose payload it leaves to the producer. */
const opaqueEvent = <T extends string>(type: T) => z.looseObject({ type: z.literal(type) });

/**
 * Events the recorder may write that `EventMsgWriteSchema` (the limited set) does not cover: the
 * Plan `item_completed` of both modes and the tool results of extended mode. `exec_command_end`
 * is exact; the other extended events are checked for their tag only, since Codex does
 * not pin their payloads.
 *
 * @example
 * ```ts
 * ExtendedEventMsgWriteSchema.parse({ type: 'item_completed', thread_id, turn_id, item: { type: 'Plan', id: 'p1', text: '1. Read' } });
 * ```
 */
export const ExtendedEventMsgWriteSchema = z.discriminatedUnion('type', [
  ExecCommandEndWriteSchema,
  z.looseObject({
    type: z.literal('item_completed'),
    thread_id: z.string(),
    turn_id: z.string(),
    item: z.looseObject({ type: z.literal('Plan') }),
  }),
  opaqueEvent('error'),
  opaqueEvent('web_search_end'),
  opaqueEvent('patch_apply_end'),
  opaqueEvent('mcp_tool_call_end'),
  opaqueEvent('view_image_tool_call'),
  opaqueEvent('collab_agent_spawn_end'),
  opaqueEvent('collab_agent_interaction_end'),
  opaqueEvent('collab_waiting_end'),
  opaqueEvent('collab_close_end'),
  opaqueEvent('collab_resume_end'),
  opaqueEvent('dynamic_tool_call_request'),
  opaqueEvent('dynamic_tool_call_response'),
]);

/**
 * Response items Codex persists that `ResponseItemWriteSchema` does not cover: `ghost_snapshot`
 * and the post-February `tool_search_call`, `tool_search_output`, `image_generation_call`
 * (checked for their tag only).
 *
 * @example
 * ```ts
 * ExtraResponseItemWriteSchema.parse({ type: 'ghost_snapshot', ghost_commit: { id: 'abc' } });
 * ```
 */
export const ExtraResponseItemWriteSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ghost_snapshot'), ghost_commit: z.looseObject({}) }),
  z.looseObject({ type: z.literal('tool_search_call') }),
  z.looseObject({ type: z.literal('tool_search_output') }),
  z.looseObject({ type: z.literal('image_generation_call') }),
]);

const SupplementaryLineWriteSchema = z.discriminatedUnion('type', [
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('event_msg'),
    payload: ExtendedEventMsgWriteSchema,
  }),
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('response_item'),
    payload: ExtraResponseItemWriteSchema,
  }),
]);

/**
 * A line as the recorder writes it: a {@link RolloutLineWrite}, or an event or response item of
 * {@link ExtendedEventMsgWriteSchema} / {@link ExtraResponseItemWriteSchema}.
 *
 * @example
 * ```ts
 * const text = `${JSON.stringify(toWriteLine(item, timestamp))}\n`;
 * ```
 */
export type RecorderLineWrite = RolloutLineWrite | z.infer<typeof SupplementaryLineWriteSchema>;

/** A validated item, its payload in canonical key order, waiting for its write timestamp. */
export type PreparedItem = Pick<RecorderLineWrite, 'type' | 'payload'>;

/**
 * An item copied from another rollout (a fork's parent), written as it was read: it passed the
 * reader's schemas, and fields a newer writer added are kept rather than refused.
 */
export interface CopiedItem {
  type: string;
  payload: unknown;
  copied: true;
}

/** A line the recorder writes: validated, or copied as read. */
export type WrittenLine = RecorderLineWrite | { timestamp: string; type: string; payload: unknown };

const PROTOCOL_EVENTS: ReadonlySet<string> = new Set(
  EventMsgWriteSchema.options.map((option) => option.shape.type.value),
);
const PROTOCOL_RESPONSE_ITEMS: ReadonlySet<string> = new Set(
  ResponseItemWriteSchema.options.map((option) => option.shape.type.value),
);

/** Whether the protocol's exact line schema covers this item (else the supplementary one does). */
function coveredByProtocol(type: string, payloadType: unknown): boolean {
  if (type === 'event_msg') return PROTOCOL_EVENTS.has(String(payloadType));
  if (type === 'response_item') return PROTOCOL_RESPONSE_ITEMS.has(String(payloadType));
  return true;
}

/**
 * Builds the line written for an item at `timestamp`, `{timestamp, type, payload}`, validated
 * exactly: with `RolloutLineWriteSchema` for everything the protocol covers, else with the
 * supplementary schemas above. The parse output carries Codex's canonical key order. Throws the
 * zod error when the item is off-spec.
 *
 * @example
 * ```ts
 * const line = toWriteLine({ type: 'event_msg', payload: { type: 'agent_message', message: 'Done.' } }, new Date().toISOString());
 * ```
 */
export function toWriteLine(
  item: { type: string; payload: unknown },
  timestamp: string,
): RecorderLineWrite {
  const line = { timestamp, type: item.type, payload: item.payload };
  const payloadType = (item.payload as { type?: unknown } | null | undefined)?.type;
  return coveredByProtocol(item.type, payloadType)
    ? RolloutLineWriteSchema.parse(line)
    : SupplementaryLineWriteSchema.parse(line);
}

/**
 * Applies the persistence policy to the items a caller passes to the recorder (see
 * `filterRolloutItems`), validates what is kept and returns it in canonical form (the
 * `compaction_summary` alias becomes `compaction`). Throws {@link InvalidArgumentError} naming
 * the first bad item by its index in `items` (`items[3]`) and what is wrong with it; nothing is
 * queued then.
 *
 * @example
 * ```ts
 * const prepared = prepareItems(items, 'limited'); // deltas dropped, the rest validated
 * ```
 */
export function prepareItems(
  items: readonly RolloutItemInput[],
  mode: EventPersistenceMode,
): PreparedItem[] {
  const prepared: PreparedItem[] = [];
  items.forEach((item, index) => {
    const type = (item as { type?: unknown }).type;
    const payload = (item as { payload?: unknown }).payload;
    if (typeof payload !== 'object' || payload === null || !INPUT_TYPES.has(String(type))) {
      throw new InvalidArgumentError(
        `items[${index}]`,
        `expected {type, payload} with type ${[...INPUT_TYPES].join(', ')} and an object payload`,
      );
    }
    if (!isPersistedRolloutItem(item, mode)) return;
    let kept: unknown = item.type === 'event_msg' ? sanitizeEventMsg(item.payload, mode) : payload;
    if (item.type === 'response_item' && item.payload.type === 'compaction_summary') {
      kept = { ...item.payload, type: 'compaction' };
    }
    try {
      const line = toWriteLine({ type: item.type, payload: kept }, '');
      prepared.push({ type: line.type, payload: line.payload });
    } catch (error) {
      const payloadType = (kept as { type?: unknown }).type;
      const kind = `${item.type}/${typeof payloadType === 'string' ? payloadType : '?'}`;
      throw new InvalidArgumentError(`items[${index}]`, `${kind}: ${describe(error)}`, {
        cause: error,
      });
    }
  });
  return prepared;
}

const INPUT_TYPES: ReadonlySet<string> = new Set([
  'response_item',
  'event_msg',
  'turn_context',
  'compacted',
]);

function describe(error: unknown): string {
  if (!(error instanceof z.ZodError)) return String(error);
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.filter((part) => part !== 'payload');
  return `${path.length > 0 ? `${path.join('.')}: ` : ''}${issue.message}`;
}
