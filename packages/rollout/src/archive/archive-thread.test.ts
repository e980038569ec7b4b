import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import {
  ErrorCode,
  type LogRecord,
  ManualClock,
  NotFoundError,
  type StateStore,
  buildThreadMetadata,
  createLogger,
  openStateStore,
  unixSeconds,
} from '@agent-state/state';
import { tempDirs, zstdCompress } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { ArchiveRefusedError } from './archive-errors.js';
import { archiveThread, unarchiveThread } from './archive-thread.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const OTHER_ID = '01a1fca2-5c8e-74b0-8fda-13bef72eecb4';
const STAMP = '2026-11-21T05-44-05';
const NAME = `rollout-${STAMP}-${ID}.jsonl`;
const CONTENT = `{"timestamp":"2026-11-21T05:44:05.123Z","type":"session_meta","payload":{"id":"${ID}"}}\n`;
/** The clock's time: a day after the rollout was written. */
const NOW = Date.parse('2026-11-22T08:00:00.000Z');
const OLD_MTIME = Date.parse('2026-11-21T06:00:00.000Z') / 1000;

function writeRollout(home: string, name = NAME, content = CONTENT): string {
  const path = join(home, 'sessions', '2026', '11', '21', name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  utimesSync(path, OLD_MTIME, OLD_MTIME);
  return path;
}

async function storeWithThread(home: string, clock: ManualClock, rolloutPath: string) {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  await store.threads.upsert(
    buildThreadMetadata(
      { id: ID, rolloutPath, createdAt: Date.parse('2026-11-21T05:44:05Z') / 1000, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
  );
  return store;
}

function captureLogger() {
  const records: LogRecord[] = [];
  return { records, logger: createLogger((r) => records.push(r), { minLevel: 'trace' }) };
}

describe('archiveThread', () => {
  it('moves the rollout flat into archived_sessions and marks the store row archived', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    const source = writeRollout(home);
    const store = await storeWithThread(home, clock, source);

    const move = await archiveThread({ home, threadId: ID, store, clock });

    const archived = join(home, 'archived_sessions', NAME);
    expect(move).toEqual({ from: source, to: archived, storeUpdated: true });
    expect(existsSync(source)).toBe(false);
    expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
    const row = await store.threads.get(ID);
    expect(row).toMatchObject({ rolloutPath: archived, archivedAt: unixSeconds(clock) });
    expect(await store.threads.findRolloutPath(ID, { archived: true })).toBe(archived);
  });

  it('finds the rollout by searching sessions/ without a store, and accepts an uppercase id', async () => {
    const home = temp.make('home');
    writeRollout(home, `rollout-2026-11-20T01-00-00-${OTHER_ID}.jsonl`);
    const source = writeRollout(home);
    const move = await archiveThread({
      home,
      threadId: ID.toUpperCase(),
      clock: new ManualClock(NOW),
    });
    expect(move).toEqual({
      from: source,
      to: join(home, 'archived_sessions', NAME),
      storeUpdated: false,
    });
  });

  it('falls back to searching when the store holds a stale path, and repairs the row', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    const source = writeRollout(home);
    const store = await storeWithThread(home, clock, join(home, 'sessions', 'gone', NAME));
    const { records, logger } = captureLogger();

    const move = await archiveThread({ home, threadId: ID, store, clock, logger });

    expect(move.from).toBe(source);
    expect(move.storeUpdated).toBe(true);
    expect((await store.threads.get(ID))?.rolloutPath).toBe(move.to);
    expect(records.some((r) => r.level === 'warn' && /stale rollout path/.test(r.message))).toBe(
      true,
    );
  });

  it('moves the given rolloutPath (relative to the home) and still updates the store', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    const source = writeRollout(home);
    const store = await storeWithThread(home, clock, source);
    const move = await archiveThread({
      home,
      threadId: ID,
      store,
      clock,
      rolloutPath: join('sessions', '2026', '11', '21', NAME),
    });
    expect(move).toMatchObject({ from: source, storeUpdated: true });
  });

  it('reports storeUpdated false when the store has no row for the thread', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    writeRollout(home);
    const store = await openStateStore({ home, clock });
    stores.push(store);
    const move = await archiveThread({ home, threadId: ID, store, clock });
    expect(move.storeUpdated).toBe(false);
    expect(existsSync(move.to)).toBe(true);
  });

  it('keeps the move when the store update fails, logging it', async () => {
    const home = temp.make('home');
    writeRollout(home);
    const { records, logger } = captureLogger();
    const failing = {
      threads: {
        findRolloutPath: async () => undefined,
        markArchived: async () => {
          throw new Error('disk full');
        },
      },
    } as unknown as Pick<StateStore, 'threads'>;
    const move = await archiveThread({
      home,
      threadId: ID,
      store: failing,
      clock: new ManualClock(NOW),
      logger,
    });
    expect(move.storeUpdated).toBe(false);
    expect(existsSync(move.to)).toBe(true);
    const warning = records.find((r) => r.level === 'warn');
    expect(warning?.fields).toMatchObject({ error: 'Error: disk full', threadId: ID });
  });

  it('throws NotFoundError for an unknown thread', async () => {
    const home = temp.make('home');
    writeRollout(home);
    const attempt = archiveThread({ home, threadId: OTHER_ID, clock: new ManualClock(NOW) });
    await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(
      archiveThread({
        home,
        threadId: ID,
        clock: new ManualClock(NOW),
        rolloutPath: join(home, 'sessions', 'nope', NAME),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('refuses a thread that is already archived, naming the archived file', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    writeRollout(home);
    const { to } = await archiveThread({ home, threadId: ID, clock });
    const again = archiveThread({ home, threadId: ID, clock });
    await expect(again).rejects.toBeInstanceOf(ArchiveRefusedError);
    await expect(again).rejects.toMatchObject({ reason: 'already-archived', path: to });
    // Also when the caller hands the archived path itself.
    await expect(
      archiveThread({ home, threadId: ID, clock, rolloutPath: to }),
    ).rejects.toMatchObject({ reason: 'already-archived' });
  });

  it('refuses a rollout outside the home, even one the store points to', async () => {
    const home = temp.make('home');
    const outside = temp.make('elsewhere');
    const clock = new ManualClock(NOW);
    const foreign = join(outside, NAME);
    writeFileSync(foreign, CONTENT);
    writeRollout(home, `rollout-${STAMP}-${OTHER_ID}.jsonl`); // sessions/ exists

    const given = archiveThread({ home, threadId: ID, clock, rolloutPath: foreign });
    await expect(given).rejects.toBeInstanceOf(ArchiveRefusedError);
    await expect(given).rejects.toMatchObject({
      reason: 'outside-root',
      code: ErrorCode.RolloutInvalid,
      path: foreign,
    });
    await expect(given).rejects.toThrow(foreign);

    const store = await storeWithThread(home, clock, foreign);
    await expect(archiveThread({ home, threadId: ID, store, clock })).rejects.toMatchObject({
      reason: 'outside-root',
    });
    expect(readFileSync(foreign, 'utf8')).toBe(CONTENT);
    expect(existsSync(join(home, 'archived_sessions'))).toBe(false);
    expect((await store.threads.get(ID))?.archivedAt).toBeNull();
  });

  it('refuses a symlink in sessions/ that points out of the home, and leaves both alone', async () => {
    const home = temp.make('home');
    const outside = temp.make('elsewhere');
    const target = join(outside, NAME);
    writeFileSync(target, CONTENT);
    const link = join(home, 'sessions', '2026', '11', '21', NAME);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link);

    const attempt = archiveThread({ home, threadId: ID, clock: new ManualClock(NOW) });
    await expect(attempt).rejects.toMatchObject({ reason: 'outside-root', path: link });
    await expect(attempt).rejects.toThrow(`resolves to ${target}`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(readFileSync(target, 'utf8')).toBe(CONTENT);
  });

  it('refuses a symlinked sessions/ folder that leads out of the home', async () => {
    const home = temp.make('home');
    const outside = temp.make('elsewhere');
    mkdirSync(join(outside, '2026'), { recursive: true });
    writeFileSync(join(outside, '2026', NAME), CONTENT);
    mkdirSync(join(home, 'sessions'));
    symlinkSync(join(outside, '2026'), join(home, 'sessions', '2026'));
    await expect(
      archiveThread({
        home,
        threadId: ID,
        clock: new ManualClock(NOW),
        rolloutPath: join(home, 'sessions', '2026', NAME),
      }),
    ).rejects.toMatchObject({ reason: 'outside-root' });
    expect(existsSync(join(outside, '2026', NAME))).toBe(true);
  });

  it('refuses a rollout whose file name does not end with the thread id', async () => {
    const home = temp.make('home');
    const wrong = writeRollout(home, `rollout-${STAMP}-${OTHER_ID}.jsonl`);
    const attempt = archiveThread({
      home,
      threadId: ID,
      clock: new ManualClock(NOW),
      rolloutPath: wrong,
    });
    await expect(attempt).rejects.toMatchObject({ reason: 'id-mismatch', path: wrong });
    await expect(attempt).rejects.toThrow(`does not match thread id ${ID}`);
    expect(existsSync(wrong)).toBe(true);
  });

  it('refuses to overwrite an existing archived file', async () => {
    const home = temp.make('home');
    const source = writeRollout(home);
    const taken = join(home, 'archived_sessions', NAME);
    mkdirSync(dirname(taken), { recursive: true });
    writeFileSync(taken, 'someone else\n');
    const attempt = archiveThread({
      home,
      threadId: ID,
      clock: new ManualClock(NOW),
      rolloutPath: source,
    });
    await expect(attempt).rejects.toMatchObject({ reason: 'destination-exists', path: taken });
    expect(readFileSync(taken, 'utf8')).toBe('someone else\n');
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
  });

  it('refuses a directory named like a rollout', async () => {
    const home = temp.make('home');
    const dir = join(home, 'sessions', '2026', '11', '21', NAME);
    mkdirSync(dir, { recursive: true });
    await expect(
      archiveThread({ home, threadId: ID, clock: new ManualClock(NOW), rolloutPath: dir }),
    ).rejects.toMatchObject({ code: ErrorCode.RolloutUnreadable });
  });

  it('refuses an id that is not a UUID', async () => {
    const home = temp.make('home');
    await expect(
      archiveThread({ home, threadId: '../../etc/passwd', clock: new ManualClock(NOW) }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

describe('unarchiveThread', () => {
  it('moves the rollout back to its dated folder with a fresh mtime and updates the store', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    const original = writeRollout(home);
    const store = await storeWithThread(home, clock, original);
    const { to: archived } = await archiveThread({ home, threadId: ID, store, clock });
    utimesSync(archived, OLD_MTIME, OLD_MTIME);
    clock.advance(3_600_000);

    const move = await unarchiveThread({ home, threadId: ID, store, clock });

    expect(move).toEqual({ from: archived, to: original, storeUpdated: true });
    expect(existsSync(archived)).toBe(false);
    expect(readFileSync(original, 'utf8')).toBe(CONTENT);
    expect(statSync(original).mtimeMs).toBe(clock.now());
    const row = await store.threads.get(ID);
    expect(row).toMatchObject({
      rolloutPath: original,
      archivedAt: null,
      updatedAt: unixSeconds(clock),
    });
    expect(row!.updatedAt).toBeGreaterThan(OLD_MTIME);
  });

  it('works from a flat archived_sessions/ without a store, creating the dated folders', async () => {
    const home = temp.make('home');
    const archived = join(home, 'archived_sessions', NAME);
    mkdirSync(dirname(archived), { recursive: true });
    writeFileSync(archived, CONTENT);
    const clock = new ManualClock(NOW);
    const move = await unarchiveThread({ home, threadId: ID, clock });
    expect(move).toEqual({
      from: archived,
      to: join(home, 'sessions', '2026', '11', '21', NAME),
      storeUpdated: false,
    });
    expect(statSync(move.to).mtimeMs).toBe(NOW);
  });

  it('refuses a thread that is not archived, and an unknown one', async () => {
    const home = temp.make('home');
    const active = writeRollout(home);
    const clock = new ManualClock(NOW);
    await expect(unarchiveThread({ home, threadId: ID, clock })).rejects.toMatchObject({
      reason: 'not-archived',
      path: active,
    });
    await expect(unarchiveThread({ home, threadId: OTHER_ID, clock })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
  });

  it('refuses to overwrite a rollout already in the dated folder', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    writeRollout(home);
    const { to: archived } = await archiveThread({ home, threadId: ID, clock });
    const occupant = writeRollout(home, NAME, 'occupant\n');
    await expect(
      unarchiveThread({ home, threadId: ID, clock, rolloutPath: archived }),
    ).rejects.toMatchObject({ reason: 'destination-exists', path: occupant });
    expect(readFileSync(occupant, 'utf8')).toBe('occupant\n');
    expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
  });

  it('refuses an archived file name without a date', async () => {
    const home = temp.make('home');
    const archived = join(home, 'archived_sessions', `rollout-undated-${ID}.jsonl`);
    mkdirSync(dirname(archived), { recursive: true });
    writeFileSync(archived, CONTENT);
    await expect(
      unarchiveThread({ home, threadId: ID, clock: new ManualClock(NOW) }),
    ).rejects.toMatchObject({ reason: 'missing-timestamp', path: archived });
    expect(existsSync(archived)).toBe(true);
  });

  it('refuses a symlink in archived_sessions/ that points out of the home', async () => {
    const home = temp.make('home');
    const outside = temp.make('elsewhere');
    const target = join(outside, NAME);
    writeFileSync(target, CONTENT);
    const link = join(home, 'archived_sessions', NAME);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link);
    await expect(
      unarchiveThread({ home, threadId: ID, clock: new ManualClock(NOW) }),
    ).rejects.toMatchObject({ reason: 'outside-root', path: link });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(existsSync(join(home, 'sessions'))).toBe(false);
  });
});

describe('archiveThread and unarchiveThread on a compressed rollout', () => {
  it('move the .jsonl.zst as it is, both ways (found through the store, then by a search)', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(NOW);
    const compressed = zstdCompress(Buffer.from(CONTENT), { frames: 2 });
    const original = `${writeRollout(home)}.zst`;
    renameSync(original.slice(0, -'.zst'.length), original);
    writeFileSync(original, compressed);
    utimesSync(original, OLD_MTIME, OLD_MTIME);
    const store = await storeWithThread(home, clock, original);

    const archive = await archiveThread({ home, threadId: ID, store, clock });
    const archived = join(home, 'archived_sessions', `${NAME}.zst`);
    expect(archive).toEqual({ from: original, to: archived, storeUpdated: true });
    expect(existsSync(original)).toBe(false);
    expect(readFileSync(archived).equals(compressed)).toBe(true);
    expect(statSync(archived).mtimeMs).toBe(OLD_MTIME * 1000);
    expect(await store.threads.get(ID)).toMatchObject({ rolloutPath: archived });

    clock.advance(3_600_000);
    const unarchive = await unarchiveThread({ home, threadId: ID, clock });
    expect(unarchive).toEqual({ from: archived, to: original, storeUpdated: false });
    expect(readFileSync(original).equals(compressed)).toBe(true);
    expect(statSync(original).mtimeMs).toBe(clock.now());
  });
});
