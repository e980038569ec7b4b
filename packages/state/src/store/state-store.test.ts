import {
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import {
  ErrorCode,
  StoreBusyError,
  StoreCorruptError,
  StoreForeignError,
  StoreIoError,
  StoreTooNewError,
} from '../errors.js';
import { createLogger, type LogRecord } from '../logger.js';
import { AGENT_STATE_APPLICATION_ID } from '../paths/generations.js';
import { stateDbPath } from '../paths/home.js';
import { buildThreadMetadata } from '../threads/thread-metadata.js';
import { STATE_MIGRATIONS } from './state-migrations.js';
import { openStateStore } from './state-store.js';

/** The schema version a new store gets. */
const LATEST = STATE_MIGRATIONS.length;

const temp = tempDirs();
afterEach(() => temp.cleanup());

const T0 = Date.parse('2026-11-21T06:00:00Z');

function sampleThread(id: string, rolloutPath = `/r/${id}.jsonl`) {
  return {
    ...buildThreadMetadata(
      { id, rolloutPath, createdAt: 1_795_239_845, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
    title: 'hello',
    firstUserMessage: 'hello',
  };
}

async function fillStore(home: string, count: number): Promise<void> {
  const store = await openStateStore({ home });
  await store.threads.upsertMany(
    Array.from({ length: count }, (_, i) =>
      sampleThread(`01a1fca2-0000-7000-8000-${i.toString(16).padStart(12, '0')}`),
    ),
  );
  await store.close();
}

describe('openStateStore', () => {
  it('creates the home and a WAL database stamped with our application id', async () => {
    const home = join(temp.make('home'), 'nested', '.codex');
    const store = await openStateStore({ home });
    const info = await store.info();
    await store.close();

    expect(info).toMatchObject({ path: stateDbPath(home), generation: 1, schemaVersion: LATEST });
    expect(existsSync(stateDbPath(home))).toBe(true);
    const db = new Database(stateDbPath(home), { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(AGENT_STATE_APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    db.close();
  });

  it('sets the design pragmas on its connection (foreign keys really on)', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home });
    await store.threads.upsert(sampleThread('01a1fca2-1d67-7971-8727-3cd36fd8d76f'));
    // A dangling foreign key is refused only when foreign_keys=ON.
    await expect(
      store.dynamicTools.persist('01a1fca2-ffff-7971-8727-3cd36fd8d76f', [
        { name: 't', description: 'd', inputSchema: {} },
      ]),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await store.close();
  });

  it('reopens an existing store without migrating again and keeps its data', async () => {
    const home = temp.make('home');
    const records: LogRecord[] = [];
    const logger = createLogger((r) => records.push(r));
    const first = await openStateStore({ home, logger });
    await first.threads.upsert(sampleThread('01a1fca2-1d67-7971-8727-3cd36fd8d76f'));
    await first.close();
    expect(records.filter((r) => r.message.startsWith('migrated'))).toHaveLength(1);

    const second = await openStateStore({ home, logger });
    expect(await second.threads.count()).toBe(1);
    await second.close();
    expect(records.filter((r) => r.message.startsWith('migrated'))).toHaveLength(1);
  });

  it('refuses a database migrated by a newer agent-state and leaves it as it was', async () => {
    const home = temp.make('home');
    await fillStore(home, 1);
    const db = new Database(stateDbPath(home));
    db.pragma('user_version = 99');
    db.close();
    const before = readFileSync(stateDbPath(home));

    const error = await openStateStore({ home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreTooNewError);
    expect(error).toMatchObject({ code: ErrorCode.StoreTooNew, found: 99, supported: LATEST });
    expect((error as Error).message).toContain(stateDbPath(home));
    expect(readFileSync(stateDbPath(home)).equals(before)).toBe(true);
  });

  it('refuses a database that belongs to another program, even with recoverCorrupt', async () => {
    const home = temp.make('home');
    const db = new Database(stateDbPath(home));
    db.exec('CREATE TABLE other (x)');
    db.pragma('application_id = 12345');
    db.close();

    await expect(openStateStore({ home, recoverCorrupt: true })).rejects.toBeInstanceOf(
      StoreForeignError,
    );
    expect(readdirSync(home).filter((n) => n.includes('corrupt'))).toEqual([]);
  });

  it('refuses a database at our name with tables but no application id', async () => {
    const home = temp.make('home');
    const db = new Database(stateDbPath(home));
    db.exec('CREATE TABLE threads (id TEXT)');
    db.close();
    await expect(openStateStore({ home })).rejects.toMatchObject({ code: ErrorCode.StoreForeign });
  });

  it('reports garbage bytes as StoreCorruptError naming the file', async () => {
    const home = temp.make('home');
    writeFileSync(
      stateDbPath(home),
      Buffer.from('this is not a database, just some text\n'.repeat(50)),
    );
    const error = await openStateStore({ home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect(error).toMatchObject({ code: ErrorCode.StoreCorrupt, path: stateDbPath(home) });
    expect((error as Error).message).toContain(stateDbPath(home));
  });

  it('reports a truncated database as StoreCorruptError', async () => {
    const home = temp.make('home');
    await fillStore(home, 3000);
    const size = statSync(stateDbPath(home)).size;
    expect(size).toBeGreaterThan(64 * 1024);
    truncateSync(stateDbPath(home), Math.floor(size / 2));

    const error = await openStateStore({ home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as StoreCorruptError).path).toBe(stateDbPath(home));
  });

  it('with recoverCorrupt moves a corrupt file aside (never deletes it) and opens afresh', async () => {
    const home = temp.make('home');
    const garbage = Buffer.from('garbage '.repeat(100));
    writeFileSync(stateDbPath(home), garbage);
    writeFileSync(`${stateDbPath(home)}-wal`, 'wal bytes');
    const records: LogRecord[] = [];

    const store = await openStateStore({
      home,
      recoverCorrupt: true,
      clock: new ManualClock(T0),
      logger: createLogger((r) => records.push(r)),
    });
    expect(await store.threads.count()).toBe(0);
    const movedTo = store.recoveredCorruptTo;
    await store.close();

    expect(movedTo).toBe(`${stateDbPath(home)}.corrupt-20261121T060000000Z`);
    expect(readFileSync(movedTo!).equals(garbage)).toBe(true);
    expect(readFileSync(`${movedTo!}-wal`, 'utf8')).toBe('wal bytes');
    expect(records.some((r) => r.level === 'warn' && r.fields.movedTo === movedTo)).toBe(true);
  });

  it('recovers a truncated database and a second recovery does not overwrite the first', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    for (let round = 0; round < 2; round += 1) {
      await fillStore(home, 3000);
      truncateSync(stateDbPath(home), 20_000);
      const store = await openStateStore({ home, recoverCorrupt: true, clock });
      expect(await store.checkIntegrity()).toEqual([]);
      await store.close();
    }
    expect(
      readdirSync(home)
        .filter((n) => /\.corrupt-[0-9TZ]+(-2)?$/.test(n))
        .sort(),
    ).toEqual([
      'agent_state_1.sqlite.corrupt-20261121T060000000Z',
      'agent_state_1.sqlite.corrupt-20261121T060000000Z-2',
    ]);
  });

  it('gives a typed error when the home cannot be created', async () => {
    const parent = temp.make('home');
    writeFileSync(join(parent, 'file'), 'x');
    await expect(openStateStore({ home: join(parent, 'file', 'home') })).rejects.toBeInstanceOf(
      StoreIoError,
    );
  });

  it('reports a database kept locked by another connection as StoreBusyError, never SQLITE_BUSY', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home, busyTimeoutMs: 20 });
    const other = new Database(stateDbPath(home));
    other.exec('BEGIN IMMEDIATE'); // another writer holds the lock for the whole test
    try {
      const thread = sampleThread('01a1fca2-1d67-7971-8727-3cd36fd8d76f');
      for (const write of [
        () => store.threads.upsert(thread),
        () => store.backfill.tryClaim({ leaseSeconds: 60 }),
        () => store.threads.markArchived(thread.id, { rolloutPath: '/x', archivedAt: 1 }),
      ]) {
        const error = await write().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreBusyError);
        expect(error).toMatchObject({ code: ErrorCode.StoreBusy, path: stateDbPath(home) });
      }
      expect(await store.threads.count()).toBe(0); // WAL: readers are not blocked
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await store.threads.upsert(sampleThread('01a1fca2-1d67-7971-8727-3cd36fd8d76f'));
    expect(await store.threads.count()).toBe(1);
    await store.close();
  });

  it('rejects a bad busy timeout', async () => {
    await expect(
      openStateStore({ home: temp.make('home'), busyTimeoutMs: -1 }),
    ).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      argument: 'busyTimeoutMs',
    });
  });

  it('lets two stores on one home in one process interleave transactions (one shared connection)', async () => {
    const home = temp.make('home');
    const a = await openStateStore({ home, busyTimeoutMs: 50 });
    const b = await openStateStore({ home, busyTimeoutMs: 50 });
    const ids = Array.from(
      { length: 40 },
      (_, i) => `01a1fca2-0000-7000-8000-${String(i).padStart(12, '0')}`,
    );
    // Without a shared connection, a store waiting synchronously for the lock held by the other
    // (whose transaction awaits between statements) would block the event loop: StoreBusyError.
    await Promise.all(
      ids.map((id, i) =>
        i % 2 === 0
          ? a.threads.upsert(sampleThread(id)).then(() => a.backfill.tryClaim({ leaseSeconds: 5 }))
          : b.threads.upsert(sampleThread(id)).then(() => b.backfill.get()),
      ),
    );
    expect(await b.threads.count()).toBe(40);
    await a.close();
    expect(await b.threads.count()).toBe(40); // b still works after a closed
    await b.close();
  });

  it('refuses every call after close with a typed error naming the file, even while another store of the home is open', async () => {
    const home = temp.make('home');
    const closed = await openStateStore({ home });
    const other = await openStateStore({ home });
    const threads = closed.threads; // a reference kept from before the close
    await closed.close();
    const expected = {
      code: ErrorCode.StoreIo,
      path: closed.path,
      message: `cannot use ${closed.path}: this store was closed`,
    };
    await expect(threads.count()).rejects.toBeInstanceOf(StoreIoError);
    await expect(closed.threads.list({ pageSize: 5 })).rejects.toMatchObject(expected);
    await expect(closed.backfill.get()).rejects.toMatchObject(expected);
    await expect(closed.memories.jobCounts()).rejects.toMatchObject(expected);
    await expect(closed.dynamicTools.get('t')).rejects.toMatchObject(expected);
    await expect(closed.discrepancies.counts()).rejects.toMatchObject(expected);
    await expect(closed.info()).rejects.toMatchObject(expected);
    await expect(closed.checkIntegrity()).rejects.toMatchObject(expected);
    expect(await other.threads.count()).toBe(0); // the shared connection is still open
    await other.close();
    // After the last close the connection is gone; the error is still ours, not the driver's.
    await expect(threads.count()).rejects.toMatchObject(expected);
    await expect(other.threads.count()).rejects.toMatchObject({
      code: ErrorCode.StoreIo,
      path: other.path,
    });
  });

  it('closing twice is harmless', async () => {
    const store = await openStateStore({ home: temp.make('home') });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
