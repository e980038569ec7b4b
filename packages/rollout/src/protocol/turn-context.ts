import * as z from 'zod';

/**
 * The `turn_context` payload as read: the settings a turn ran with. `sandbox_policy` and
 * `approval_policy` are kept as the JSON values Codex wrote (see `@agent-state/sandbox-policy` for
 * their types); Codex 0.169 adds `permission_profile`, which it stores in place of the sandbox
 * policy. Unknown fields are kept.
 *
 * @example
 * ```ts
 * const ctx = TurnContextSchema.parse(line.payload);
 * console.log(ctx.cwd, ctx.approval_policy);
 * ```
 */
export const TurnContextSchema = z.looseObject({
  turn_id: z.string().nullish(),
  cwd: z.string(),
  approval_policy: z.unknown(),
  sandbox_policy: z.unknown(),
  permission_profile: z.unknown().optional(),
  model: z.string().nullish(),
  effort: z.string().nullish(),
  summary: z.unknown().optional(),
});

/**
 * See {@link TurnContextSchema}.
 *
 * @example
 * ```ts
 * if (line.type === 'turn_context') {
 *   const ctx: TurnContext = line.payload;
 *   console.log(ctx.model, ctx.cwd);
 * }
 * ```
 */
export type TurnContext = z.infer<typeof TurnContextSchema>;

/**
 * The exact `turn_context` payload agent-state writes (Codex 0.100 key order; optional fields are
 * omitted when unset).
 *
 * @example
 * ```ts
 * TurnContextWriteSchema.parse({
 *   turn_id: 't1', cwd: '/repo', approval_policy: 'on-request',
 *   sandbox_policy: { type: 'read-only' }, model: 'gpt-5', summary: 'auto',
 * });
 * ```
 */
export const TurnContextWriteSchema = z.strictObject({
  turn_id: z.string().optional(),
  cwd: z.string(),
  approval_policy: z.union([z.string(), z.record(z.string(), z.unknown())]),
  sandbox_policy: z.looseObject({ type: z.string() }),
  network: z.unknown().optional(),
  model: z.string(),
  personality: z.string().optional(),
  collaboration_mode: z.unknown().optional(),
  effort: z.string().optional(),
  summary: z.unknown(),
  user_instructions: z.string().optional(),
  developer_instructions: z.string().optional(),
  final_output_json_schema: z.unknown().optional(),
  truncation_policy: z.unknown().optional(),
});

/**
 * See {@link TurnContextWriteSchema}.
 *
 * @example
 * ```ts
 * const ctx: TurnContextWrite = {
 *   turn_id: 't1',
 *   cwd: '/repo',
 *   approval_policy: 'on-request',
 *   sandbox_policy: { type: 'workspace-write' },
 *   model: 'gpt-5',
 *   summary: 'auto',
 * };
 * ```
 */
export type TurnContextWrite = z.infer<typeof TurnContextWriteSchema>;
