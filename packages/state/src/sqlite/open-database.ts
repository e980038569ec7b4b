import { existsSync, renameSync } from 'node:fs';

import Database from 'better-sqlite3';

import type { Clock } from '../clock.js';
import {
  NotFoundError,
  StoreCorruptError,
  StoreForeignError,
  StoreIoError,
  StoreTooNewError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { readSqliteHeader } from './header.js';
import { type Migration, type MigrateResult, migrate } from './migrator.js';
import { toStoreError } from './sqlite-errors.js';

/** Busy timeout set on every connection, in milliseconds (design §4). */
export const BUSY_TIMEOUT_MS = 5000;

/** Suffixes of the files SQLite keeps next to a database. */
export const SQLITE_COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  path: string;
  applicationId: number;
  migrations: readonly Migration[];
  clock: Clock;
  logger: Logger;
  /** Move a corrupt file aside and start afresh instead of throwing (default false). */
  recoverCorrupt?: boolean;
  /** Run `PRAGMA quick_check` when opening (default true). */
  integrityCheck?: boolean;
  /** How long a statement waits for another process's lock, ms (default {@link BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
  /**
   * Open an existing database for reading only: nothing is created, migrated or written. A
   * missing file throws `NotFoundError`; a schema older than `migrations` a `StoreIoError` that
   * says how to migrate it.
   */
  readOnly?: boolean;
}

/** An open, migrated connection. */
export interface OpenedDatabase {
  db: Database.Database;
  migration: MigrateResult;
  /** Where the corrupt file was moved, when `recoverCorrupt` had to act. */
  recoveredCorruptTo?: string;
}

/**
 * Opens (creating if needed) one of our SQLite databases: sets the pragmas of design §4 on the
 * connection (WAL, `synchronous=NORMAL`, busy timeout, foreign keys), checks that the file is a
 * healthy database that is ours, and migrates it. A file that is not a database or fails
 * `quick_check` raises {@link StoreCorruptError}, or with `recoverCorrupt` is renamed aside
 * (`<name>.corrupt-<timestamp>`, with its `-wal`/`-shm`) and replaced by a fresh database.
 */
export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  try {
    return openOnce(options);
  } catch (error) {
    if (!(error instanceof StoreCorruptError) || !options.recoverCorrupt) throw error;
    const movedTo = moveAside(options.path, options.clock);
    options.logger.warn('moved a corrupt database aside and started a fresh one', {
      path: options.path,
      movedTo,
      error: error.detail,
    });
    return { ...openOnce(options), recoveredCorruptTo: movedTo };
  }
}

function openOnce(options: OpenDatabaseOptions): OpenedDatabase {
  const { path, applicationId } = options;
  if (options.readOnly && !existsSync(path)) {
    throw new NotFoundError(`store ${path} (\`agent-state backfill\` creates it)`, { path });
  }
  const header = readHeader(path);
  if (header.kind === 'not-sqlite') {
    throw new StoreCorruptError(path, `not a SQLite database (${header.size} bytes of other data)`);
  }
  if (
    header.kind === 'sqlite' &&
    header.applicationId !== 0 &&
    header.applicationId !== applicationId
  ) {
    throw new StoreForeignError(path, header.applicationId);
  }

  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  let db: Database.Database;
  try {
    db = new Database(path, {
      timeout: busyTimeoutMs,
      readonly: options.readOnly ?? false,
      fileMustExist: options.readOnly ?? false,
    });
  } catch (error) {
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
  if (options.readOnly) return openReadOnly(db, options, busyTimeoutMs);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode.toLowerCase() !== 'wal') {
      throw new StoreIoError(path, `cannot switch to WAL journal mode (got ${mode})`);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (options.integrityCheck ?? true) {
      const problems = quickCheck(db);
      if (problems.length > 0) throw new StoreCorruptError(path, problems.slice(0, 5).join('; '));
    }
    const migration = migrate(db, {
      path,
      applicationId,
      migrations: options.migrations,
    });
    return { db, migration };
  } catch (error) {
    db.close();
    // Pragmas, the check and the migrations store nothing of the caller's.
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
}

/** Checks a read-only connection: pragmas that write nothing, the check, the schema version. */
function openReadOnly(
  db: Database.Database,
  options: OpenDatabaseOptions,
  busyTimeoutMs: number,
): OpenedDatabase {
  const { path } = options;
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('query_only = ON');
    if (options.integrityCheck ?? true) {
      const problems = quickCheck(db);
      if (problems.length > 0) throw new StoreCorruptError(path, problems.slice(0, 5).join('; '));
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    const latest = options.migrations.reduce((max, m) => Math.max(max, m.version), 0);
    if (version > latest) throw new StoreTooNewError(path, version, latest);
    if (version < latest) {
      throw new StoreIoError(
        path,
        `its schema (version ${version}) is older than this release's (${latest}); open it for writing once (\`agent-state backfill\` does) to migrate it`,
      );
    }
    return { db, migration: { from: version, to: version, applied: [] } };
  } catch (error) {
    db.close();
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
}

/** Runs `PRAGMA quick_check`; returns the problems it reports (empty when the file is sound). */
export function quickCheck(db: Database.Database): string[] {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  return rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
}

function readHeader(path: string): ReturnType<typeof readSqliteHeader> {
  try {
    return readSqliteHeader(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new StoreIoError(path, detail, { cause: error });
  }
}

function moveAside(path: string, clock: Clock): string {
  const stamp = new Date(clock.now()).toISOString().replace(/[-:.]/g, '');
  let target = `${path}.corrupt-${stamp}`;
  for (let n = 2; existsSync(target); n += 1) target = `${path}.corrupt-${stamp}-${n}`;
  try {
    renameSync(path, target);
  } catch (error) {
    // Another process may have moved it first; then there is nothing left to move.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StoreIoError(path, `cannot move the corrupt file aside: ${String(error)}`, {
        cause: error,
      });
    }
  }
  for (const suffix of SQLITE_COMPANION_SUFFIXES) {
    try {
      renameSync(`${path}${suffix}`, `${target}${suffix}`);
    } catch {
      // Companion files are optional.
    }
  }
  return target;
}
