import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

import { toStoreError } from './sqlite-errors.js';

const STATEMENT_CACHE_SIZE = 256;

/**
 * Adapts a better-sqlite3 connection to Kysely's `SqliteDatabase` with two additions at this one
 * seam: prepared statements are cached (Kysely prepares every query anew, which dominates the cost
 * of small queries), and SQLite's file-level errors become typed agent-state errors naming `path`.
 */
export function toKyselyDatabase(db: Database.Database, path: string): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw toStoreError(error, path);
    }
  };
  const prepare = (sql: string, cached: boolean): Database.Statement => {
    if (!cached) return guard(() => db.prepare(sql));
    let statement = cache.get(sql);
    if (statement) {
      // Refresh recency: a Map iterates in insertion order, so the first key is the oldest.
      cache.delete(sql);
    } else {
      statement = guard(() => db.prepare(sql));
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
    }
    cache.set(sql, statement);
    return statement;
  };
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const statement = prepare(sql, true);
      return {
        reader: statement.reader,
        all: (parameters) => guard(() => statement.all(...parameters)),
        run: (parameters) => guard(() => statement.run(...parameters)),
        // A statement being iterated cannot run again until it is done: never share it.
        iterate: (parameters) => guardIterator(prepare(sql, false).iterate(...parameters), path),
      };
    },
  };
}

function* guardIterator(
  iterator: IterableIterator<unknown>,
  path: string,
): IterableIterator<unknown> {
  try {
    yield* iterator;
  } catch (error) {
    throw toStoreError(error, path);
  }
}
