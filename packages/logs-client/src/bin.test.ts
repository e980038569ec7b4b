// The built executable (`dist/bin.js`, made by the `build` task that turbo runs before `test`), in
// real child processes: pipes, signals and exit codes.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { copyFixtureDb, expectedLogs, waitFor } from './test-support/harness.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const ENV = {
  ...process.env,
  NO_COLOR: undefined,
  CODEX_HOME: undefined,
  AGENT_STATE_HOME: undefined,
};

const temp = tempDirs();
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  temp.cleanup();
});

beforeAll(() => {
  expect(
    existsSync(BIN),
    `${BIN} is missing: run \`pnpm --filter @agent-state/logs-client build\``,
  ).toBe(true);
});

/** Runs the executable to completion. */
function run(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const child = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { exitCode: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** Starts the executable; collects stderr; `exited` resolves to its exit code and signal. */
function start(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Appends one row to a Codex 0.100 logs table, as Codex would. */
function insertRow(path: string, message: string): void {
  const db = new Database(path, { timeout: 5000 });
  db.prepare(
    "INSERT INTO logs (ts, ts_nanos, level, target, message) VALUES (1795241600, 0, 'INFO', 'codex_core::codex', ?)",
  ).run(message);
  db.close();
}

describe('logs_client', () => {
  it('prints the backfill and exits 0 with --no-follow, without colors off a terminal', () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const result = run(['--db', path, '--no-follow', '--backfill', '3']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe(
      '2026-11-21T06:12:19.302Z TRACE [-] log - (ThreadId(10)) end runtime::block_on',
    );
    expect(result.stdout).not.toContain('\x1b[');
  });

  it('colors with --color always, even in a pipe and with NO_COLOR', () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const result = run(['--db', path, '--no-follow', '--backfill', '1', '--color', 'always'], {
      ...ENV,
      NO_COLOR: '1',
    });
    expect(result.stdout).toContain('\x1b[1m\x1b[35mTRACE\x1b[39m\x1b[0m');
  });

  it('exits 2 with one line naming a bad flag', () => {
    const result = run(['--level', 'loud']);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^logs_client: invalid --level: [^\n]*\n$/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops following on %s and exits 0 quietly',
    async (signal) => {
      const { path } = copyFixtureDb(temp, 'v0.100.0');
      const client = start(['--db', path, '--backfill', '1', '--poll-ms', '20']);
      await waitFor('the backfill', () => client.stdout().endsWith('\n'));
      client.child.kill(signal);
      expect(await client.exited).toEqual({ code: 0, signal: null });
      expect(client.stderr()).toBe('');
    },
  );

  it('prints the range and exits 0 by itself when --until is in the past, without --no-follow', () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const child = spawnSync(process.execPath, [BIN, '--db', path, '--until', '1h', '--json'], {
      encoding: 'utf8',
      env: ENV,
      timeout: 30_000, // before the fix it followed until killed here
      killSignal: 'SIGKILL', // SIGTERM would end it with 0, as a user's Ctrl-C does
    });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trimEnd().split('\n')).toHaveLength(200);
    expect(child.stderr).toBe('');
  });

  it('exits 0 quietly when the reader closes the pipe while it follows (EPIPE)', async () => {
    const { path } = copyFixtureDb(temp, 'v0.100.0');
    const client = start(['--db', path, '--backfill', '1', '--poll-ms', '20']);
    await waitFor('the backfill', () => client.stdout().endsWith('\n'));
    // The reader goes away; the next row the tail writes meets a closed pipe.
    client.child.stdout.destroy();
    insertRow(path, 'after the reader left');
    expect(await client.exited).toEqual({ code: 0, signal: null });
    expect(client.stderr()).toBe('');
  });

  it('exits 0 quietly when the reader stops early in a long backfill (`| head`)', async () => {
    const { path } = copyFixtureDb(temp, 'v0.169.0');
    const client = start(['--db', path, '--backfill', 'all', '--no-follow', '--json']);
    // Close after the first chunk, as `head -n 1` does: the rest of the ~900 KB meets a closed pipe.
    await new Promise<void>((resolve) => client.child.stdout.once('data', () => resolve()));
    client.child.stdout.destroy();
    expect(await client.exited).toEqual({ code: 0, signal: null });
    expect(client.stderr()).toBe('');
    expect(client.stdout().length).toBeLessThan(expectedLogs('v0.169.0').total * 300);
  });

  it('exits 0 in a shell pipeline into `head -n 2`', () => {
    const { path } = copyFixtureDb(temp, 'v0.169.0');
    const result = spawnSync(
      'bash',
      [
        '-c',
        'node "$0" --db "$1" --backfill all --no-follow | head -n 2; exit "${PIPESTATUS[0]}"',
        BIN,
        path,
      ],
      { encoding: 'utf8', env: ENV },
    );
    expect(result.status).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(result.stderr).toBe('');
  });
});
