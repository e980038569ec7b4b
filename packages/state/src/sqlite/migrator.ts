import type Database from 'better-sqlite3';

import { StoreCorruptError, StoreForeignError, StoreTooNewError } from '../errors.js';
import { toStoreError } from './sqlite-errors.js';

/** One forward-only schema step. `version` numbers start at 1 and have no gaps. */
export interface Migration {
  version: number;
  name: string;
  /** SQLite statements, run in one transaction. */
  sql: string;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  path: string;
  applicationId: number;
  migrations: readonly Migration[];
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Schema version before. 0 for a new database. */
  from: number;
  /** Schema version after. */
  to: number;
  /** Names of the migrations applied by this call (another process may have applied others). */
  applied: string[];
}

/**
 * Brings a database to the newest schema. The version lives in `PRAGMA user_version`. Each
 * migration runs in its own `BEGIN IMMEDIATE` transaction that re-reads the version first, so
 * several processes opening one new home at once apply each step exactly once. A database whose
 * version is ahead of ours is refused ({@link StoreTooNewError}); one that carries another
 * program's `application_id`, or tables without our id, is refused ({@link StoreForeignError}).
 * A version that cannot be migrated from (a gap in the sequence) raises {@link StoreCorruptError}.
 */
export function migrate(db: Database.Database, options: MigrateOptions): MigrateResult {
  const { path, applicationId, migrations } = options;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  const checkOwner = (): void => {
    const id = db.pragma('application_id', { simple: true }) as number;
    if (id === applicationId) return;
    const tables = db
      .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
      .pluck()
      .get() as number;
    if (id !== 0 || tables > 0) throw new StoreForeignError(path, id);
  };

  try {
    const from = readVersion();
    if (from > latest) throw new StoreTooNewError(path, from, latest);
    const applied: string[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= from) continue;
      db.transaction(() => {
        const current = readVersion();
        if (current >= migration.version) return;
        if (current === 0) checkOwner();
        if (current !== migration.version - 1) {
          // Versions only ever move one step at a time, in a transaction: a gap means the
          // file's user_version was changed by something else.
          throw new StoreCorruptError(
            path,
            `migration ${migration.version} (${migration.name}) needs schema version ${migration.version - 1}, found ${current}`,
          );
        }
        db.exec(migration.sql);
        db.pragma(`application_id = ${applicationId}`);
        db.pragma(`user_version = ${migration.version}`);
        applied.push(migration.name);
      }).immediate();
    }
    const to = readVersion();
    if (to > latest) throw new StoreTooNewError(path, to, latest);
    if (to > 0) checkOwner();
    return { from, to, applied };
  } catch (error) {
    throw toStoreError(error, path, { storesNoCallerData: true });
  }
}
