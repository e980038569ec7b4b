// Every filter, alone and combined, on the real log databases of Codex 0.100.0 (`state_5.sqlite`,
// `message` column) and 0.169.0 (`logs_2.sqlite`, `feedback_log_body` and `process_uuid`), against
// the counts of their expected.json.

import { ManualClock } from '@agent-state/state';
import {
  CODEX_FIXTURE_VERSIONS,
  type CodexFixtureVersion,
  tempDirs,
} from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type ExpectedLogs,
  allRows,
  copyFixtureDb,
  expectedLogs,
  jsonRows,
  originalFixtureDb,
  runClient,
  sha256,
  snapshotDir,
} from './test-support/harness.js';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

describe.each(CODEX_FIXTURE_VERSIONS)('filters on the Codex %s log database', (version) => {
  const temp = tempDirs();
  const expected: ExpectedLogs = expectedLogs(version);
  let db = '';
  let dir = '';
  let before: Record<string, string> = {};
  let originalHash = '';
  let oracle: Database.Database;
  const messageColumn = version === 'v0.100.0' ? 'message' : 'feedback_log_body';

  /** An independent count straight from SQL, for filters expected.json has no number for. */
  const count = (where: string, ...params: unknown[]): number =>
    oracle
      .prepare(`SELECT COUNT(*) FROM logs WHERE ${where}`)
      .pluck()
      .get(...params) as number;

  beforeAll(() => {
    originalHash = sha256(originalFixtureDb(version));
    ({ home: dir, path: db } = copyFixtureDb(temp, version));
    before = snapshotDir(dir);
    oracle = new Database(db, { readonly: true, fileMustExist: true });
  });

  afterAll(() => {
    oracle.close();
    // Nothing was written to the copy, nothing created next to it, and the original is intact.
    expect(snapshotDir(dir)).toEqual(before);
    expect(sha256(originalFixtureDb(version))).toBe(originalHash);
    temp.cleanup();
  });

  it('prints every row once, in id order, with the expected ids and times', async () => {
    const rows = await allRows(db);
    expect(rows).toHaveLength(expected.total);
    expect(rows[0]?.id).toBe(expected.min_id);
    expect(rows.at(-1)?.id).toBe(expected.max_id);
    expect(rows.map((row) => row.id)).toEqual(
      Array.from({ length: expected.total }, (_, i) => expected.min_id + i),
    );
    const seconds = rows.map((row) => Math.floor(Date.parse(row.ts) / 1000));
    expect(Math.min(...seconds)).toBe(expected.min_ts);
    expect(Math.max(...seconds)).toBe(expected.max_ts);
  });

  it('prints the rows of the message column, NULL as null', async () => {
    const rows = await allRows(db);
    const nulls = rows.filter((row) => row.message === null).length;
    expect(nulls).toBe(
      version === 'v0.100.0'
        ? expected.empty_message_rows
        : (expected as unknown as { empty_feedback_log_body_rows: number })
            .empty_feedback_log_body_rows,
    );
    expect(nulls).toBe(count(`${messageColumn} IS NULL`));
  });

  it.each(LEVELS)('--level %s matches the level’s count', async (level) => {
    expect(await allRows(db, ['--level', level.toLowerCase()])).toHaveLength(
      expected.by_level[level] ?? -1,
    );
  });

  it.each(LEVELS)('--level %s+ matches that level and the ones above', async (level) => {
    const above = LEVELS.slice(LEVELS.indexOf(level));
    const rows = await allRows(db, ['--level', `${level}+`]);
    expect(rows).toHaveLength(above.reduce((sum, l) => sum + (expected.by_level[l] ?? 0), 0));
    expect(new Set(rows.map((row) => row.level))).toEqual(new Set(above));
  });

  it('ORs repeated and comma-separated levels', async () => {
    const want = (expected.by_level['DEBUG'] ?? 0) + (expected.by_level['ERROR'] ?? 0);
    expect(await allRows(db, ['--level', 'debug,error'])).toHaveLength(want);
    expect(await allRows(db, ['--level', 'debug', '--level', 'ERROR'])).toHaveLength(want);
  });

  it('--threadless alone prints only the rows without a thread', async () => {
    const rows = await allRows(db, ['--threadless']);
    expect(rows).toHaveLength(expected.threadless);
    expect(rows.every((row) => row.thread_id === null)).toBe(true);
  });

  it('--thread-id prints each thread’s rows; all of them add up to the threaded rows', async () => {
    let sum = 0;
    for (const id of expected.thread_ids) {
      const rows = await allRows(db, ['--thread-id', id]);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row.thread_id === id)).toBe(true);
      sum += rows.length;
    }
    expect(sum).toBe(expected.threaded);
    const all = expected.thread_ids.flatMap((id) => ['--thread-id', id]);
    expect(await allRows(db, all)).toHaveLength(expected.threaded);
    expect(await allRows(db, [...all, '--threadless'])).toHaveLength(expected.total);
    expect(await allRows(db, ['--thread-id', 'no-such-thread'])).toHaveLength(0);
    expect(await allRows(db, ['--thread-id', 'no-such-thread', '--threadless'])).toHaveLength(
      expected.threadless,
    );
  });

  it.each(LEVELS)(
    '--level %s with and without threads matches by_level_threaded',
    async (level) => {
      const want = expected.by_level_threaded[level];
      const threads = expected.thread_ids.flatMap((id) => ['--thread-id', id]);
      expect(await allRows(db, ['--level', level, '--threadless'])).toHaveLength(
        want?.threadless ?? -1,
      );
      expect(await allRows(db, ['--level', level, ...threads])).toHaveLength(want?.threaded ?? -1);
    },
  );

  it('--from and --to are inclusive unix seconds or RFC 3339 times', async () => {
    const { min_ts: min, max_ts: max } = expected;
    expect(await allRows(db, ['--from', String(min), '--to', String(max)])).toHaveLength(
      expected.total,
    );
    expect(await allRows(db, ['--from', String(max + 1)])).toHaveLength(0);
    expect(await allRows(db, ['--to', String(min - 1)])).toHaveLength(0);
    const lastSecond = await allRows(db, ['--from', new Date(max * 1000).toISOString()]);
    expect(lastSecond).toHaveLength(count('ts >= ?', max));
    expect(lastSecond.length).toBeGreaterThan(0);
    const firstSecond = await allRows(db, ['--to', new Date(min * 1000 + 999).toISOString()]);
    expect(firstSecond).toHaveLength(count('ts <= ?', min));
  });

  it('--since and --until take relative times, counted from the clock', async () => {
    // Runs in-process with a clock 10 minutes after the last row.
    const clock = new ManualClock((expected.max_ts + 600) * 1000);
    const base = ['--db', db, '--json', '--no-follow', '--backfill', 'all'];
    const run = async (args: string[]) =>
      jsonRows((await runClient([...base, ...args], { clock })).stdout);
    expect(await run(['--since', '10m'])).toHaveLength(count('ts >= ?', expected.max_ts));
    expect(await run(['--since', '1h'])).toHaveLength(expected.total);
    expect(await run(['--until', '10m'])).toHaveLength(expected.total);
    expect(await run(['--until', '11m'])).toHaveLength(count('ts <= ?', expected.max_ts - 60));
    expect(await run(['--since', '30s'])).toHaveLength(0);
  });

  it('--module and --file are substrings, repeated ones OR-ed', async () => {
    for (const module of ['codex_core', 'codex_core::codex', 'models_manager', 'no_such_module']) {
      expect(await allRows(db, ['--module', module])).toHaveLength(
        count('instr(module_path, ?) > 0', module),
      );
    }
    expect(await allRows(db, ['--module', 'codex_core'])).not.toHaveLength(0);
    expect(
      await allRows(db, ['--module', 'models_manager', '--module', 'codex_otel']),
    ).toHaveLength(
      count(
        'instr(module_path, ?) > 0 OR instr(module_path, ?) > 0',
        'models_manager',
        'codex_otel',
      ),
    );
    for (const file of ['core/src/', 'src/', '.rs']) {
      const rows = await allRows(db, ['--file', file]);
      expect(rows).toHaveLength(count('instr(file, ?) > 0', file));
      expect(rows.length).toBeGreaterThan(0);
    }
    if (version === 'v0.100.0') {
      // The 228 events bridged from the `log` crate have no file: a file filter never matches them.
      expect(count('file IS NULL')).toBe(228);
      expect(await allRows(db, ['--file', '.rs'])).toHaveLength(expected.total - 228);
    }
  });

  it('--grep is a case-sensitive substring of the message', async () => {
    const text = 'failed to load skill';
    const rows = await allRows(db, ['--grep', text]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(count(`instr(${messageColumn}, ?) > 0`, text));
    expect(rows.every((row) => row.message?.includes(text))).toBe(true);
    expect(await allRows(db, ['--grep', text.toUpperCase()])).toHaveLength(0);
    // LIKE wildcards are literal.
    expect(await allRows(db, ['--grep', 'failed%skill'])).toHaveLength(0);
  });

  it('ANDs filters of different kinds', async () => {
    const id = expected.thread_ids[0] ?? '';
    const rows = await allRows(db, [
      '--level',
      'debug+',
      '--thread-id',
      id,
      '--module',
      'codex_core',
      '--from',
      String(expected.min_ts),
    ]);
    const want = count(
      "level IN ('DEBUG', 'INFO', 'WARN', 'ERROR') AND thread_id = ? AND instr(module_path, 'codex_core') > 0 AND ts >= ?",
      id,
      expected.min_ts,
    );
    expect(want).toBeGreaterThan(0);
    expect(rows).toHaveLength(want);
    const errors = await allRows(db, ['--level', 'error', '--threadless', '--grep', 'skill']);
    expect(errors).toHaveLength(
      count(`level = 'ERROR' AND thread_id IS NULL AND instr(${messageColumn}, 'skill') > 0`),
    );
  });

  it('--backfill N prints the newest N matching rows, oldest first', async () => {
    const rows = jsonRows(
      (await runClient(['--db', db, '--json', '--no-follow', '--backfill', '10'])).stdout,
    );
    expect(rows.map((row) => row.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => expected.max_id - 9 + i),
    );
    const warns = jsonRows(
      (await runClient(['--db', db, '--json', '--no-follow', '--level', 'warn'])).stdout,
    );
    expect(warns).toHaveLength(Math.min(200, expected.by_level['WARN'] ?? 0));
    const none = await runClient(['--db', db, '--no-follow', '--backfill', '0']);
    expect(none).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  if (version === 'v0.169.0') {
    it('prints process_uuid; the rows of each process match expected.json', async () => {
      const rows = await allRows(db);
      for (const process of expected.processes ?? []) {
        const mine = rows.filter((row) => row.process_uuid === process.process_uuid);
        expect(mine).toHaveLength(process.rows);
        expect(mine.filter((row) => row.thread_id !== null)).toHaveLength(process.threaded);
        expect(mine[0]?.id).toBe(process.min_id);
        expect(mine.at(-1)?.id).toBe(process.max_id);
        // Each process ran in its own seconds: a time window selects exactly its rows.
        const window = await allRows(db, [
          '--from',
          String(process.min_ts),
          '--to',
          String(process.max_ts),
        ]);
        expect(window).toHaveLength(process.rows);
      }
    });
  } else {
    it('prints null process_uuid for Codex 0.100, which has no such column', async () => {
      const rows = await allRows(db);
      expect(rows.every((row) => row.process_uuid === null)).toBe(true);
    });
  }
});

describe('the original fixture files', () => {
  it.each(CODEX_FIXTURE_VERSIONS)(
    '%s: are read in place (read-only) and left byte for byte unchanged',
    async (version: CodexFixtureVersion) => {
      const original = originalFixtureDb(version);
      const dir = original.slice(0, original.lastIndexOf('/'));
      const before = snapshotDir(dir);
      const rows = await allRows(original);
      expect(rows).toHaveLength(expectedLogs(version).total);
      expect(snapshotDir(dir)).toEqual(before);
    },
  );
});

describe('--module on a logs table without module_path', () => {
  const temp = tempDirs();
  afterAll(() => temp.cleanup());

  it('matches no row (it never silently prints every row)', async () => {
    const db = `${temp.make('old-codex')}/logs_1.sqlite`;
    const raw = new Database(db);
    raw.exec(`CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,
      ts_nanos INTEGER NOT NULL, level TEXT NOT NULL, target TEXT NOT NULL, message TEXT,
      file TEXT, line INTEGER, thread_id TEXT)`);
    raw.exec(`INSERT INTO logs (ts, ts_nanos, level, target, message)
      VALUES (1795241600, 0, 'INFO', 'codex_core::codex', 'a'),
             (1795241601, 0, 'WARN', 'codex_tui::app', 'b')`);
    raw.close();
    expect(await allRows(db)).toHaveLength(2);
    expect(await allRows(db, ['--module', 'codex_core'])).toEqual([]);
    expect(await allRows(db, ['--module', 'codex_core', '--level', 'warn+'])).toEqual([]);
  });
});
