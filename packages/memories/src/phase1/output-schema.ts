import type { ResponseFormatTextJSONSchemaConfig } from 'openai/resources/responses/responses';

/**
 * Name of the stage-one structured output format (letters, digits, `_`, `-`; at most 64).
 *
 * @example
 * ```ts
 * STAGE1_TEXT_FORMAT.name === STAGE1_OUTPUT_SCHEMA_NAME; // true
 * ```
 */
export const STAGE1_OUTPUT_SCHEMA_NAME = 'memory_stage1_output';

/**
 * JSON Schema of the stage-one answer, valid for strict structured outputs: an object with the
 * string fields `rollout_summary`, `raw_memory` and `rollout_slug`, all required, nothing else.
 * "Nothing worth remembering" is all three set to `''`.
 *
 * @example
 * ```ts
 * const keys = Object.keys(STAGE1_OUTPUT_SCHEMA.properties); // ['rollout_summary', 'raw_memory', 'rollout_slug']
 * ```
 */
export const STAGE1_OUTPUT_SCHEMA = deepFreeze({
  type: 'object',
  properties: {
    rollout_summary: {
      type: 'string',
      description:
        'Short plain-text overview of the session (at most about 150 words); empty when nothing is worth remembering.',
    },
    raw_memory: {
      type: 'string',
      description:
        'Markdown notes worth keeping from this session; empty when nothing is worth remembering.',
    },
    rollout_slug: {
      type: 'string',
      description:
        'Lowercase words joined by underscores naming the main task (at most 60 characters); empty when unclear.',
    },
  },
  required: ['rollout_summary', 'raw_memory', 'rollout_slug'],
  additionalProperties: false,
} as const);

/**
 * The Responses API `text.format` of a stage-one request: strict JSON schema output with
 * {@link STAGE1_OUTPUT_SCHEMA}.
 *
 * @example
 * ```ts
 * const response = await client.responses.create({
 *   model: 'gpt-5-mini',
 *   instructions: STAGE1_INSTRUCTIONS,
 *   input: input.text,
 *   text: { format: STAGE1_TEXT_FORMAT },
 * });
 * const parsed = parseStage1Output(response.output_text);
 * ```
 */
export const STAGE1_TEXT_FORMAT: Readonly<ResponseFormatTextJSONSchemaConfig> & {
  readonly type: 'json_schema';
  readonly strict: true;
} = Object.freeze({
  type: 'json_schema',
  name: STAGE1_OUTPUT_SCHEMA_NAME,
  strict: true,
  schema: STAGE1_OUTPUT_SCHEMA,
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
