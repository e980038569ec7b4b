import * as z from 'zod';

/**
 * Phase of an assistant message: the running commentary of a turn or its final answer.
 *
 * @example
 * ```ts
 * const phase: MessagePhase = 'final_answer';
 * ```
 */
export const MessagePhaseSchema = z.enum(['commentary', 'final_answer']);

/**
 * See {@link MessagePhaseSchema}.
 *
 * @example
 * ```ts
 * const phase: MessagePhase = MessagePhaseSchema.parse('commentary');
 * ```
 */
export type MessagePhase = z.infer<typeof MessagePhaseSchema>;

const contentItem = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('input_text'), text: z.string() }),
  z.strictObject({ type: z.literal('input_image'), image_url: z.string() }),
  z.strictObject({ type: z.literal('output_text'), text: z.string() }),
]);

/**
 * One content element of a message: `input_text`, `input_image` or `output_text`.
 *
 * @example
 * ```ts
 * const part: ContentItem = { type: 'input_text', text: 'Fix the flaky test' };
 * ```
 */
export type ContentItem = z.infer<typeof contentItem>;

/**
 * The response items agent-state writes, exactly (Codex 0.100 key order, no `id`): `message`,
 * `reasoning`, `function_call`, `function_call_output`, `custom_tool_call`,
 * `custom_tool_call_output`, `local_shell_call`, `web_search_call`, `compaction`.
 *
 * @example
 * ```ts
 * ResponseItemWriteSchema.parse({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}', call_id: 'call_1' });
 * ```
 */
export const ResponseItemWriteSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('message'),
    role: z.string(),
    content: z.array(contentItem),
    end_turn: z.boolean().optional(),
    phase: MessagePhaseSchema.optional(),
  }),
  z.strictObject({
    type: z.literal('reasoning'),
    summary: z.array(z.strictObject({ type: z.literal('summary_text'), text: z.string() })),
    content: z
      .array(z.strictObject({ type: z.enum(['reasoning_text', 'text']), text: z.string() }))
      .nullable(),
    encrypted_content: z.string().nullable(),
  }),
  z.strictObject({
    type: z.literal('function_call'),
    name: z.string(),
    arguments: z.string(),
    call_id: z.string(),
  }),
  z.strictObject({
    type: z.literal('function_call_output'),
    call_id: z.string(),
    output: z.union([
      z.string(),
      z.array(
        z.discriminatedUnion('type', [
          z.strictObject({ type: z.literal('input_text'), text: z.string() }),
          z.strictObject({ type: z.literal('input_image'), image_url: z.string() }),
        ]),
      ),
    ]),
  }),
  z.strictObject({
    type: z.literal('custom_tool_call'),
    status: z.string().optional(),
    call_id: z.string(),
    name: z.string(),
    input: z.string(),
  }),
  z.strictObject({
    type: z.literal('custom_tool_call_output'),
    call_id: z.string(),
    output: z.string(),
  }),
  z.strictObject({
    type: z.literal('local_shell_call'),
    call_id: z.string().nullable(),
    status: z.enum(['completed', 'in_progress', 'incomplete']),
    action: z.strictObject({
      type: z.literal('exec'),
      command: z.array(z.string()),
      timeout_ms: z.number().int().nullable(),
      working_directory: z.string().nullable(),
      env: z.record(z.string(), z.string()).nullable(),
      user: z.string().nullable(),
    }),
  }),
  z.strictObject({
    type: z.literal('web_search_call'),
    status: z.string().optional(),
    action: z.looseObject({ type: z.string() }).optional(),
  }),
  z.strictObject({ type: z.literal('compaction'), encrypted_content: z.string() }),
]);

/**
 * See {@link ResponseItemWriteSchema}.
 *
 * @example
 * ```ts
 * const item: ResponseItemWrite = {
 *   type: 'message',
 *   role: 'assistant',
 *   content: [{ type: 'output_text', text: 'Done.' }],
 *   phase: 'final_answer',
 * };
 * ```
 */
export type ResponseItemWrite = z.infer<typeof ResponseItemWriteSchema>;

/**
 * A response item as read: tagged by `type`, every field kept (0.169 adds `id`, `status`, …).
 * Known types (`message`, `function_call`, …) carry Codex's fields; others arrive with their raw
 * fields.
 *
 * @example
 * ```ts
 * if (item.type === 'message' && item.role === 'user') console.log(item.content);
 * ```
 */
export const ResponseItemSchema = z.looseObject({ type: z.string() });

/**
 * See {@link ResponseItemSchema}.
 *
 * @example
 * ```ts
 * if (line.type === 'response_item') {
 *   const item: ResponseItem = line.payload;
 *   if (item.type === 'function_call') console.log(item.name, item.call_id);
 * }
 * ```
 */
export type ResponseItem = z.infer<typeof ResponseItemSchema>;
