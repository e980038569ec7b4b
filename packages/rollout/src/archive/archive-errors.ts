import { AgentStateError, ErrorCode } from '@agent-state/state';

/**
 * Why {@link ArchiveRefusedError} refused to move a rollout:
 * - `outside-root`: its real path (symlinks resolved) is not inside `<home>/sessions` (archive)
 *   or `<home>/archived_sessions` (unarchive);
 * - `id-mismatch`: its file name is not `rollout-…-<thread id>.jsonl`;
 * - `missing-timestamp`: unarchive cannot tell its `YYYY/MM/DD` folder from its file name;
 * - `destination-exists`: a file is already where it would go (nothing is overwritten);
 * - `already-archived`: archive of a thread whose rollout is in `archived_sessions`;
 * - `not-archived`: unarchive of a thread whose rollout is in `sessions`.
 *
 * @example
 * ```ts
 * if (error instanceof ArchiveRefusedError && error.reason === 'already-archived') return;
 * ```
 */
export type ArchiveRefusal =
  | 'outside-root'
  | 'id-mismatch'
  | 'missing-timestamp'
  | 'destination-exists'
  | 'already-archived'
  | 'not-archived';

/**
 * Archive or unarchive refused to move a rollout; nothing was moved or written. `reason` says
 * why, `path` names the file at issue (the destination for `destination-exists`, the rollout
 * otherwise). Its code is `ROLLOUT_INVALID` (the CLI exits 1).
 *
 * @example
 * ```ts
 * try {
 *   await archiveThread({ home, threadId, clock, store });
 * } catch (error) {
 *   if (error instanceof ArchiveRefusedError) logger.warn(error.message, { reason: error.reason });
 *   else throw error;
 * }
 * ```
 */
export class ArchiveRefusedError extends AgentStateError {
  /** Why the move was refused. */
  readonly reason: ArchiveRefusal;

  /**
   * `path` names the file at issue; `message` says what is wrong with it.
   *
   * @example
   * ```ts
   * throw new ArchiveRefusedError('destination-exists', to, `${to} already exists`);
   * ```
   */
  constructor(reason: ArchiveRefusal, path: string, message: string) {
    super(ErrorCode.RolloutInvalid, message, { path });
    this.reason = reason;
  }
}
