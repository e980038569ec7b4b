import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { logsDbPath } from '../paths/home.js';
import {
  OVER_LIMIT_PROCESSES_SQL,
  OVER_LIMIT_THREADS_SQL,
  type Partition,
  partitionSql,
} from './log-pruning.js';
import { openLogsStore } from './logs-store.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** SQLite's plan of `sql`, one detail line per step. */
function plan(db: Database.Database, sql: string, params: unknown[]): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
  return rows.map((row) => row.detail);
}

/** True when a step reads the whole logs table (a scan that is not of an index). */
const scansTable = (detail: string): boolean =>
  /^SCAN logs\b/.test(detail) && !detail.includes('INDEX');

describe('size pruning queries', () => {
  it('read indexes only, never the whole table (so they stay cheap on millions of rows)', async () => {
    const home = temp.make('logs');
    (await openLogsStore({ home })).close();
    const db = new Database(logsDbPath(home), { readonly: true });
    try {
      // One pass over the index, in its order: no table scan, no temporary b-tree to group.
      expect(plan(db, OVER_LIMIT_THREADS_SQL, [1])).toEqual([
        expect.stringMatching(/^(SCAN|SEARCH) logs USING COVERING INDEX idx_logs_thread_bytes\b/),
      ]);
      expect(plan(db, OVER_LIMIT_PROCESSES_SQL, [1])).toEqual([
        expect.stringMatching(
          /^(SCAN|SEARCH) logs USING COVERING INDEX idx_logs_threadless_bytes\b/,
        ),
      ]);
      const partitions: Partition[] = [
        { kind: 'thread', threadId: 't' },
        { kind: 'process', processUuid: 'pid:1:p' },
        { kind: 'process', processUuid: null },
      ];
      for (const partition of partitions) {
        const sql = partitionSql(partition);
        const newest = plan(db, sql.newestFirst, sql.params);
        expect(newest, sql.newestFirst).toEqual([
          expect.stringMatching(/^SEARCH logs USING COVERING INDEX idx_logs_\w+_bytes \(/),
        ]);
        const deletion = plan(db, sql.deleteUpTo.replace(/^DELETE/, 'SELECT *'), [
          ...sql.params,
          1,
          1,
        ]);
        expect(deletion.filter(scansTable), sql.deleteUpTo).toEqual([]);
      }
    } finally {
      db.close();
    }
  });
});
