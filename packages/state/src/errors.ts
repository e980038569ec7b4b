import type { LeaseHolder } from './leases/lease-holder.js';

/**
 * Stable error codes of agent-state. Every error this project throws on purpose carries one, so
 * callers (and the CLI, which maps them to exit codes in one place) can branch on `error.code`
 * instead of parsing messages.
 *
 * @example
 * ```ts
 * import { ErrorCode, isAgentStateError } from '@agent-state/state';
 *
 * try {
 *   await openStateStore({ home });
 * } catch (error) {
 *   if (isAgentStateError(error) && error.code === ErrorCode.StoreCorrupt) {
 *     // offer `recoverCorrupt: true`
 *   }
 * }
 * ```
 */
export const ErrorCode = {
  /** A caller passed a value that cannot be used (bad id, negative page size, …). */
  InvalidArgument: 'INVALID_ARGUMENT',
  /** A thread, file or row that was asked for does not exist. */
  NotFound: 'NOT_FOUND',
  /** The database file is not a database, is damaged, or fails `quick_check`. */
  StoreCorrupt: 'STORE_CORRUPT',
  /** The database was written by a newer agent-state (its schema is ahead of ours). */
  StoreTooNew: 'STORE_TOO_NEW',
  /** The database exists but does not carry our `application_id`: it is not ours. */
  StoreForeign: 'STORE_FOREIGN',
  /** The database stayed locked by another process beyond the busy timeout and retries. */
  StoreBusy: 'STORE_BUSY',
  /** The store could not be opened or written (permissions, read-only home, full disk, …). */
  StoreIo: 'STORE_IO',
  /** A lease (backfill, job) is held by another live owner. */
  LeaseHeld: 'LEASE_HELD',
  /** The caller's lease expired or was taken over: its ownership token no longer matches. */
  LeaseLost: 'LEASE_LOST',
  /** A rollout file cannot be read (permissions, a directory, a vanished file). */
  RolloutUnreadable: 'ROLLOUT_UNREADABLE',
  /** A rollout file holds no usable thread (empty, no session metadata, unparsable name). */
  RolloutInvalid: 'ROLLOUT_INVALID',
  /** A sandbox policy (or its config) is not valid (raised by `@agent-state/sandbox-policy`). */
  InvalidSandboxPolicy: 'INVALID_SANDBOX_POLICY',
  /** The platform cannot enforce a sandbox policy; refused, never widened (`@agent-state/sandbox-policy`). */
  UnsupportedSandboxPolicy: 'UNSUPPORTED_SANDBOX_POLICY',
  /** The memories consolidation agent asked for tools beyond its last allowed turn. */
  MemoriesAgentMaxTurns: 'MEMORIES_AGENT_MAX_TURNS',
  /** The consolidation agent was stopped (shutdown, lost lease). */
  MemoriesAgentAborted: 'MEMORIES_AGENT_ABORTED',
  /** The consolidation agent ran out of its time budget. */
  MemoriesAgentTimeout: 'MEMORIES_AGENT_TIMEOUT',
  /** A model request of the memories pipeline failed. */
  MemoriesAgentModelFailed: 'MEMORIES_AGENT_MODEL_FAILED',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error agent-state throws on purpose. It carries a stable {@link ErrorCode}
 * and, when relevant, the path of the file the error is about.
 *
 * @example
 * ```ts
 * throw new AgentStateError(ErrorCode.NotFound, 'thread 0199… not found');
 * ```
 */
export class AgentStateError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** The file the error is about, when there is one. */
  readonly path: string | undefined;

  /**
   * `options.path` names the file the error is about; `options.cause` becomes `error.cause`.
   *
   * @example
   * ```ts
   * throw new AgentStateError(ErrorCode.StoreIo, 'cannot write the store', { path, cause: error });
   * ```
   */
  constructor(
    code: ErrorCode,
    message: string,
    options: { path?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options.path;
  }
}

/**
 * A value passed by the caller is unusable. `argument` names the parameter or flag.
 *
 * @example
 * ```ts
 * throw new InvalidArgumentError('pageSize', 'must be a positive integer, got -1');
 * ```
 */
export class InvalidArgumentError extends AgentStateError {
  /** Name of the offending parameter, option or CLI flag. */
  readonly argument: string;

  /**
   * The message reads `invalid <argument>: <problem>`.
   *
   * @example
   * ```ts
   * new InvalidArgumentError('--limit', 'expected a positive integer, got "ten"').message;
   * // 'invalid --limit: expected a positive integer, got "ten"'
   * ```
   */
  constructor(argument: string, problem: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.InvalidArgument, `invalid ${argument}: ${problem}`, options);
    this.argument = argument;
  }
}

/**
 * Something that was asked for does not exist.
 *
 * @example
 * ```ts
 * const thread = await store.threads.get(id);
 * if (!thread) throw new NotFoundError(`thread ${id}`);
 * ```
 */
export class NotFoundError extends AgentStateError {
  /**
   * The message reads `<what> not found`; `options.path` names the missing file, if any.
   *
   * @example
   * ```ts
   * throw new NotFoundError(`rollout of thread ${id}`, { path: thread.rolloutPath });
   * ```
   */
  constructor(what: string, options: { path?: string } = {}) {
    super(ErrorCode.NotFound, `${what} not found`, options);
  }
}

/**
 * The database file is not a SQLite database, is damaged, or fails `PRAGMA quick_check`.
 * Open with `recoverCorrupt: true` to move it aside and start a fresh store (the rollouts can
 * rebuild it with a backfill).
 *
 * @example
 * ```ts
 * try {
 *   await openStateStore({ home });
 * } catch (error) {
 *   if (error instanceof StoreCorruptError) console.error(`${error.path}: ${error.message}`);
 * }
 * ```
 */
export class StoreCorruptError extends AgentStateError {
  /** What SQLite (or the header check) reported. */
  readonly detail: string;

  /**
   * `detail` is what SQLite or the header check reported; the message names `path` too.
   *
   * @example
   * ```ts
   * throw new StoreCorruptError(path, 'not a SQLite database (4096 bytes of other data)');
   * ```
   */
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.StoreCorrupt, `database ${path} is corrupt: ${detail}`, {
      path,
      ...options,
    });
    this.detail = detail;
  }
}

/**
 * The database was migrated by a newer agent-state than this one. It is never downgraded.
 *
 * @example
 * ```ts
 * if (error instanceof StoreTooNewError) {
 *   console.error(`upgrade agent-state: schema ${error.found} > ${error.supported}`);
 * }
 * ```
 */
export class StoreTooNewError extends AgentStateError {
  /** Schema version found in the file. */
  readonly found: number;
  /** Highest schema version this build knows. */
  readonly supported: number;

  /**
   * `found` is the schema version in the file at `path`; `supported` the highest this build knows.
   *
   * @example
   * ```ts
   * throw new StoreTooNewError(path, 7, 5); // 'database … has schema version 7, newer than the 5 …'
   * ```
   */
  constructor(path: string, found: number, supported: number) {
    super(
      ErrorCode.StoreTooNew,
      `database ${path} has schema version ${found}, newer than the ${supported} this agent-state supports; upgrade agent-state`,
      { path },
    );
    this.found = found;
    this.supported = supported;
  }
}

/**
 * The database at our file name carries another program's `application_id`; we refuse to touch it.
 *
 * @example
 * ```ts
 * if (error instanceof StoreForeignError) console.error(`${error.path} is not ours`);
 * ```
 */
export class StoreForeignError extends AgentStateError {
  /**
   * `applicationId` is the foreign `application_id` found in the file at `path`.
   *
   * @example
   * ```ts
   * const applicationId = db.pragma('application_id', { simple: true }) as number;
   * if (applicationId !== AGENT_STATE_APPLICATION_ID) {
   *   throw new StoreForeignError(path, applicationId);
   * }
   * ```
   */
  constructor(path: string, applicationId: number) {
    super(
      ErrorCode.StoreForeign,
      `database ${path} belongs to another program (application_id ${applicationId}); it was left untouched`,
      { path },
    );
  }
}

/**
 * Another process kept the database locked beyond the busy timeout and the bounded retries.
 *
 * @example
 * ```ts
 * if (error instanceof StoreBusyError) console.error('the store is busy, try again');
 * ```
 */
export class StoreBusyError extends AgentStateError {
  /**
   * `options.cause` is SQLite's last `SQLITE_BUSY` error.
   *
   * @example
   * ```ts
   * throw new StoreBusyError(path, { cause: error });
   * ```
   */
  constructor(path: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.StoreBusy, `database ${path} stayed locked by another process`, {
      path,
      ...options,
    });
  }
}

/**
 * The store could not be created, opened or written: permissions, a read-only home, a full disk.
 *
 * @example
 * ```ts
 * if (error instanceof StoreIoError) console.error(error.message); // names the path and the cause
 * ```
 */
export class StoreIoError extends AgentStateError {
  /**
   * The message reads `cannot use <path>: <detail>`.
   *
   * @example
   * ```ts
   * throw new StoreIoError(home, `cannot create the home directory: ${String(error)}`, {
   *   cause: error,
   * });
   * ```
   */
  constructor(path: string, detail: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.StoreIo, `cannot use ${path}: ${detail}`, { path, ...options });
  }
}

/**
 * A lease is held by another live owner (for example another process runs the backfill).
 *
 * @example
 * ```ts
 * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
 * if (claim.outcome === 'held') throw new LeaseHeldError('backfill');
 * ```
 */
export class LeaseHeldError extends AgentStateError {
  /** The process holding the lease (host and pid), when known. */
  readonly holder: Pick<LeaseHolder, 'host' | 'pid'> | null;

  /**
   * `what` names the lease; the message reads `<what> is held by another process`, followed by
   * ` (pid <pid> on host <host>)` when `options.holder` is known.
   *
   * @example
   * ```ts
   * const claim = await store.backfill.tryClaim({ leaseSeconds: 120 });
   * if (claim.outcome === 'held') throw new LeaseHeldError('the backfill', { holder: claim.holder });
   * // message: 'the backfill is held by another process (pid 1234 on host laptop)'
   * ```
   */
  constructor(
    what: string,
    options: { holder?: Pick<LeaseHolder, 'host' | 'pid'> | null | undefined } = {},
  ) {
    const holder = options.holder ?? null;
    const who = holder === null ? '' : ` (pid ${holder.pid} on host ${holder.host})`;
    super(ErrorCode.LeaseHeld, `${what} is held by another process${who}`);
    this.holder = holder;
  }
}

/**
 * The caller's lease is lost: its ownership token no longer owns the row (another process took
 * it over, or it was finished or reset), or its deadline has come. The caller must stop what it
 * does under that lease.
 *
 * @example
 * ```ts
 * try {
 *   await store.backfill.heartbeat(lease);
 * } catch (error) {
 *   if (error instanceof LeaseLostError) controller.abort(error);
 * }
 * ```
 */
export class LeaseLostError extends AgentStateError {
  /**
   * `what` names the lease; the message reads `<what> lease was lost to another owner`.
   *
   * @example
   * ```ts
   * throw new LeaseLostError('backfill');
   * ```
   */
  constructor(what: string) {
    super(ErrorCode.LeaseLost, `${what} lease was lost to another owner`);
  }
}

/**
 * True when `error` is an {@link AgentStateError} (also across duplicated package copies, by shape).
 *
 * @example
 * ```ts
 * if (isAgentStateError(error)) process.exitCode = exitCodeFor(error.code);
 * ```
 */
export function isAgentStateError(error: unknown): error is AgentStateError {
  if (error instanceof AgentStateError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (Object.values(ErrorCode) as string[]).includes(code);
}
