import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { codexLogsFixtureDir, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { runCli } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A home holding a copy of Codex 0.169's logs_2.sqlite (815 rows, 31 WARN, 9 ERROR). */
function homeWithCodexLogs(): string {
  const home = temp.make('home');
  copyFileSync(join(codexLogsFixtureDir('v0.169.0'), 'logs_2.sqlite'), join(home, 'logs_2.sqlite'));
  return home;
}

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

describe('agent-state logs', () => {
  it('reads the log database of --home, with the options of logs_client', async () => {
    const home = homeWithCodexLogs();
    const result = await runCli([
      '--home',
      home,
      'logs',
      '--level',
      'warn+',
      '--backfill',
      'all',
      '--no-follow',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(ExitCode.Ok);
    const rows = lines(result.stdout).map((line) => JSON.parse(line) as { level: string });
    expect(rows).toHaveLength(31 + 9);
    expect(new Set(rows.map((row) => row.level))).toEqual(new Set(['WARN', 'ERROR']));
  });

  it('takes --codex-home over --home, and the home from the environment', async () => {
    const home = homeWithCodexLogs();
    const args = ['logs', '--no-follow', '--backfill', '2', '--compact'];
    const withFlag = await runCli(['--home', temp.make('empty'), ...args, '--codex-home', home]);
    expect(withFlag.exitCode).toBe(ExitCode.Ok);
    expect(lines(withFlag.stdout)).toHaveLength(2);
    const fromEnv = await runCli(args, captureIo({ env: { CODEX_HOME: home } }));
    expect(fromEnv.stdout).toBe(withFlag.stdout);
  });

  it('exits 2 with one line naming a bad flag', async () => {
    const result = await runCli(['logs', '--since', 'last tuesday']);
    expect(result).toEqual({
      exitCode: ExitCode.Usage,
      stdout: '',
      stderr:
        'agent-state: invalid --since: expected a relative time (30s, 10m, 2h, 1d), now, RFC 3339 (2026-11-21T06:12:04Z) or unix seconds, got "last tuesday"\n',
    });
  });

  it('exits 3 when the home has no log database', async () => {
    const home = temp.make('empty');
    const result = await runCli(['--home', home, 'logs', '--no-follow']);
    expect(result.exitCode).toBe(ExitCode.NotFound);
    expect(result.stderr).toMatch(new RegExp(`^agent-state: no log database in ${home}: `));
  });
});
