import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode, StoreCorruptError, StoreForeignError, StoreTooNewError } from '../errors.js';
import { type Migration, migrate } from './migrator.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const APP_ID = 0x41475354;
const M1: Migration = { version: 1, name: '0001_a', sql: 'CREATE TABLE a (x INTEGER);' };
const M2: Migration = { version: 2, name: '0002_b', sql: 'CREATE TABLE b (y INTEGER);' };
const M3_BROKEN: Migration = {
  version: 3,
  name: '0003_broken',
  sql: 'CREATE TABLE c (z INTEGER); INSERT INTO no_such_table VALUES (1);',
};

function open(): { db: Database.Database; path: string } {
  const path = join(temp.make('db'), 'test.sqlite');
  return { db: new Database(path), path };
}

function tables(db: Database.Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
}

describe('migrate', () => {
  it('applies pending migrations in version order and stamps version and application id', () => {
    const { db, path } = open();
    expect(migrate(db, { path, applicationId: APP_ID, migrations: [M2, M1] })).toEqual({
      from: 0,
      to: 2,
      applied: ['0001_a', '0002_b'],
    });
    expect(tables(db)).toEqual(['a', 'b']);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.pragma('application_id', { simple: true })).toBe(APP_ID);
    expect(migrate(db, { path, applicationId: APP_ID, migrations: [M1, M2] })).toEqual({
      from: 2,
      to: 2,
      applied: [],
    });
    db.close();
  });

  it('runs each migration in its own transaction: a failing one leaves the previous version', () => {
    const { db, path } = open();
    expect(() =>
      migrate(db, { path, applicationId: APP_ID, migrations: [M1, M2, M3_BROKEN] }),
    ).toThrowError(/no_such_table/);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']); // table c of the broken migration was rolled back
    db.close();
  });

  it('refuses a schema newer than the newest migration it knows', () => {
    const { db, path } = open();
    migrate(db, { path, applicationId: APP_ID, migrations: [M1, M2] });
    const error = (() => {
      try {
        migrate(db, { path, applicationId: APP_ID, migrations: [M1] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(StoreTooNewError);
    expect(error).toMatchObject({ code: ErrorCode.StoreTooNew, found: 2, supported: 1, path });
    db.close();
  });

  it('reports a version it cannot migrate from as a typed error naming the file', () => {
    const { db, path } = open();
    const M3: Migration = { version: 3, name: '0003_c', sql: 'CREATE TABLE c (z INTEGER);' };
    let error: unknown;
    try {
      migrate(db, { path, applicationId: APP_ID, migrations: [M1, M3] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect(error).toMatchObject({ code: ErrorCode.StoreCorrupt, path });
    expect((error as Error).message).toBe(
      `database ${path} is corrupt: migration 3 (0003_c) needs schema version 2, found 1`,
    );
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses to migrate a database that belongs to another program', () => {
    const { db, path } = open();
    db.exec('CREATE TABLE theirs (x)');
    expect(() => migrate(db, { path, applicationId: APP_ID, migrations: [M1] })).toThrowError(
      StoreForeignError,
    );
    expect(tables(db)).toEqual(['theirs']);
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.close();
  });
});
