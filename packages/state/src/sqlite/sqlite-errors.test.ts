import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { toStoreError } from './sqlite-errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The error SQLite gives for a database whose header was overwritten from `offset` on. */
function errorOfDamagedHeader(offset: number, bytes: number[]): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'agent-state-sqlite-errors-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const db = new Database(path);
  db.exec('CREATE TABLE t (x)');
  db.close();
  const file = readFileSync(path);
  file.set(bytes, offset);
  writeFileSync(path, file);
  try {
    const damaged = new Database(path, { readonly: true });
    try {
      damaged.prepare('SELECT * FROM t').all();
    } finally {
      damaged.close();
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('toStoreError', () => {
  it('types the damage SQLite reports with its generic code as STORE_CORRUPT, naming the file', () => {
    // Header offset 44: the schema format number (1–4); 99 is "unsupported file format".
    const error = errorOfDamagedHeader(44, [0, 0, 0, 99]);
    expect(error).toMatchObject({ code: 'SQLITE_ERROR', message: 'unsupported file format' });
    expect(toStoreError(error, '/h/agent_logs_1.sqlite')).toMatchObject({
      code: ErrorCode.StoreCorrupt,
      path: '/h/agent_logs_1.sqlite',
    });
  });

  it('types "string or blob too big" from a read as STORE_CORRUPT, but not from a write', () => {
    // A record whose header claims a length beyond SQLite's limit (the soak's seed 1240138433
    // hit it in readLogsHealth): the error a read gets.
    const tooBig = Object.assign(new Error('string or blob too big'), { code: 'SQLITE_TOOBIG' });
    expect(
      toStoreError(tooBig, '/h/agent_logs_1.sqlite', { storesNoCallerData: true }),
    ).toMatchObject({
      code: ErrorCode.StoreCorrupt,
      path: '/h/agent_logs_1.sqlite',
    });
    // On a write the value bound by the caller is too big: not the file's fault.
    expect(toStoreError(tooBig, '/h/agent_logs_1.sqlite')).toBe(tooBig);
  });

  it('leaves a mistake in a statement as it is (a bug, not a damaged file)', () => {
    const db = new Database(':memory:');
    let error: unknown;
    try {
      db.prepare('SELECT * FROM no_such_table').all();
    } catch (caught) {
      error = caught;
    } finally {
      db.close();
    }
    expect(toStoreError(error, '/h/x.sqlite')).toBe(error);
  });
});
