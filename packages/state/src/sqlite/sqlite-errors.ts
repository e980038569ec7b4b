import { AgentStateError } from '@agent-state/errors';

import { StoreBusyError, StoreCorruptError, StoreIoError } from '../errors.js';

/** The `code` of a better-sqlite3 `SqliteError` (e.g. `SQLITE_BUSY_SNAPSHOT`), if it is one. */
export function sqliteCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** True for SQLite's "someone else holds the lock" family (`SQLITE_BUSY*`, `SQLITE_LOCKED*`). */
export function isSqliteBusy(error: unknown): boolean {
  if (error instanceof StoreBusyError) return true;
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** `SQLITE_ERROR` messages that mean a damaged file, not a bad statement. */
const DAMAGE_MESSAGES = /^(unsupported file format|malformed database schema)/;

/** Options of {@link toStoreError}. */
export interface ToStoreErrorOptions {
  /**
   * The failing code stored no value of the caller's (it read, or set pragmas and schema). Then
   * `SQLITE_TOOBIG` ("string or blob too big") is damage too: the impossible length came from a
   * record of the file. (Where a caller's value is stored, it is that value that is too big, and
   * the error is returned unchanged.)
   */
  storesNoCallerData?: boolean | undefined;
}

/**
 * Turns the SQLite errors that are about the database file (damaged, locked, unwritable) into
 * typed agent-state errors naming `path`. Other errors (constraints, SQL mistakes) are returned
 * unchanged: they are bugs or caller errors with their own messages.
 */
export function toStoreError(
  error: unknown,
  path: string,
  options: ToStoreErrorOptions = {},
): unknown {
  if (error instanceof AgentStateError) return error;
  const code = sqliteCode(error);
  if (code === undefined) return error;
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreBusyError(path, { cause: error });
  }
  if (
    code.startsWith('SQLITE_CORRUPT') ||
    code === 'SQLITE_NOTADB' ||
    // Damage SQLite reports with its generic code: a bad schema-format byte in the header, or a
    // schema that no longer parses.
    (code === 'SQLITE_ERROR' && DAMAGE_MESSAGES.test(message)) ||
    // A record whose length field went wild (found by the soak, seed 1240138433).
    (code === 'SQLITE_TOOBIG' && options.storesNoCallerData === true)
  ) {
    return new StoreCorruptError(path, message, { cause: error });
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new StoreIoError(path, `${message} (${code})`, { cause: error });
  }
  return error;
}
