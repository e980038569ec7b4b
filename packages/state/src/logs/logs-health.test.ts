import { existsSync, statSync, writeFileSync } from 'node:fs';

import { isAgentStateError } from '@agent-state/errors';
import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { ErrorCode } from '../errors.js';
import { logsDbPath } from '../paths/home.js';
import { createLogSink } from './log-sink.js';
import { readLogsHealth } from './logs-health.js';
import { openLogsStore } from './logs-store.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const T = 1_795_241_524;

/** A sink with a tiny queue that only writes when asked, so a burst overflows it. */
async function overflowingSink(home: string, clock: ManualClock, processUuid: string) {
  const store = await openLogsStore({ home, clock });
  const sink = createLogSink({
    store,
    processUuid,
    queueCapacity: 10,
    batchSize: 1_000_000,
    flushIntervalMs: 60_000,
    pruneIntervalMs: 0,
    clock,
  });
  return { store, sink };
}

describe('readLogsHealth', () => {
  it('reports a missing database without creating it', () => {
    const home = temp.make('home');
    expect(readLogsHealth({ home })).toEqual({
      path: logsDbPath(home),
      sizeBytes: null,
      walBytes: null,
      rows: null,
      droppedEntries: 0,
      lastDropAt: null,
    });
    expect(existsSync(logsDbPath(home))).toBe(false);
  });

  it('finds the entries real sinks dropped, summed over processes, after they closed', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T * 1000);

    const first = await overflowingSink(home, clock, 'pid:1:a');
    for (let i = 0; i < 25; i += 1) first.sink.logger.info(`burst ${i}`);
    expect(first.sink.dropped).toBe(15);
    await first.sink.flush(); // writes 10 rows, records 15 drops
    for (let i = 0; i < 12; i += 1) first.sink.logger.info(`again ${i}`);
    clock.advance(60_000);
    await first.sink.close(); // 10 more rows, 2 more drops
    first.store.close();

    const second = await overflowingSink(home, clock, 'pid:2:b');
    for (let i = 0; i < 11; i += 1) second.sink.logger.warn(`other ${i}`);
    clock.advance(60_000);
    await second.sink.close();
    second.store.close();

    const health = readLogsHealth({ home });
    expect(health).toMatchObject({
      path: logsDbPath(home),
      rows: 30,
      droppedEntries: 15 + 2 + 1,
      lastDropAt: T + 120,
    });
    const wal = `${health.path}-wal`;
    const walBytes = existsSync(wal) ? statSync(wal).size : 0;
    expect(health.walBytes).toBe(walBytes);
    expect(health.sizeBytes).toBe(statSync(health.path).size + walBytes);
  });

  it('records nothing when nothing was dropped, and never throws when the record fails too', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T * 1000);
    const { store, sink } = await overflowingSink(home, clock, 'pid:3:c');
    sink.logger.info('fits');
    await sink.flush();
    expect(readLogsHealth({ home })).toMatchObject({
      rows: 1,
      droppedEntries: 0,
      lastDropAt: null,
    });

    store.close(); // the write and the drop record both fail now
    sink.logger.info('lost');
    await sink.flush();
    expect(sink.dropped).toBe(1);
    await sink.close();
    expect(readLogsHealth({ home }).droppedEntries).toBe(0);
  });

  it('prunes drop records with the rows they are as old as', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T * 1000);
    const { store, sink } = await overflowingSink(home, clock, 'pid:4:d');
    for (let i = 0; i < 11; i += 1) sink.logger.info(`x ${i}`);
    await sink.close();
    expect(readLogsHealth({ home }).droppedEntries).toBe(1);
    clock.advance(91 * 86_400_000);
    expect(store.pruneOlderThan()).toBe(10);
    store.close();
    expect(readLogsHealth({ home })).toMatchObject({
      rows: 0,
      droppedEntries: 0,
      lastDropAt: null,
    });
  });

  it('reads a logs database from before drops were recorded as having none', async () => {
    const home = temp.make('home');
    const store = await openLogsStore({ home });
    store.close();
    const db = new Database(logsDbPath(home));
    // The schema of migration 1 alone.
    db.exec(`DROP TABLE log_sink_drops; DROP TABLE log_prune_state;
      DROP INDEX idx_logs_thread_bytes; DROP INDEX idx_logs_threadless_bytes;
      CREATE INDEX idx_logs_thread_id ON logs(thread_id, id);
      CREATE INDEX idx_logs_process_uuid_threadless ON logs(process_uuid, id) WHERE thread_id IS NULL;
      PRAGMA user_version = 1;`);
    db.close();
    expect(readLogsHealth({ home })).toMatchObject({ rows: 0, droppedEntries: 0 });
    const reopened = await openLogsStore({ home }); // migrates it
    reopened.recordDroppedEntries({ processUuid: 'pid:5:e', count: 3 });
    reopened.close();
    expect(readLogsHealth({ home }).droppedEntries).toBe(3);
  });

  it('throws a typed error naming a logs file that is not a database', () => {
    const home = temp.make('home');
    writeFileSync(logsDbPath(home), Buffer.alloc(4096, 'not a database '));
    let caught: unknown;
    try {
      readLogsHealth({ home });
    } catch (error) {
      caught = error;
    }
    expect(isAgentStateError(caught) && caught.code).toBe(ErrorCode.StoreCorrupt);
    expect(String(caught)).toContain(logsDbPath(home));
  });
});
