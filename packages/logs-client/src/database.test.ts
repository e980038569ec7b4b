import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { logsDbPath, openLogsStore } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { findLogsDatabase, locateLogsDatabase } from './database.js';
import {
  expectedLogs,
  jsonRows,
  originalFixtureDb,
  runClient,
  snapshotDir,
} from './test-support/harness.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const V100 = originalFixtureDb('v0.100.0');
const V169 = originalFixtureDb('v0.169.0');

/** A home holding copies of fixture databases under the given names. */
function home(files: Record<string, string>): string {
  const dir = temp.make('home');
  for (const [name, source] of Object.entries(files)) copyFileSync(source, join(dir, name));
  return dir;
}

/** A SQLite file without a logs table (as Codex 0.169's state_5.sqlite). */
function stateDbWithoutLogs(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE threads (id TEXT PRIMARY KEY)');
  db.close();
}

const ALL = ['--no-follow', '--json', '--backfill', 'all'];

/** A home with Codex 0.169's logs_2.sqlite, 0.100's state_5.sqlite and one row of ours. */
async function homeWithBoth(): Promise<string> {
  const dir = home({ 'logs_2.sqlite': V169, 'state_5.sqlite': V100 });
  const store = await openLogsStore({ home: dir });
  store.insert([
    {
      ts: 1795241600,
      tsNanos: 1_000_000,
      level: 'WARN',
      target: 'agent_state::backfill',
      message: 'ours',
      modulePath: 'agent_state::backfill',
      file: 'src/backfill.ts',
      line: 7,
      threadId: null,
      processUuid: 'pid:1:00000000-0000-4000-8000-000000000000',
    },
  ]);
  store.close();
  return dir;
}

describe('the log database of a home', () => {
  it('is Codex 0.169’s logs_2.sqlite', async () => {
    const dir = home({ 'logs_2.sqlite': V169 });
    expect(findLogsDatabase(dir)).toBe(join(dir, 'logs_2.sqlite'));
    const before = snapshotDir(dir);
    const run = await runClient(['--codex-home', dir, ...ALL]);
    expect(run.exitCode).toBe(0);
    expect(jsonRows(run.stdout)).toHaveLength(expectedLogs('v0.169.0').total);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('is the logs table of Codex 0.100’s state_5.sqlite when there is no logs_<N>.sqlite', async () => {
    const dir = home({ 'state_5.sqlite': V100 });
    expect(findLogsDatabase(dir)).toBe(join(dir, 'state_5.sqlite'));
    const before = snapshotDir(dir);
    const run = await runClient(['--codex-home', dir, ...ALL]);
    expect(jsonRows(run.stdout)).toHaveLength(expectedLogs('v0.100.0').total);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('prefers the newest: logs_<highest N>, then logs_1, then state_<N>', () => {
    expect(findLogsDatabase(home({ 'state_5.sqlite': V100, 'logs_2.sqlite': V169 }))).toMatch(
      /logs_2\.sqlite$/,
    );
    expect(findLogsDatabase(home({ 'logs_1.sqlite': V100, 'logs_2.sqlite': V169 }))).toMatch(
      /logs_2\.sqlite$/,
    );
    expect(findLogsDatabase(home({ 'logs_1.sqlite': V100, 'state_5.sqlite': V100 }))).toMatch(
      /logs_1\.sqlite$/,
    );
    expect(findLogsDatabase(home({ 'logs_10.sqlite': V169, 'logs_9.sqlite': V169 }))).toMatch(
      /logs_10\.sqlite$/,
    );
  });

  it('skips a state_<N>.sqlite without a logs table (Codex 0.169 dropped it)', () => {
    const dir = home({ 'state_4.sqlite': V100 });
    stateDbWithoutLogs(join(dir, 'state_5.sqlite'));
    expect(findLogsDatabase(dir)).toBe(join(dir, 'state_4.sqlite'));
  });

  it('is agent-state’s own agent_logs_1.sqlite when it exists, before Codex’s, and says so on stderr', async () => {
    const dir = await homeWithBoth();
    expect(findLogsDatabase(dir)).toBe(logsDbPath(dir));
    expect(locateLogsDatabase(dir)).toEqual({
      path: logsDbPath(dir),
      source: 'agent-state',
      other: join(dir, 'logs_2.sqlite'),
    });
    const run = await runClient(['--codex-home', dir, '--no-follow']);
    expect(run).toEqual({
      exitCode: 0,
      stdout: '2026-11-21T06:13:20.001Z WARN  [-] agent_state::backfill - ours\n',
      stderr: `logs_client: reading agent-state's logs, ${logsDbPath(dir)}; Codex's are in ${join(dir, 'logs_2.sqlite')} (--source codex reads them)\n`,
    });
  });

  it('is Codex’s with --source codex, even when agent-state’s exists, without a notice', async () => {
    const dir = await homeWithBoth();
    expect(findLogsDatabase(dir, { source: 'codex' })).toBe(join(dir, 'logs_2.sqlite'));
    const run = await runClient(['--codex-home', dir, '--source', 'codex', ...ALL]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    expect(jsonRows(run.stdout)).toHaveLength(expectedLogs('v0.169.0').total);
    const ours = await runClient(['--codex-home', dir, '--source', 'agent-state', ...ALL]);
    expect([ours.exitCode, ours.stderr, jsonRows(ours.stdout).length]).toEqual([0, '', 1]);
  });

  it('--source names a database the home does not have: exit 3 naming what was looked for', async () => {
    const codexOnly = home({ 'logs_2.sqlite': V169 });
    const noOurs = await runClient(['--codex-home', codexOnly, '--source', 'agent-state']);
    expect(noOurs).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: `logs_client: no agent-state log database in ${codexOnly}: looked for agent_logs_1.sqlite (--source codex reads Codex's)\n`,
    });
    const oursOnly = temp.make('home');
    (await openLogsStore({ home: oursOnly })).close();
    const noCodex = await runClient(['--codex-home', oursOnly, '--source', 'codex']);
    expect(noCodex.exitCode).toBe(3);
    expect(noCodex.stderr).toMatch(/^logs_client: no Codex log database in .*logs_<N>\.sqlite/);
  });

  it('reads agent-state’s even when a Codex file next to it cannot be read', async () => {
    const dir = temp.make('home');
    (await openLogsStore({ home: dir })).close();
    writeFileSync(join(dir, 'state_5.sqlite'), 'not a database '.repeat(40));
    expect(locateLogsDatabase(dir)).toEqual({
      path: logsDbPath(dir),
      source: 'agent-state',
      other: undefined,
    });
  });

  it('comes from $CODEX_HOME, or $AGENT_STATE_HOME before it, without --codex-home', async () => {
    const codex = home({ 'logs_2.sqlite': V169 });
    const agent = home({ 'state_5.sqlite': V100 });
    const fromCodex = await runClient(ALL, { env: { CODEX_HOME: codex } });
    expect(jsonRows(fromCodex.stdout)).toHaveLength(expectedLogs('v0.169.0').total);
    const fromAgent = await runClient(ALL, {
      env: { CODEX_HOME: codex, AGENT_STATE_HOME: agent },
    });
    expect(jsonRows(fromAgent.stdout)).toHaveLength(expectedLogs('v0.100.0').total);
  });

  it('is missing: exit 3 naming the home and what was looked for', async () => {
    const dir = home({});
    stateDbWithoutLogs(join(dir, 'state_5.sqlite'));
    writeFileSync(join(dir, 'notes.sqlite'), '');
    const run = await runClient(['--codex-home', dir]);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `logs_client: no log database in ${dir}: looked for agent_logs_1.sqlite, Codex's logs_<N>.sqlite and a logs table in its state_<N>.sqlite (pass --db FILE to read another file)\n`,
    );
  });

  it('exits 3 when the home does not exist', async () => {
    const missing = join(temp.make('gone'), 'nothing-here');
    const run = await runClient(['--codex-home', missing]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toBe(
      `logs_client: home ${missing} not found (pass --codex-home DIR, or --db FILE to read one database)\n`,
    );
  });
});

describe('--db', () => {
  it('reads exactly the file given, whatever its name, and only reads it', async () => {
    const dir = home({ 'state_5.sqlite': V100, 'copy.db': V169 });
    const before = snapshotDir(dir);
    const run = await runClient(['--db', 'copy.db', ...ALL], { cwd: dir });
    expect(run.exitCode).toBe(0);
    expect(jsonRows(run.stdout)).toHaveLength(expectedLogs('v0.169.0').total);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('exits 3 for a missing file, without creating it', async () => {
    const dir = temp.make('db');
    const path = join(dir, 'logs_2.sqlite');
    const run = await runClient(['--db', path]);
    expect(run).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: `logs_client: log database ${path} not found\n`,
    });
    expect(snapshotDir(dir)).toEqual({});
  });

  it('exits 3 for a database without a logs table, naming it', async () => {
    const path = join(temp.make('db'), 'state_5.sqlite');
    stateDbWithoutLogs(path);
    const run = await runClient(['--db', path]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain(path);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits 1 for a file that is not a database, naming it', async () => {
    const path = join(temp.make('db'), 'logs_2.sqlite');
    writeFileSync(
      path,
      'not a database, just text that is long enough to have a header '.repeat(4),
    );
    const run = await runClient(['--db', path]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(path);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('exits non-zero for a directory, naming it', async () => {
    const path = join(temp.make('db'), 'dir.sqlite');
    mkdirSync(path);
    const run = await runClient(['--db', path]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain(path);
  });
});
