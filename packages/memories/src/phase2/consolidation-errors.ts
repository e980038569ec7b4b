import { AgentStateError } from '@agent-state/state';

import { ConsolidationErrorCode } from '../errors/error-codes.js';

/**
 * How far a consolidation run got: carried by its result and by the error that ended it, since
 * files written before a failure stay written (each write is atomic on its own).
 *
 * @example
 * ```ts
 * const progress: ConsolidationProgress = { turns: 3, toolCalls: 7, filesWritten: ['MEMORY.md'], filesDeleted: [] };
 * ```
 */
export interface ConsolidationProgress {
  /** Model responses received. */
  turns: number;
  /** Tool calls executed (refused ones included; calls over the per-turn cap excluded). */
  toolCalls: number;
  /** Files written and still present, relative to the memories root, sorted. */
  filesWritten: string[];
  /** Files deleted, relative to the memories root, sorted. */
  filesDeleted: string[];
}

/**
 * Base of the errors of the consolidation agent: an `AgentStateError` with one of the
 * {@link ConsolidationErrorCode}s and the run's `progress`.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationAgentError) {
 *   logger.warn(error.message, { code: error.code, filesWritten: error.progress.filesWritten });
 * }
 * ```
 */
export class ConsolidationAgentError extends AgentStateError<ConsolidationErrorCode> {
  /** What the run did before it stopped. */
  readonly progress: ConsolidationProgress;

  /**
   * `options.cause` becomes `error.cause`.
   *
   * @example
   * ```ts
   * throw new ConsolidationAgentError(ConsolidationErrorCode.ModelFailed, 'no response', progress);
   * ```
   */
  constructor(
    code: ConsolidationErrorCode,
    message: string,
    progress: ConsolidationProgress,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.progress = progress;
  }
}

/**
 * The model kept calling tools through the last allowed turn. Files written until then stay.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationMaxTurnsError) logger.warn(`gave up after ${error.maxTurns} turns`);
 * ```
 */
export class ConsolidationMaxTurnsError extends ConsolidationAgentError {
  /** The turn budget that was exhausted. */
  readonly maxTurns: number;

  /**
   * The message names the budget.
   *
   * @example
   * ```ts
   * throw new ConsolidationMaxTurnsError(24, progress);
   * ```
   */
  constructor(maxTurns: number, progress: ConsolidationProgress) {
    super(
      ConsolidationErrorCode.MaxTurns,
      `the consolidation agent did not finish within ${maxTurns} turns`,
      progress,
    );
    this.maxTurns = maxTurns;
  }
}

/**
 * The caller's signal aborted the run; nothing was written after the abort. Its `name` is
 * `AbortError`, like the errors of `fetch` and Node.js, and `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationAbortedError) return; // shutting down
 * throw error;
 * ```
 */
export class ConsolidationAbortedError extends ConsolidationAgentError {
  /**
   * `reason` is the abort signal's reason.
   *
   * @example
   * ```ts
   * throw new ConsolidationAbortedError(signal.reason, progress);
   * ```
   */
  constructor(reason: unknown, progress: ConsolidationProgress) {
    const why = reason instanceof Error ? `: ${reason.message}` : '';
    super(ConsolidationErrorCode.Aborted, `the consolidation agent was aborted${why}`, progress, {
      cause: reason,
    });
    this.name = 'AbortError';
  }
}

/**
 * The run used up its time budget (`timeoutMs`); nothing was written afterwards. Its `name` is
 * `TimeoutError`, like the reason of `AbortSignal.timeout`.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationTimeoutError) logger.warn(`gave up after ${error.timeoutMs} ms`);
 * ```
 */
export class ConsolidationTimeoutError extends ConsolidationAgentError {
  /** The time budget, ms. */
  readonly timeoutMs: number;

  /**
   * The message names the budget.
   *
   * @example
   * ```ts
   * throw new ConsolidationTimeoutError(1_800_000, progress);
   * ```
   */
  constructor(timeoutMs: number, progress: ConsolidationProgress) {
    super(
      ConsolidationErrorCode.Timeout,
      `the consolidation agent did not finish within ${timeoutMs} ms`,
      progress,
    );
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A model request failed: an HTTP error (`status` set), a connection failure, or a response that
 * failed or was cut off before it said anything usable.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationModelError && error.status === 429) logger.warn('rate limited');
 * ```
 */
export class ConsolidationModelError extends ConsolidationAgentError {
  /** The HTTP status, when the server answered with an error. */
  readonly status: number | undefined;

  /**
   * `options.status` is the HTTP status; `options.cause` the client's error.
   *
   * @example
   * ```ts
   * throw new ConsolidationModelError('model request failed: 500 boom', progress, { status: 500 });
   * ```
   */
  constructor(
    message: string,
    progress: ConsolidationProgress,
    options: { status?: number | undefined; cause?: unknown } = {},
  ) {
    super(ConsolidationErrorCode.ModelFailed, message, progress, { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * The agent finished, but the `MEMORY.md` it left is larger than the cap (`maxMemoryBytes`). The
 * consolidation counts as failed: the phase-2 driver puts the previous outputs back.
 *
 * @example
 * ```ts
 * if (error instanceof ConsolidationOverCapError) logger.warn(`MEMORY.md: ${error.bytes} > ${error.maxBytes}`);
 * ```
 */
export class ConsolidationOverCapError extends ConsolidationAgentError {
  /** The size of the `MEMORY.md` the agent left, bytes. */
  readonly bytes: number;
  /** The cap, bytes. */
  readonly maxBytes: number;

  /**
   * The message gives both sizes and the setting that holds the cap.
   *
   * @example
   * ```ts
   * throw new ConsolidationOverCapError(612_345, 65_536, progress);
   * ```
   */
  constructor(bytes: number, maxBytes: number, progress: ConsolidationProgress) {
    super(
      ConsolidationErrorCode.OverCap,
      `the consolidation agent left a MEMORY.md of ${bytes} bytes, over the cap of ${maxBytes} bytes (max_memory_bytes in [memories] of config.toml, or AGENT_STATE_MEMORY_MAX_BYTES)`,
      progress,
    );
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}
