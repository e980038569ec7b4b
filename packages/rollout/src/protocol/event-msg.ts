import * as z from 'zod';

import { MessagePhaseSchema } from './response-item.js';

const tokenUsage = z.looseObject({
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  reasoning_output_tokens: z.number(),
  total_tokens: z.number(),
});

/**
 * `event_msg/user_message` (legacy format): what the user sent. `images` are URLs, `local_images`
 * file paths.
 *
 * @example
 * ```ts
 * const event = UserMessageEventSchema.parse(payload);
 * console.log(event.message, event.local_images);
 * ```
 */
export const UserMessageEventSchema = z.looseObject({
  type: z.literal('user_message'),
  message: z.string(),
  images: z.array(z.string()).nullish(),
  local_images: z.array(z.string()).nullish(),
});

/**
 * See {@link UserMessageEventSchema}.
 *
 * @example
 * ```ts
 * const event: UserMessageEvent = { type: 'user_message', message: 'Fix the flaky test' };
 * ```
 */
export type UserMessageEvent = z.infer<typeof UserMessageEventSchema>;

/**
 * `event_msg/token_count`: cumulative token usage (`info` is null before the first response).
 *
 * @example
 * ```ts
 * const total = TokenCountEventSchema.parse(payload).info?.total_token_usage.total_tokens ?? 0;
 * ```
 */
export const TokenCountEventSchema = z.looseObject({
  type: z.literal('token_count'),
  info: z
    .looseObject({
      total_token_usage: tokenUsage,
      last_token_usage: tokenUsage.optional(),
      model_context_window: z.number().nullish(),
    })
    .nullish(),
});

/**
 * See {@link TokenCountEventSchema}.
 *
 * @example
 * ```ts
 * const event: TokenCountEvent = TokenCountEventSchema.parse(payload);
 * applier.tokenCount(event);
 * ```
 */
export type TokenCountEvent = z.infer<typeof TokenCountEventSchema>;

/**
 * `event_msg/item_completed` (paginated format, Codex 0.169): a finished turn item. A user
 * message's `content` holds `{type:"text",text}` or `{type:"local_image",path}` elements.
 *
 * @example
 * ```ts
 * const { item } = ItemCompletedEventSchema.parse(payload);
 * if (item.type === 'UserMessage') console.log(item.content);
 * ```
 */
export const ItemCompletedEventSchema = z.looseObject({
  type: z.literal('item_completed'),
  thread_id: z.string().nullish(),
  turn_id: z.string().nullish(),
  item: z.looseObject({
    type: z.string(),
    content: z.array(z.looseObject({ type: z.string() })).nullish(),
  }),
});

/**
 * See {@link ItemCompletedEventSchema}.
 *
 * @example
 * ```ts
 * const event: ItemCompletedEvent = {
 *   type: 'item_completed',
 *   turn_id: 't1',
 *   item: { type: 'UserMessage', content: [{ type: 'text', text: 'Fix the flaky test' }] },
 * };
 * ```
 */
export type ItemCompletedEvent = z.infer<typeof ItemCompletedEventSchema>;

/**
 * An event as read: tagged by `type`, every field kept.
 *
 * @example
 * ```ts
 * if (event.type === 'task_complete') console.log(event.last_agent_message);
 * ```
 */
export const EventMsgSchema = z.looseObject({ type: z.string() });

/**
 * See {@link EventMsgSchema}.
 *
 * @example
 * ```ts
 * if (line.type === 'event_msg') {
 *   const event: EventMsg = line.payload;
 *   console.log(event.type);
 * }
 * ```
 */
export type EventMsg = z.infer<typeof EventMsgSchema>;

/**
 * The events agent-state writes, exactly (Codex 0.100 key order): the "limited" persistence set
 * (`user_message`, `agent_message`, `agent_reasoning`, `agent_reasoning_raw_content`,
 * `token_count`, `task_started`, `task_complete`, `turn_aborted`, `context_compacted`,
 * `thread_rolled_back`, `entered_review_mode`, `exited_review_mode`, `undo_completed`).
 *
 * @example
 * ```ts
 * EventMsgWriteSchema.parse({ type: 'agent_message', message: 'Done.' });
 * ```
 */
export const EventMsgWriteSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('user_message'),
    message: z.string(),
    images: z.array(z.string()).optional(),
    local_images: z.array(z.string()),
    text_elements: z.array(z.unknown()),
  }),
  z.strictObject({
    type: z.literal('agent_message'),
    message: z.string(),
    phase: MessagePhaseSchema.optional(),
  }),
  z.strictObject({ type: z.literal('agent_reasoning'), text: z.string() }),
  z.strictObject({ type: z.literal('agent_reasoning_raw_content'), text: z.string() }),
  z.strictObject({
    type: z.literal('token_count'),
    info: z
      .strictObject({
        total_token_usage: tokenUsage,
        last_token_usage: tokenUsage,
        model_context_window: z.number().nullable(),
      })
      .nullable(),
    rate_limits: z.unknown(),
  }),
  z.strictObject({
    type: z.literal('task_started'),
    turn_id: z.string(),
    model_context_window: z.number().nullable(),
    collaboration_mode_kind: z.string(),
  }),
  z.strictObject({
    type: z.literal('task_complete'),
    turn_id: z.string(),
    last_agent_message: z.string().nullable(),
  }),
  z.strictObject({
    type: z.literal('turn_aborted'),
    turn_id: z.string().nullable(),
    reason: z.enum(['interrupted', 'replaced', 'review_ended']),
  }),
  z.strictObject({ type: z.literal('context_compacted') }),
  z.strictObject({
    type: z.literal('thread_rolled_back'),
    num_turns: z.number().int().nonnegative(),
  }),
  z.strictObject({ type: z.literal('entered_review_mode') }).catchall(z.unknown()),
  z.strictObject({ type: z.literal('exited_review_mode') }).catchall(z.unknown()),
  z.strictObject({ type: z.literal('undo_completed') }).catchall(z.unknown()),
]);

/**
 * See {@link EventMsgWriteSchema}.
 *
 * @example
 * ```ts
 * const event: EventMsgWrite = { type: 'task_complete', turn_id: 't1', last_agent_message: 'Done.' };
 * ```
 */
export type EventMsgWrite = z.infer<typeof EventMsgWriteSchema>;
