import { registerErrorCodes } from '@agent-state/state';

/**
 * Codes of the errors the consolidation agent (phase 2 of `runMemories`) ends with, registered in
 * agent-state's error table (`errorCodeInfo` of `@agent-state/state`). Each run that fails ends
 * with exactly one of them, so the phase-2 driver can record a reason and the CLI can map the code
 * to an exit status.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationAgentError && error.code === ConsolidationErrorCode.MaxTurns) {
 *   logger.warn('the consolidation agent did not finish in time');
 * }
 * ```
 */
export const ConsolidationErrorCode = registerErrorCodes('@agent-state/memories', {
  MaxTurns: {
    code: 'MEMORIES_AGENT_MAX_TURNS',
    category: 'external-service',
    description: 'The model still asked for tools after the last allowed turn.',
  },
  Aborted: {
    code: 'MEMORIES_AGENT_ABORTED',
    category: 'aborted',
    description: "The caller's signal aborted the consolidation agent (shutdown, lost lease).",
  },
  Timeout: {
    code: 'MEMORIES_AGENT_TIMEOUT',
    category: 'external-service',
    description: 'The consolidation agent ran out of its time budget.',
  },
  ModelFailed: {
    code: 'MEMORIES_AGENT_MODEL_FAILED',
    category: 'external-service',
    description:
      'A model request failed (HTTP error, connection error, a failed or cut-off response).',
  },
  OverCap: {
    code: 'MEMORIES_MEMORY_OVER_CAP',
    category: 'external-service',
    description:
      'The consolidation agent left a MEMORY.md larger than the cap; the previous outputs were put back.',
  },
});

/**
 * One of the values of {@link ConsolidationErrorCode}.
 *
 * @example
 * ```ts
 * const code: ConsolidationErrorCode = ConsolidationErrorCode.Aborted;
 * ```
 */
export type ConsolidationErrorCode =
  (typeof ConsolidationErrorCode)[keyof typeof ConsolidationErrorCode];

/**
 * Why a stage-one answer was refused ({@link Stage1OutputError}), registered in agent-state's
 * error table:
 * - `Unparsable` (`STAGE1_OUTPUT_UNPARSABLE`): no JSON object could be found in the text;
 * - `Invalid` (`STAGE1_OUTPUT_INVALID`): a JSON object, but a field is missing, not a string, or
 *   given twice (under its name and a legacy alias);
 * - `Incomplete` (`STAGE1_OUTPUT_INCOMPLETE`): exactly one of the summary and the raw memory is
 *   empty.
 *
 * @example
 * ```ts
 * if (error instanceof Stage1OutputError && error.code === Stage1OutputErrorCode.Unparsable) {
 *   logger.warn('the model answered with prose');
 * }
 * ```
 */
export const Stage1OutputErrorCode = registerErrorCodes('@agent-state/memories', {
  Unparsable: {
    code: 'STAGE1_OUTPUT_UNPARSABLE',
    category: 'external-service',
    description: 'The stage-one model answer holds no JSON object.',
  },
  Invalid: {
    code: 'STAGE1_OUTPUT_INVALID',
    category: 'external-service',
    description:
      'The stage-one answer is a JSON object, but a field is missing, not a string, or given twice.',
  },
  Incomplete: {
    code: 'STAGE1_OUTPUT_INCOMPLETE',
    category: 'external-service',
    description: 'Exactly one of the summary and the raw memory of a stage-one answer is empty.',
  },
});

/**
 * One of the values of {@link Stage1OutputErrorCode}.
 *
 * @example
 * ```ts
 * const code: Stage1OutputErrorCode = 'STAGE1_OUTPUT_UNPARSABLE';
 * ```
 */
export type Stage1OutputErrorCode =
  (typeof Stage1OutputErrorCode)[keyof typeof Stage1OutputErrorCode];
