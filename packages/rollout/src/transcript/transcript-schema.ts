import * as z from 'zod';

/**
 * The version of the transcript format that {@link TranscriptSchema} describes. It changes when a
 * field is removed or its meaning changes; new optional fields keep it.
 *
 * @example
 * ```ts
 * if (document.version !== TRANSCRIPT_VERSION) throw new Error('unsupported transcript');
 * ```
 */
export const TRANSCRIPT_VERSION = 1;

/** The `$id` of the published JSON Schema of {@link TranscriptSchema}. */
export const TRANSCRIPT_SCHEMA_ID = `urn:agent-state:transcript:${TRANSCRIPT_VERSION}`;

const tokens = z
  .object({
    inputTokens: z.number().int().nonnegative(),
    cachedInputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    reasoningOutputTokens: z.number().int().nonnegative(),
    totalTokens: z.number().int().nonnegative(),
  })
  .describe(
    'Tokens of the model calls that count (repeats, duplicates and inherited copies left out).',
  );

const clipped = z
  .object({
    head: z.string().describe('The start of the text (the whole text when nothing is left out).'),
    tail: z.string().describe('The end of the text; empty when nothing is left out.'),
    omittedChars: z
      .number()
      .int()
      .nonnegative()
      .describe('Characters left out between head and tail; 0 when the text is whole.'),
  })
  .describe('A text that may be long (a tool output): its head and tail, and the size left out.');

/** Where an item comes from: its line in the rollout and when that line was written. */
const at = {
  line: z.number().int().positive().describe("The item's line in its rollout, 1-based."),
  time: z.string().nullable().describe('When the line was written (ISO 8601), if it says.'),
};

const image = z
  .object({
    kind: z.enum(['url', 'data', 'local']),
    ref: z
      .string()
      .describe(
        'The URL, the local path, or for inline data its media type and size (never the bytes).',
      ),
  })
  .describe('An image the user attached, as a reference.');

const itemSchemas = [
  z
    .object({
      type: z.literal('user_message'),
      ...at,
      text: z.string(),
      images: z.array(image),
    })
    .describe("The person's message (Codex's injected context left out)."),
  z
    .object({
      type: z.literal('agent_message'),
      ...at,
      phase: z.enum(['commentary', 'final_answer']).nullable(),
      text: z.string(),
    })
    .describe("The agent's message: running commentary or the turn's final answer."),
  z
    .object({ type: z.literal('reasoning'), ...at, text: z.string() })
    .describe('A reasoning summary (the model’s encrypted reasoning is never shown).'),
  z
    .object({
      type: z.literal('tool_call'),
      ...at,
      callId: z.string().nullable(),
      name: z.string(),
      command: z
        .string()
        .nullable()
        .describe('The shell command, one line, for calls that run one; else null.'),
      arguments: clipped.nullable(),
      output: clipped.nullable().describe('Null until (or unless) the output is in the rollout.'),
      exitCode: z.number().int().nullable(),
    })
    .describe('A tool call with its arguments and output.'),
  z
    .object({
      type: z.literal('patch'),
      ...at,
      callId: z.string().nullable(),
      files: z.array(z.string()).describe('The files the patch adds, updates, moves or deletes.'),
      patch: clipped,
      output: clipped.nullable(),
    })
    .describe('An `apply_patch` call: the patch and what applying it said.'),
  z
    .object({ type: z.literal('error'), ...at, message: z.string() })
    .describe('An error reported in the turn (a failed request, an aborted turn).'),
  z
    .object({ type: z.literal('compaction'), ...at, text: z.string() })
    .describe('The summary that replaced earlier history when the context was compacted.'),
] as const;

/**
 * One item of a turn, tagged by `type`: `user_message`, `agent_message`, `reasoning`,
 * `tool_call`, `patch`, `error` or `compaction`.
 *
 * @example
 * ```ts
 * const item = TranscriptItemSchema.parse({ type: 'reasoning', line: 4, time: null, text: 'Planning' });
 * ```
 */
export const TranscriptItemSchema = z.discriminatedUnion('type', itemSchemas);

/**
 * See {@link TranscriptItemSchema}.
 *
 * @example
 * ```ts
 * if (item.type === 'tool_call') console.log(item.command ?? item.name, item.exitCode);
 * ```
 */
export type TranscriptItem = z.infer<typeof TranscriptItemSchema>;

/**
 * One turn: what the person asked and everything the agent did until the turn ended.
 *
 * @example
 * ```ts
 * const turn = TranscriptTurnSchema.parse(value);
 * ```
 */
export const TranscriptTurnSchema = z.object({
  index: z.number().int().positive().describe('1-based, counting inherited turns.'),
  id: z.string().nullable().describe("Codex's turn id, when the rollout names one."),
  inherited: z
    .boolean()
    .describe(
      "Part of the history a fork inherited from its parent (read from the parent's rollout).",
    ),
  fromThreadId: z.string().describe('The thread whose rollout holds the turn.'),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  status: z.enum(['completed', 'aborted', 'open']),
  model: z.string().nullable(),
  usage: tokens
    .nullable()
    .describe("The turn's own model calls, summed; null when none is recorded."),
  items: z.array(TranscriptItemSchema),
});

/**
 * See {@link TranscriptTurnSchema}.
 *
 * @example
 * ```ts
 * for (const turn of transcript.turns) console.log(turn.index, turn.items.length);
 * ```
 */
export type TranscriptTurn = z.infer<typeof TranscriptTurnSchema>;

/**
 * A thread as a person reads it: its facts, then its turns in order. This schema is the JSON
 * export's format (`agent-state threads export --format json`), published as the JSON Schema
 * `transcript.schema.json` of `@agent-state/rollout`.
 *
 * @example
 * ```ts
 * const transcript = TranscriptSchema.parse(JSON.parse(text));
 * ```
 */
export const TranscriptSchema = z
  .object({
    format: z.literal('agent-state.transcript'),
    version: z.literal(TRANSCRIPT_VERSION),
    thread: z.object({
      id: z.string(),
      title: z.string().nullable(),
      cwd: z.string().nullable(),
      createdAt: z.string().nullable(),
      updatedAt: z.string().nullable(),
      archived: z.boolean(),
      source: z.string().nullable(),
      cliVersion: z.string().nullable(),
      modelProvider: z.string().nullable(),
      gitBranch: z.string().nullable(),
      rolloutPath: z.string(),
      forkedFrom: z
        .object({
          threadId: z.string(),
          byReference: z
            .boolean()
            .describe("A fork by reference (Codex 0.169) reads its parent's history in place."),
          resolved: z.boolean().describe("Whether the parent's history could be read."),
        })
        .nullable(),
      parentThreadId: z.string().nullable().describe('The thread that spawned this sub-agent.'),
    }),
    turns: z.array(TranscriptTurnSchema),
    usage: tokens.describe("The thread's own usage: its turns, inherited ones left out."),
    skippedLines: z
      .array(z.object({ file: z.string(), line: z.number().int(), reason: z.string() }))
      .describe('Lines of the rollout that could not be read, with why.'),
    redacted: z.boolean().describe('Whether secrets were replaced with [REDACTED].'),
  })
  .meta({ title: 'agent-state transcript' });

/**
 * See {@link TranscriptSchema}.
 *
 * @example
 * ```ts
 * const transcript: Transcript = await loadTranscript({ home, id });
 * console.log(transcript.thread.title, transcript.turns.length);
 * ```
 */
export type Transcript = z.infer<typeof TranscriptSchema>;

/**
 * Token counts of a turn or thread. See {@link TranscriptSchema}.
 *
 * @example
 * ```ts
 * const total: number = (transcript.usage satisfies TranscriptTokens).totalTokens;
 * ```
 */
export type TranscriptTokens = z.infer<typeof tokens>;

/**
 * A long text kept as its head and tail. See {@link TranscriptSchema}.
 *
 * @example
 * ```ts
 * const whole = text.omittedChars === 0 ? text.head : undefined;
 * ```
 */
export type ClippedText = z.infer<typeof clipped>;
