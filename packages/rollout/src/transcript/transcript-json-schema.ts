import * as z from 'zod';

import { TRANSCRIPT_SCHEMA_ID, TranscriptSchema } from './transcript-schema.js';

/**
 * The JSON Schema (draft 2020-12) of the JSON export, generated from {@link TranscriptSchema}: the
 * package publishes it as `transcript.schema.json` (`@agent-state/rollout/transcript.schema.json`),
 * and a test keeps that file equal to this.
 */
export function transcriptJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(TranscriptSchema, { target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: TRANSCRIPT_SCHEMA_ID,
    description:
      'A thread of an AI coding agent (OpenAI Codex rollouts) as agent-state exports it: ' +
      '`agent-state threads export <id> --format json`.',
    ...rest,
  };
}
