import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CODEX_FIXTURE_VERSIONS, codexLogsFixtureDir, tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ManualClock } from '../clock.js';
import { ErrorCode, NotFoundError, StoreBusyError, StoreIoError } from '../errors.js';
import { logsDbPath } from '../paths/home.js';
import type { LogEntry } from './log-entry.js';
import { maxLogId, queryLogs } from './log-query.js';
import { createLogSink } from './log-sink.js';
import { readLogsHealth } from './logs-health.js';
import { type LogsStore, openLogsDatabaseReadOnly, openLogsStore } from './logs-store.js';

const temp = tempDirs();
const open: LogsStore[] = [];
afterEach(() => {
  for (const store of open.splice(0)) store.close();
  temp.cleanup();
});

const T = 1_795_241_524;
const A = '01a1fcbb-bd50-7b11-bd03-7a51839e6b73';
const B = '01a1fcbb-d5bd-7c10-8f82-4bc10bb44c66';

function entry(over: Partial<LogEntry>): LogEntry {
  return {
    ts: T,
    tsNanos: 0,
    level: 'INFO',
    target: 'codex_core::codex',
    message: 'hello',
    modulePath: 'codex_core::codex',
    file: 'core/src/codex.rs',
    line: 1,
    threadId: null,
    processUuid: 'pid:1:p',
    ...over,
  };
}

async function store(
  clock = new ManualClock(T * 1000),
  home = temp.make('logs'),
  busyTimeoutMs?: number,
): Promise<LogsStore> {
  const logs = await openLogsStore({ home, clock, busyTimeoutMs });
  open.push(logs);
  return logs;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describe('logs store', () => {
  it('inserts in one go and filters by every field, alone and combined', async () => {
    const logs = await store();
    logs.insert([
      entry({ level: 'TRACE', threadId: A, message: 'alpha' }),
      entry({
        level: 'DEBUG',
        threadId: A,
        ts: T + 1,
        message: 'alphabet',
        modulePath: 'codex_core::tools',
        file: 'core/src/tools/router.rs',
      }),
      entry({ level: 'WARN', threadId: B, ts: T + 2, message: '100% done_' }),
      entry({
        level: 'ERROR',
        ts: T + 3,
        message: null,
        target: 'codex_tui',
        modulePath: null,
        file: null,
      }),
      entry({ level: 'INFO', ts: T + 4, processUuid: 'pid:2:q' }),
    ]);
    const ids = (q: Parameters<LogsStore['query']>[0]) => logs.query(q).map((r) => r.id);
    expect(ids({})).toEqual([1, 2, 3, 4, 5]);
    expect(ids({ descending: true, limit: 2 })).toEqual([5, 4]);
    expect(ids({ levels: ['warn', 'ERROR'] })).toEqual([3, 4]);
    expect(ids({ from: T + 1, to: T + 3 })).toEqual([2, 3, 4]);
    expect(ids({ modules: ['tools', 'nope'] })).toEqual([2]);
    expect(ids({ files: ['router'] })).toEqual([2]);
    expect(ids({ threadIds: [A] })).toEqual([1, 2]);
    expect(ids({ threadIds: [A, B] })).toEqual([1, 2, 3]);
    expect(ids({ includeThreadless: true })).toEqual([4, 5]);
    expect(ids({ threadIds: [B], includeThreadless: true })).toEqual([3, 4, 5]);
    expect(ids({ threadIds: ['', A] })).toEqual([1, 2]);
    expect(ids({ afterId: 3 })).toEqual([4, 5]);
    expect(ids({ search: 'alphab' })).toEqual([2]);
    expect(ids({ search: '% done_' })).toEqual([3]); // literal, not LIKE wildcards
    expect(ids({ levels: ['TRACE', 'DEBUG'], threadIds: [A], from: T + 1 })).toEqual([2]);
    expect(logs.maxId({ threadIds: [A] })).toBe(2);
    expect(logs.maxId({ levels: ['FATAL'] })).toBe(0);
    expect(logs.query({ afterId: 3 })[0]).toMatchObject({
      id: 4,
      level: 'ERROR',
      message: null,
      threadId: null,
    });
  });

  it('prunes by age', async () => {
    const clock = new ManualClock((T + 91 * 86_400) * 1000);
    const logs = await store(clock);
    logs.insert([entry({ ts: T }), entry({ ts: T + 2 * 86_400 })]);
    expect(logs.pruneOlderThan()).toBe(1);
    expect(logs.query({}).map((r) => r.ts)).toEqual([T + 2 * 86_400]);
  });

  it('keeps the newest rows of each partition within the size limit', async () => {
    const big = 'x'.repeat(600); // about 630 estimated bytes a row
    const limit = 1000;
    const logs = await store();
    logs.insert([
      entry({ ts: 1, threadId: A, message: big }),
      entry({ ts: 2, threadId: A, message: big }), // thread A: only this one stays
      entry({ ts: 3, threadId: B, message: 'x'.repeat(2000) }), // a single row over the limit goes
      entry({ ts: 4, processUuid: 'pid:1:p', message: big }),
      entry({ ts: 5, processUuid: 'pid:1:p', message: big }), // threadless of process p: this one
      entry({ ts: 6, processUuid: 'pid:2:q', message: big }), // another process: its own partition
      entry({ ts: 7, processUuid: null, message: big }),
      entry({ ts: 8, processUuid: null, message: big }), // threadless without a process
      entry({ ts: 9, threadId: A, processUuid: 'pid:3:r', message: 'small' }), // A's newest, tiny
    ]);
    expect(logs.prunePartitions(limit)).toBe(4);
    expect(logs.query({}).map((r) => r.ts)).toEqual([2, 5, 6, 8, 9]);
    expect(logs.prunePartitions(limit)).toBe(0);
  });

  it('reads Codex’s own log databases read-only and leaves them byte for byte unchanged', async () => {
    for (const version of CODEX_FIXTURE_VERSIONS) {
      const dir = codexLogsFixtureDir(version);
      const name = version === 'v0.100.0' ? 'state_5.sqlite' : 'logs_2.sqlite';
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
        total: number;
        threaded: number;
        by_level: Record<string, number>;
        max_id: number;
      };
      const copy = join(temp.make('codex'), name);
      copyFileSync(join(dir, name), copy);
      const before = readFileSync(copy);
      const original = readFileSync(join(dir, name));
      const { db, shape, close } = openLogsDatabaseReadOnly(copy);
      expect(shape.messageColumn).toBe(version === 'v0.100.0' ? 'message' : 'feedback_log_body');
      expect(queryLogs(db, shape, {})).toHaveLength(expected.total);
      for (const [level, count] of Object.entries(expected.by_level)) {
        expect(queryLogs(db, shape, { levels: [level] }), level).toHaveLength(count);
      }
      expect(queryLogs(db, shape, { includeThreadless: true })).toHaveLength(
        expected.total - expected.threaded,
      );
      expect(maxLogId(db, shape, {})).toBe(expected.max_id);
      close();
      expect(readFileSync(copy).equals(before)).toBe(true);
      expect(readFileSync(join(dir, name)).equals(original)).toBe(true);
    }
  });

  it('reports a missing file as NotFoundError (as documented), other unopenable paths as StoreIoError', () => {
    const missing = join(temp.make('none'), 'missing.sqlite');
    expect(() => openLogsDatabaseReadOnly(missing)).toThrowError(NotFoundError);
    expect(() => openLogsDatabaseReadOnly(missing)).toThrowError(
      expect.objectContaining({
        code: ErrorCode.NotFound,
        path: missing,
        message: `log database ${missing} not found`,
      }),
    );
    const directory = temp.make('a-directory');
    expect(() => openLogsDatabaseReadOnly(directory)).toThrowError(StoreIoError);
  });

  it('matches no row for --module on a logs table without module_path (never every row)', () => {
    const path = join(temp.make('codex'), 'logs_0.sqlite');
    const raw = new Database(path);
    raw.exec(`CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,
      ts_nanos INTEGER NOT NULL, level TEXT NOT NULL, target TEXT NOT NULL, message TEXT,
      file TEXT, line INTEGER, thread_id TEXT)`);
    raw.exec(`INSERT INTO logs (ts, ts_nanos, level, target, message)
      VALUES (1, 0, 'INFO', 'codex_core::codex', 'a'), (2, 0, 'WARN', 'codex_tui', 'b')`);
    raw.close();
    const { db, shape, close } = openLogsDatabaseReadOnly(path);
    expect(shape.hasModulePath).toBe(false);
    expect(queryLogs(db, shape, {})).toHaveLength(2);
    expect(queryLogs(db, shape, { modules: ['codex_core'] })).toEqual([]);
    expect(maxLogId(db, shape, { modules: ['codex'] })).toBe(0);
    expect(queryLogs(db, shape, { modules: [''] })).toHaveLength(2); // empty values are dropped
    close();
  });

  it('bounds a query by id on both sides (afterId, untilId)', async () => {
    const logs = await store();
    logs.insert([1, 2, 3, 4, 5].map((ts) => entry({ ts })));
    expect(logs.query({ afterId: 1, untilId: 4 }).map((r) => r.id)).toEqual([2, 3, 4]);
    expect(logs.query({ untilId: 2, descending: true }).map((r) => r.id)).toEqual([2, 1]);
    expect(logs.maxId({ untilId: 3 })).toBe(3);
    expect(() => logs.query({ untilId: 1.5 })).toThrowError(/invalid untilId/);
  });
});

describe('logs store pruning', () => {
  it('deletes in short transactions and lets another connection write between two of them', async () => {
    const home = temp.make('logs');
    const logs = await store(new ManualClock(T * 1000), home);
    const rows = Array.from({ length: 45 }, (_, i) => entry({ ts: T - 100 * 86_400 + i }));
    logs.insert([...rows, entry({ ts: T, threadId: A, message: 'x'.repeat(5000) })]);
    const other = new Database(logsDbPath(home), { timeout: 0 });
    let writesBetween = 0;
    let done = false;
    const tryWrite = (): void => {
      if (done) return;
      other.prepare('BEGIN IMMEDIATE').run(); // throws SQLITE_BUSY if the prune held the lock
      other.prepare('COMMIT').run();
      writesBetween += 1;
      setImmediate(tryWrite);
    };
    setImmediate(tryWrite);
    const result = await logs.prune({ chunkRows: 10, pauseMs: 0, maxPartitionBytes: 1000 });
    done = true;
    other.close();
    expect(result).toEqual({ outcome: 'pruned', deletedByAge: 45, deletedBySize: 1 });
    expect(writesBetween).toBeGreaterThanOrEqual(5); // 5 age chunks and 1 size chunk
    expect(logs.query({})).toEqual([]);
  });

  it('records when it pruned and skips while that is within minIntervalMs, for any process', async () => {
    const clock = new ManualClock(T * 1000);
    const home = temp.make('logs');
    const first = await store(clock, home);
    const second = await store(clock, home); // another process's connection
    expect(await first.prune({ minIntervalMs: HOUR_MS })).toMatchObject({ outcome: 'pruned' });
    first.insert([entry({ ts: T - 100 * 86_400 })]);
    expect(await second.prune({ minIntervalMs: HOUR_MS })).toEqual({
      outcome: 'skipped',
      deletedByAge: 0,
      deletedBySize: 0,
    });
    expect(second.query({})).toHaveLength(1);
    clock.advance(HOUR_MS);
    expect(await second.prune({ minIntervalMs: HOUR_MS })).toMatchObject({
      outcome: 'pruned',
      deletedByAge: 1,
    });
    clock.advance(-DAY_MS); // a clock moved back does not hold pruning off
    expect(await first.prune({ minIntervalMs: HOUR_MS })).toMatchObject({ outcome: 'pruned' });
  });

  it('stops after the transaction in progress when aborted, and when the lock stays busy', async () => {
    const home = temp.make('logs');
    const logs = await store(new ManualClock(T * 1000), home);
    logs.insert(Array.from({ length: 30 }, (_, i) => entry({ ts: T - 100 * 86_400 + i })));
    const controller = new AbortController();
    const pruning = logs.prune({ chunkRows: 10, pauseMs: 0, signal: controller.signal });
    controller.abort(); // the first chunk already ran, synchronously
    expect(await pruning).toEqual({ outcome: 'interrupted', deletedByAge: 10, deletedBySize: 0 });

    const other = new Database(logsDbPath(home));
    other.prepare('BEGIN IMMEDIATE').run();
    expect(await logs.prune({ busyTimeoutMs: 0 })).toMatchObject({ outcome: 'skipped' });
    other.prepare('COMMIT').run();
    const busyLater = logs.prune({ chunkRows: 10, pauseMs: 0, busyTimeoutMs: 0 });
    other.prepare('BEGIN IMMEDIATE').run(); // taken during the pause after the first chunk
    expect(await busyLater).toEqual({ outcome: 'interrupted', deletedByAge: 10, deletedBySize: 0 });
    other.prepare('COMMIT').run();
    other.close();
    expect(logs.query({})).toHaveLength(10);
  });
});

describe('log sink', () => {
  it('attaches process, thread and target, appends fields, and filters by level', async () => {
    const logs = await store();
    const sink = createLogSink({
      store: logs,
      processUuid: 'pid:9:z',
      minLevel: 'info',
      clock: new ManualClock(T * 1000 + 250),
    });
    const log = sink.logger.child({ target: 'agent_state::backfill', threadId: A });
    log.debug('not stored');
    log.info('batch done', { count: 200, path: '/a b/c' });
    await sink.close();
    expect(logs.query({})).toEqual([
      expect.objectContaining({
        ts: T,
        tsNanos: 250_000_000,
        level: 'INFO',
        target: 'agent_state::backfill',
        message: 'batch done count=200 path="/a b/c"',
        threadId: A,
        processUuid: 'pid:9:z',
      }),
    ]);
    expect(sink.written).toBe(1);
  });

  it('drops and counts a burst larger than its queue instead of blocking', async () => {
    const logs = await store();
    const sink = createLogSink({
      store: logs,
      queueCapacity: 100,
      batchSize: 1_000_000,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 1000; i += 1) sink.logger.info(`burst ${i}`);
    expect(sink.dropped).toBe(900);
    await sink.flush();
    expect(sink.written).toBe(100);
    expect(logs.query({}).map((r) => r.message)).toEqual(
      Array.from({ length: 100 }, (_, i) => `burst ${i}`),
    );
    await sink.close();
    sink.logger.error('after close');
    expect(sink.dropped).toBe(901);
  });

  it('prunes once when it starts, before any interval has passed', async () => {
    const clock = new ManualClock(T * 1000);
    const logs = await store(clock);
    logs.insert([entry({ ts: T - 91 * 86_400, message: 'too old' }), entry({ message: 'kept' })]);
    const sink = createLogSink({ store: logs, clock }); // default interval: one hour
    await sink.close();
    expect(logs.query({}).map((r) => r.message)).toEqual(['kept']);
  });

  it('skips the start prune when any process pruned within the interval, and prunes after it', async () => {
    const clock = new ManualClock(T * 1000);
    const home = temp.make('logs');
    const stale = () => entry({ ts: T - 91 * 86_400, message: 'too old' });
    const first = await store(clock, home);
    await createLogSink({ store: first, clock }).close(); // prunes, and records when
    first.insert([stale()]);

    clock.advance(HOUR_MS - 1000);
    const second = await store(clock, home); // another short run, within the hour
    await createLogSink({ store: second, clock }).close();
    expect(second.query({})).toHaveLength(1);

    clock.advance(1000);
    const third = await store(clock, home);
    await createLogSink({ store: third, clock }).close();
    expect(third.query({})).toEqual([]);
  });

  it('close stops a big prune after one short transaction, and the next run goes on at once', async () => {
    const clock = new ManualClock(T * 1000);
    const home = temp.make('logs');
    const logs = await store(clock, home);
    logs.insert(
      Array.from({ length: 5_000 }, (_, i) => entry({ ts: T - 91 * 86_400, message: `old ${i}` })),
    );
    await createLogSink({ store: logs, clock }).close();
    expect(logs.stats().rows).toBe(4_000); // one chunk, then the close stopped it

    clock.advance(60_000); // well within the hour: the backlog is not held off
    await createLogSink({ store: logs, clock }).close();
    expect(logs.stats().rows).toBe(3_000);
  });

  it('prunes again on its interval while it runs', async () => {
    vi.useFakeTimers();
    try {
      const clock = new ManualClock(T * 1000);
      const logs = await store(clock);
      const sink = createLogSink({ store: logs, clock, pruneIntervalMs: 60_000 });
      await vi.advanceTimersByTimeAsync(1000); // the start prune ends
      logs.insert([entry({ ts: T - 91 * 86_400 })]);
      clock.advance(60_000);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(logs.query({})).toEqual([]);
      await sink.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives a batch up after its short busy timeout, counting it as dropped, instead of stalling', async () => {
    const home = temp.make('logs');
    // The store's own timeout is long: a write that used it would stall this test for 20 s.
    const logs = await store(new ManualClock(T * 1000), home, 20_000);
    const sink = createLogSink({
      store: logs,
      pruneIntervalMs: 0,
      flushIntervalMs: 60_000,
      writeBusyTimeoutMs: 0,
    });
    const other = new Database(logsDbPath(home));
    other.prepare('BEGIN IMMEDIATE').run();
    sink.logger.info('meets the lock');
    await sink.flush();
    expect([sink.dropped, sink.written]).toEqual([1, 0]);
    expect(() => logs.insert([entry({})], { busyTimeoutMs: 0 })).toThrowError(StoreBusyError);
    other.prepare('COMMIT').run();
    other.close();
    sink.logger.info('after the lock');
    await sink.close(); // writes the row and records the drop
    expect(logs.query({}).map((r) => r.message)).toEqual(['after the lock']);
    expect(readLogsHealth({ home }).droppedEntries).toBe(1);
  }, 10_000);

  it('never throws into the caller when the database is gone', async () => {
    const logs = await store();
    const sink = createLogSink({ store: logs });
    logs.close();
    sink.logger.warn('into the void');
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink.dropped).toBe(1);
    await sink.close();
  });
});
