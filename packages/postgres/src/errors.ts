import { AgentStateError, registerErrorCodes } from '@agent-state/errors';

/**
 * Codes of the errors of `@agent-state/postgres`, registered in agent-state's error table, so the
 * CLI maps them to exit codes like every other error. The other failures of a PostgreSQL store use
 * `@agent-state/state`'s codes (`STORE_TOO_NEW`, `STORE_FOREIGN`, `STORE_IO`, `INVALID_ARGUMENT`).
 *
 * @example
 * ```ts
 * if (error.code === PostgresErrorCode.Unreachable) console.error('is the server up?');
 * ```
 */
export const PostgresErrorCode = registerErrorCodes('@agent-state/postgres', {
  Unreachable: {
    code: 'STORE_UNREACHABLE',
    category: 'store',
    description:
      'The store server (PostgreSQL) could not be reached in time: refused, unknown host, timed out or gone.',
  },
  AuthFailed: {
    code: 'STORE_AUTH_FAILED',
    category: 'store',
    description:
      'The store server (PostgreSQL) refused the credentials: wrong user or password, or no access to the database.',
  },
});

/**
 * One of the values of {@link PostgresErrorCode}.
 *
 * @example
 * ```ts
 * const code: PostgresErrorCode = PostgresErrorCode.Unreachable;
 * ```
 */
export type PostgresErrorCode = (typeof PostgresErrorCode)[keyof typeof PostgresErrorCode];

/**
 * The server could not be reached: the connection was refused, its host is unknown, it did not
 * answer in time, or it went away. `server` names it without its password.
 *
 * @example
 * ```ts
 * if (error instanceof StoreUnreachableError) console.error(`${error.server} is down`);
 * ```
 */
export class StoreUnreachableError extends AgentStateError<typeof PostgresErrorCode.Unreachable> {
  /** The server, as `postgres://user@host:port/db` (never with its password). */
  readonly server: string;

  /**
   * `detail` says what happened (`connection refused`, `timed out after 10 s`).
   *
   * @example
   * ```ts
   * throw new StoreUnreachableError('postgres://me@db:5432/agent_state', 'connection refused');
   * ```
   */
  constructor(server: string, detail: string, options: { cause?: unknown } = {}) {
    super(PostgresErrorCode.Unreachable, `cannot reach the store server ${server}: ${detail}`, {
      path: server,
      ...options,
    });
    this.server = server;
  }
}

/**
 * The server refused the credentials (wrong password, unknown role, no access to the database).
 * The message names the server and the user, never the password.
 *
 * @example
 * ```ts
 * if (error instanceof StoreAuthError) console.error('check the password in ~/.pgpass');
 * ```
 */
export class StoreAuthError extends AgentStateError<typeof PostgresErrorCode.AuthFailed> {
  /** The server, as `postgres://user@host:port/db` (never with its password). */
  readonly server: string;

  /**
   * `detail` is the server's reason without secrets (`password authentication failed for user "me"`).
   *
   * @example
   * ```ts
   * throw new StoreAuthError('postgres://me@db:5432/agent_state', 'password authentication failed');
   * ```
   */
  constructor(server: string, detail: string, options: { cause?: unknown } = {}) {
    super(PostgresErrorCode.AuthFailed, `the store server ${server} refused to let in: ${detail}`, {
      path: server,
      ...options,
    });
    this.server = server;
  }
}
