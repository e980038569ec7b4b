import { AgentStateError, CoreErrorCode, registerErrorCodes } from '@agent-state/errors';

import type { LeaseHolder } from './leases/lease-holder.js';

/**
 * The error codes of `@agent-state/state`, registered in the error table of
 * `@agent-state/errors` with their category (`errorCodeInfo`). Every error agent-state throws on
 * purpose carries a registered code, so callers (and the CLI, which maps categories to exit codes
 * in one place) can branch on `error.code` instead of parsing messages. The other packages
 * register their own codes (`SandboxErrorCode` of `@agent-state/sandbox-policy`,
 * `ConsolidationErrorCode` and `Stage1OutputErrorCode` of `@agent-state/memories`).
 * `ErrorCode.Internal` is `INTERNAL`, the code `toAgentStateError` wraps everything else in: it is
 * registered by `@agent-state/errors` (`CoreErrorCode.Internal`) and kept here for compatibility.
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
export const ErrorCode = Object.freeze({
  ...registerErrorCodes('@agent-state/state', {
    InvalidArgument: {
      code: 'INVALID_ARGUMENT',
      category: 'invalid-argument',
      description: 'A caller passed a value that cannot be used (bad id, negative page size, …).',
    },
    NotFound: {
      code: 'NOT_FOUND',
      category: 'not-found',
      description: 'A thread, file or row that was asked for does not exist.',
    },
    StoreCorrupt: {
      code: 'STORE_CORRUPT',
      category: 'store',
      description: 'The database file is not a database, is damaged, or fails `quick_check`.',
    },
    StoreTooNew: {
      code: 'STORE_TOO_NEW',
      category: 'store',
      description: 'The database was written by a newer agent-state (its schema is ahead of ours).',
    },
    StoreForeign: {
      code: 'STORE_FOREIGN',
      category: 'store',
      description: 'The database exists but does not carry our `application_id`: it is not ours.',
    },
    StoreBusy: {
      code: 'STORE_BUSY',
      category: 'store',
      description:
        'The database stayed locked by another process beyond the busy timeout and retries.',
    },
    StoreIo: {
      code: 'STORE_IO',
      category: 'store',
      description:
        'The store could not be opened or written (permissions, read-only home, full disk, …).',
    },
    LeaseHeld: {
      code: 'LEASE_HELD',
      category: 'lease',
      description: 'A lease (backfill, job) is held by another live owner.',
    },
    LeaseLost: {
      code: 'LEASE_LOST',
      category: 'aborted',
      description:
        "The caller's lease expired or was taken over: its ownership token no longer matches.",
    },
    RolloutUnreadable: {
      code: 'ROLLOUT_UNREADABLE',
      category: 'input-data',
      description: 'A rollout file cannot be read (permissions, a directory, a vanished file).',
    },
    RolloutInvalid: {
      code: 'ROLLOUT_INVALID',
      category: 'input-data',
      description:
        'A rollout file holds no usable thread (empty, no session metadata, unparsable name), or cannot be moved as asked.',
    },
  }),
  Internal: CoreErrorCode.Internal,
});

/**
 * One of the values of {@link ErrorCode}: a code of `@agent-state/state`.
 *
 * @example
 * ```ts
 * const code: ErrorCode = ErrorCode.StoreBusy;
 * ```
 */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A value passed by the caller is unusable. `argument` names the parameter or flag.
 *
 * @example
 * ```ts
 * throw new InvalidArgumentError('pageSize', 'must be a positive integer, got -1');
 * ```
 */
export class InvalidArgumentError extends AgentStateError<typeof ErrorCode.InvalidArgument> {
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
export class NotFoundError extends AgentStateError<typeof ErrorCode.NotFound> {
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
export class StoreCorruptError extends AgentStateError<typeof ErrorCode.StoreCorrupt> {
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
export class StoreTooNewError extends AgentStateError<typeof ErrorCode.StoreTooNew> {
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
export class StoreForeignError extends AgentStateError<typeof ErrorCode.StoreForeign> {
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
export class StoreBusyError extends AgentStateError<typeof ErrorCode.StoreBusy> {
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
export class StoreIoError extends AgentStateError<typeof ErrorCode.StoreIo> {
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
export class LeaseHeldError extends AgentStateError<typeof ErrorCode.LeaseHeld> {
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
export class LeaseLostError extends AgentStateError<typeof ErrorCode.LeaseLost> {
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
