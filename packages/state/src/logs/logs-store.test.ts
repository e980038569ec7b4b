import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CODEX_FIXTURE_VERSIONS, codexLogsFixtureDir, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import type { LogEntry } from './log-entry.js';
import { maxLogId, queryLogs } from './log-query.js';
import { createLogSink } from './log-sink.js';
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

async function store(clock = new ManualClock(T * 1000)): Promise<LogsStore> {
  const logs = await openLogsStore({ home: temp.make('logs'), clock });
  open.push(logs);
  return logs;
}

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
    expect(() => openLogsDatabaseReadOnly(join(temp.make('none'), 'missing.sqlite'))).toThrowError(
      /missing\.sqlite/,
    );
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
