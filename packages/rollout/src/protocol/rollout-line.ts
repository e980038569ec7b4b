import * as z from 'zod';

import { EventMsgSchema, EventMsgWriteSchema } from './event-msg.js';
import { ResponseItemSchema, ResponseItemWriteSchema } from './response-item.js';
import { SessionMetaSchema, SessionMetaWriteSchema } from './session-meta.js';
import { TurnContextSchema, TurnContextWriteSchema } from './turn-context.js';

/**
 * `compacted` payload: the summary that replaced earlier history.
 *
 * @example
 * ```ts
 * const c: Compacted = { message: 'Summary of the first 40 turns…' };
 * ```
 */
export const CompactedSchema = z.looseObject({
  message: z.string(),
  replacement_history: z.array(ResponseItemSchema).nullish(),
});

/**
 * See {@link CompactedSchema}.
 *
 * @example
 * ```ts
 * if (line.type === 'compacted') {
 *   const compacted: Compacted = line.payload;
 *   console.log(compacted.message, compacted.replacement_history?.length ?? 0);
 * }
 * ```
 */
export type Compacted = z.infer<typeof CompactedSchema>;

/** The line types of the paginated format that carry no metadata (kept as read). */
const opaquePayload = z.looseObject({});

/**
 * One rollout line as read, tagged by `type`. Known types have typed payloads; a line of a type
 * this version does not know keeps its raw payload with `type: 'unknown'` and `lineType` set, so
 * nothing is lost. `ordinal` and `metadata` appear in the paginated format (Codex 0.169).
 *
 * @example
 * ```ts
 * for await (const { line } of readRollout(path)) {
 *   if (line.type === 'turn_context') console.log(line.payload.cwd);
 * }
 * ```
 */
export type RolloutLine = {
  timestamp: string;
  ordinal?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
} & (
  | { type: 'session_meta'; payload: z.infer<typeof SessionMetaSchema> }
  | { type: 'response_item'; payload: z.infer<typeof ResponseItemSchema> }
  | { type: 'event_msg'; payload: z.infer<typeof EventMsgSchema> }
  | { type: 'turn_context'; payload: z.infer<typeof TurnContextSchema> }
  | { type: 'compacted'; payload: Compacted }
  | { type: 'world_state'; payload: Record<string, unknown> }
  | { type: 'token_usage_record'; payload: Record<string, unknown> }
  | { type: 'unknown'; lineType: string; payload: unknown }
);

/**
 * Line types this version knows.
 *
 * @example
 * ```ts
 * const known = (KNOWN_LINE_TYPES as readonly string[]).includes(type); // else an `unknown` line
 * ```
 */
export const KNOWN_LINE_TYPES = [
  'session_meta',
  'response_item',
  'event_msg',
  'turn_context',
  'compacted',
  'world_state',
  'token_usage_record',
] as const;

/**
 * One of {@link KNOWN_LINE_TYPES}.
 *
 * @example
 * ```ts
 * const type: KnownLineType = 'turn_context';
 * ```
 */
export type KnownLineType = (typeof KNOWN_LINE_TYPES)[number];

const PAYLOAD_SCHEMAS: Record<KnownLineType, z.ZodType> = {
  session_meta: SessionMetaSchema,
  response_item: ResponseItemSchema,
  event_msg: EventMsgSchema,
  turn_context: TurnContextSchema,
  compacted: CompactedSchema,
  world_state: opaquePayload,
  token_usage_record: opaquePayload,
};

const envelope = z.looseObject({
  timestamp: z.string(),
  ordinal: z.number().int().nonnegative().optional(),
  type: z.string(),
  payload: z.unknown(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** Line types whose payload schema asks only for an object (`type` a string where named). */
const LOOSE_PAYLOADS: Readonly<Record<string, boolean>> = {
  response_item: true,
  event_msg: true,
  world_state: false,
  token_usage_record: false,
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The line as it is, when it is one of the loosely typed kinds (most lines of a rollout) and has
 * the shape the schemas would accept: the same result, without zod copying every payload.
 * `undefined` for anything else, which the schemas then check (and explain).
 */
function looseLine(value: unknown): RolloutLine | undefined {
  if (!isRecord(value)) return undefined;
  const { timestamp, ordinal, type, payload, metadata } = value;
  if (typeof timestamp !== 'string' || typeof type !== 'string') return undefined;
  const typed = LOOSE_PAYLOADS[type];
  if (typed === undefined || !isRecord(payload)) return undefined;
  if (typed && typeof payload.type !== 'string') return undefined;
  if (ordinal !== undefined && !(Number.isInteger(ordinal) && (ordinal as number) >= 0)) {
    return undefined;
  }
  if (metadata !== undefined && !isRecord(metadata)) return undefined;
  return {
    timestamp,
    ...(ordinal === undefined ? {} : { ordinal: ordinal as number }),
    ...(metadata === undefined ? {} : { metadata }),
    type,
    payload,
  } as RolloutLine;
}

/**
 * Why a line could not be used.
 *
 * @example
 * ```ts
 * const result = parseRolloutLine(JSON.parse(text));
 * if ('problem' in result) {
 *   const problem: LineProblem = result.problem;
 *   console.warn(`${problem.reason}: ${problem.message}`);
 * }
 * ```
 */
export type LineProblem = { reason: 'invalid-json' | 'invalid-line'; message: string };

/**
 * Validates one parsed JSON value as a rollout line (tolerant: unknown fields kept, unknown line
 * types become `unknown` items). Returns the line or the problem; never throws.
 *
 * @example
 * ```ts
 * const result = parseRolloutLine(JSON.parse(text));
 * if ('problem' in result) console.warn(result.problem.message);
 * ```
 */
export function parseRolloutLine(value: unknown): { line: RolloutLine } | { problem: LineProblem } {
  const fast = looseLine(value);
  if (fast) return { line: fast };
  const outer = envelope.safeParse(value);
  if (!outer.success) {
    return { problem: { reason: 'invalid-line', message: summarize(outer.error) } };
  }
  const { timestamp, ordinal, type, payload, metadata } = outer.data;
  const base = {
    timestamp,
    ...(ordinal === undefined ? {} : { ordinal }),
    ...(metadata === undefined ? {} : { metadata }),
  };
  const schema = PAYLOAD_SCHEMAS[type as KnownLineType] as z.ZodType | undefined;
  if (!schema) return { line: { ...base, type: 'unknown', lineType: type, payload } };
  const inner = schema.safeParse(payload);
  if (!inner.success) {
    return { problem: { reason: 'invalid-line', message: `${type}: ${summarize(inner.error)}` } };
  }
  return { line: { ...base, type, payload: inner.data } as RolloutLine };
}

/**
 * The exact shape of a line agent-state writes (the legacy format: `timestamp`, `type`,
 * `payload`, in that order), for `session_meta`, `response_item`, `event_msg`, `turn_context` and
 * `compacted`.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(RolloutLineWriteSchema.parse(line)); // throws on anything off-spec
 * ```
 */
export const RolloutLineWriteSchema = z.discriminatedUnion('type', [
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('session_meta'),
    payload: SessionMetaWriteSchema,
  }),
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('response_item'),
    payload: ResponseItemWriteSchema,
  }),
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('event_msg'),
    payload: EventMsgWriteSchema,
  }),
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('turn_context'),
    payload: TurnContextWriteSchema,
  }),
  z.strictObject({
    timestamp: z.string(),
    type: z.literal('compacted'),
    payload: z.strictObject({
      message: z.string(),
      replacement_history: z.array(ResponseItemWriteSchema).optional(),
    }),
  }),
]);

/**
 * A line as agent-state writes it. See {@link RolloutLineWriteSchema}.
 *
 * @example
 * ```ts
 * const line: RolloutLineWrite = {
 *   timestamp: formatLineTimestamp(new Date()),
 *   type: 'event_msg',
 *   payload: { type: 'agent_message', message: 'Done.' },
 * };
 * ```
 */
export type RolloutLineWrite = z.infer<typeof RolloutLineWriteSchema>;

function summarize(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}
