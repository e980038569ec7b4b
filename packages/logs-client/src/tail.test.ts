import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { ManualClock } from '@agent-state/state';
import { forkScript, tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import type { JsonLogRow } from './format.js';
import type { OutputStream } from './io.js';
import { runLogsClient } from './main.js';
import { tailLogs } from './tail.js';
import type {
  InsertLogsArgs,
  InsertLogsMessage,
  InsertedRow,
} from './test-support/insert-logs.script.js';
import {
  capture,
  copyFixtureDb,
  expectedLogs,
  jsonRows,
  runClient,
  waitFor,
} from './test-support/harness.js';

const INSERT_SCRIPT = fileURLToPath(
  new URL('./test-support/insert-logs.script.ts', import.meta.url),
);
const THREAD = '01a1fcbb-1387-75d1-9dae-1ca2320f7547';

const temp = tempDirs();
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  temp.cleanup();
});

/** Starts `logs_client <args…>` in-process; `stop()` aborts it and resolves to its exit code. */
function startClient(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const controller = new AbortController();
  const exited = runLogsClient(args, {
    stdout,
    stderr,
    env: {},
    clock: new ManualClock(0),
    signal: controller.signal,
  });
  let settled = false;
  void exited.then(() => (settled = true));
  cleanups.push(() => controller.abort());
  return {
    stdout,
    stderr,
    exited,
    settled: () => settled,
    rows: () => jsonRows(stdout.text()),
    stop: async () => {
      controller.abort();
      return exited;
    },
  };
}

/** Starts the inserting child; `next()` releases its next batch; `inserted()` counts its reports. */
function startInserter(args: InsertLogsArgs) {
  const child = forkScript(INSERT_SCRIPT, args);
  cleanups.push(() => child.process.kill('SIGKILL'));
  const reports: InsertLogsMessage[] = [];
  child.process.on('message', (message: InsertLogsMessage) => reports.push(message));
  return {
    reports,
    next: () => child.process.send('next'),
    exited: child.exited,
    stderr: child.stderr,
  };
}

const row = (level: string, message: string, threadId: string | null = null): InsertedRow => ({
  level,
  message,
  threadId,
});

describe('following', () => {
  it.each([
    ['v0.169.0', false],
    ['v0.100.0', false],
    ['v0.169.0', true],
  ] as const)(
    'prints the rows another process inserts into a Codex %s database (WAL: %s)',
    async (version, wal) => {
      const { path } = copyFixtureDb(temp, version);
      const maxId = expectedLogs(version).max_id;
      if (wal) {
        // Codex keeps its log databases in WAL mode.
        const db = new Database(path);
        db.pragma('journal_mode = WAL');
        db.close();
      }
      const client = startClient(['--db', path, '--backfill', '2', '--poll-ms', '20', '--json']);
      await waitFor('the backfill', () => client.rows().length === 2);
      expect(client.rows().map((r) => r.id)).toEqual([maxId - 1, maxId]);

      const inserter = startInserter({
        kind: 'codex',
        path,
        wal,
        batches: [
          [row('WARN', 'child one', THREAD), row('INFO', 'child two')],
          [row('ERROR', 'child three')],
        ],
      });
      await waitFor('the first batch', () => client.rows().length === 4);
      await waitFor('the child’s report', () => inserter.reports.length === 1);
      inserter.next();
      await waitFor('the second batch', () => client.rows().length === 5);
      expect((await inserter.exited).code).toBe(0);

      const printed = client.rows();
      expect(printed.map((r) => r.id)).toEqual([maxId - 1, maxId, maxId + 1, maxId + 2, maxId + 3]);
      expect(printed.slice(2).map((r) => [r.level, r.message, r.thread_id])).toEqual([
        ['WARN', 'child one', THREAD],
        ['INFO', 'child two', null],
        ['ERROR', 'child three', null],
      ]);
      expect(client.settled()).toBe(false);
      expect(await client.stop()).toBe(0);
      expect(client.stderr.text()).toBe('');
    },
  );

  it('applies the filters to new rows and, with --backfill 0, prints only new ones', async () => {
    const { path } = copyFixtureDb(temp, 'v0.169.0');
    const client = startClient([
      '--db',
      path,
      '--backfill',
      '0',
      '--poll-ms',
      '20',
      '--level',
      'warn+',
      '--thread-id',
      THREAD,
      '--compact',
    ]);
    const inserter = startInserter({
      kind: 'codex',
      path,
      batches: [
        [
          row('INFO', 'info of the thread', THREAD),
          row('WARN', 'warn of another thread', 'other'),
          row('WARN', 'warn without a thread'),
          row('ERROR', 'error of the thread', THREAD),
        ],
        [row('WARN', 'warn of the thread', THREAD)],
      ],
    });
    await waitFor('the first batch', () => client.stdout.text().includes('error of the thread'));
    inserter.next();
    await waitFor('the second batch', () => client.stdout.text().includes('warn of the thread'));
    expect((await inserter.exited).code).toBe(0);
    expect(await client.stop()).toBe(0);
    expect(client.stdout.text()).toMatch(
      /^\d\d:\d\d:\d\d ERROR error of the thread\n\d\d:\d\d:\d\d WARN {2}warn of the thread\n$/,
    );
  });

  it('finds and follows agent-state’s own log database of a home, written through the state package', async () => {
    const { home } = copyFixtureDb(temp, 'v0.169.0');
    const inserter = startInserter({
      kind: 'store',
      home,
      batches: [[row('INFO', 'first')], [row('ERROR', 'second', THREAD)]],
    });
    // The child creates agent_logs_1.sqlite; from then on it is the home's log database.
    await waitFor('the database', () => inserter.reports.length === 1);
    const client = startClient(['--codex-home', home, '--poll-ms', '20', '--json']);
    await waitFor('the backfill', () => client.rows().length === 1);
    inserter.next();
    await waitFor('the new row', () => client.rows().length === 2);
    expect((await inserter.exited).code).toBe(0);
    expect(await client.stop()).toBe(0);
    expect(client.rows().map((r: JsonLogRow) => [r.id, r.level, r.message, r.thread_id])).toEqual([
      [1, 'INFO', 'first', null],
      [2, 'ERROR', 'second', THREAD],
    ]);
  });

  it('--no-follow exits after the backfill, without being stopped', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const client = startClient(['--db', path, '--backfill', '3', '--no-follow', '--compact']);
    expect(await client.exited).toBe(0);
    expect(client.stdout.text().trimEnd().split('\n')).toHaveLength(3);
  });

  it('stops at once when the signal is already aborted', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const controller = new AbortController();
    controller.abort();
    const stdout = capture();
    const result = await tailLogs({
      path,
      query: {},
      backfill: 5,
      pollMs: 60_000,
      follow: true,
      format: { format: 'normal', color: false },
      stdout,
      signal: controller.signal,
    });
    expect(result).toEqual({ end: 'stopped', printed: 0, lastId: 525 });
    expect(stdout.text()).toBe('');
  });

  it('looks from the table’s highest id on every poll, not from the last row that matched', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const maxId = expectedLogs('v0.100.0').max_id;
    const stdout = capture();
    const controller = new AbortController();
    const tail = tailLogs({
      path,
      query: { search: 'the rare match' },
      backfill: 200,
      pollMs: 10,
      follow: true,
      format: { format: 'compact', color: false },
      stdout,
      signal: controller.signal,
    });
    // One transaction: the match, then rows that do not match. The poll that prints the match
    // also passed the others; the next poll must start after them, not after the match.
    const db = new Database(path);
    const insert = db.prepare(
      "INSERT INTO logs (ts, ts_nanos, level, target, message) VALUES (1795241600, 0, 'INFO', 't', ?)",
    );
    db.transaction(() => {
      for (const message of ['the rare match', 'other', 'other again']) insert.run(message);
    })();
    db.close();
    await waitFor('the match', () => stdout.text().includes('the rare match'));
    controller.abort();
    expect(await tail).toEqual({ end: 'stopped', printed: 1, lastId: maxId + 3 });
  });

  it('prints the range and ends by itself when --to is in the past, even while following', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const expected = expectedLogs('v0.100.0');
    const to = expected.max_ts - 1;
    const stdout = capture();
    const result = await tailLogs({
      path,
      query: { to },
      backfill: 'all',
      pollMs: 10,
      follow: true,
      format: { format: 'compact', color: false },
      stdout,
      clock: new ManualClock((to + 6) * 1000), // past the bound and its moment for late rows
      signal: AbortSignal.timeout(20_000), // before the fix: 'stopped' here, 20 s later
    });
    expect(result.end).toBe('complete');
    expect(result.printed).toBeGreaterThan(0);
    expect(result.printed).toBeLessThan(expected.total);

    const run = await runClient(['--db', path, '--until', '1h', '--backfill', '5'], {
      clock: new ManualClock((expected.max_ts + 2 * 3600) * 1000),
      signal: AbortSignal.timeout(20_000),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(5);
  });

  it('keeps following while --to is still ahead', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const controller = new AbortController();
    const stdout = capture();
    const tail = tailLogs({
      path,
      query: { to: 1_795_241_600 + 60 },
      backfill: 0,
      pollMs: 10,
      follow: true,
      format: { format: 'compact', color: false },
      stdout,
      clock: new ManualClock((1_795_241_600 + 60) * 1000),
      signal: controller.signal,
    });
    const db = new Database(path);
    db.prepare(
      "INSERT INTO logs (ts, ts_nanos, level, target, message) VALUES (1795241600, 0, 'INFO', 't', 'late row')",
    ).run();
    db.close();
    await waitFor('the new row', () => stdout.text().includes('late row'));
    controller.abort();
    expect((await tail).end).toBe('stopped');
  });

  it('stops a long poll interval as soon as it is aborted', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const client = startClient(['--db', path, '--backfill', '1', '--poll-ms', '3600000']);
    await waitFor('the backfill', () => client.stdout.text() !== '');
    expect(await client.stop()).toBe(0);
  });
});

describe('the output stream', () => {
  /** A stream that reports EPIPE on its second write, as a pipe whose reader went away. */
  function closingStream(): OutputStream & { writes: string[] } {
    const listeners: Array<(error: Error) => void> = [];
    const writes: string[] = [];
    return {
      writes,
      write(chunk: string) {
        writes.push(chunk);
        if (writes.length === 2) {
          const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
          queueMicrotask(() => listeners.forEach((listener) => listener(error)));
        }
        return true;
      },
      on: (_event: 'error', listener: (error: Error) => void) => listeners.push(listener),
      off: (_event: 'drain' | 'error', listener: (error: Error) => void) => {
        const index = listeners.indexOf(listener);
        if (index >= 0) listeners.splice(index, 1);
      },
    };
  }

  it('ends quietly with output-closed on EPIPE while following', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const stdout = closingStream();
    const tail = tailLogs({
      path,
      query: {},
      backfill: 1,
      pollMs: 20,
      follow: true,
      format: { format: 'normal', color: false },
      stdout,
    });
    await waitFor('the backfill', () => stdout.writes.length === 1);
    const db = new Database(path);
    db.prepare(
      "INSERT INTO logs (ts, ts_nanos, level, target, message) VALUES (1795241600, 0, 'INFO', 't', 'new')",
    ).run();
    db.close();
    expect(await tail).toEqual({ end: 'output-closed', printed: 2, lastId: 526 });
    expect(stdout.writes).toHaveLength(2);
  });

  it('ends with output-closed when the stream is closed while nothing new is written', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const stdout = new PassThrough();
    let read = '';
    stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const tail = tailLogs({
      path,
      query: {},
      backfill: 1,
      pollMs: 10,
      follow: true,
      format: { format: 'compact', color: false },
      stdout,
      signal: AbortSignal.timeout(20_000), // before the fix: 'stopped' here, 20 s later
    });
    await waitFor('the backfill', () => read.endsWith('\n'));
    stdout.destroy(); // the reader is gone; no row is written after, so no EPIPE can tell
    expect(await tail).toEqual({ end: 'output-closed', printed: 1, lastId: 525 });
  });

  it('notices a stream closed without an event, on its next poll', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const writes: string[] = [];
    const stdout = {
      writable: true,
      write(chunk: string) {
        writes.push(chunk);
        return true;
      },
    };
    const tail = tailLogs({
      path,
      query: {},
      backfill: 1,
      pollMs: 10,
      follow: true,
      format: { format: 'compact', color: false },
      stdout,
      signal: AbortSignal.timeout(20_000),
    });
    await waitFor('the backfill', () => writes.length === 1);
    stdout.writable = false;
    expect(await tail).toEqual({ end: 'output-closed', printed: 1, lastId: 525 });
  });

  it('waits for drain when the stream asks for it', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    let drain: (() => void) | undefined;
    const writes: string[] = [];
    const stdout: OutputStream = {
      write: (chunk) => {
        writes.push(chunk);
        return false;
      },
      once: (_event, listener) => {
        drain = listener;
      },
    };
    let done = false;
    const tail = tailLogs({
      path,
      query: {},
      backfill: 'all',
      pollMs: 20,
      follow: false,
      format: { format: 'compact', color: false },
      stdout,
    }).then((result) => {
      done = true;
      return result;
    });
    await waitFor('the first write', () => drain !== undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    drain?.();
    expect(await tail).toEqual({ end: 'complete', printed: 525, lastId: 525 });
    expect(writes).toHaveLength(1);
  });

  it('rejects on another error of the stream', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    let fail: ((error: Error) => void) | undefined;
    const stdout: OutputStream = {
      write: () => {
        queueMicrotask(() => fail?.(Object.assign(new Error('disk full'), { code: 'ENOSPC' })));
        return true;
      },
      on: (_event, listener) => {
        fail = listener;
      },
    };
    await expect(
      tailLogs({
        path,
        query: {},
        backfill: 1,
        pollMs: 20,
        follow: true,
        format: { format: 'normal', color: false },
        stdout,
      }),
    ).rejects.toThrow('disk full');
  });
});
