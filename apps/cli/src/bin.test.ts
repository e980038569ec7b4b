import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { DoctorReport, GcReport } from '@agent-state/rollout';
import { stateDbPath } from '@agent-state/state';
import { codexLogsFixtureDir, copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

// Built by the `build` task, which turbo runs before `test`.
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('the agent-state executable', () => {
  it('runs `doctor --json` in a child process', () => {
    expect(existsSync(BIN), `${BIN} is missing: run \`pnpm --filter @agent-state/cli build\``).toBe(
      true,
    );
    const home = temp.make('home');
    const child = spawnSync(process.execPath, [BIN, '--home', home, 'doctor', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as DoctorReport;
    expect(report.home).toBe(home);
    expect(report.store.path).toBe(stateDbPath(home));
    expect(report.store.integrity).toEqual({ ok: true, problems: [] });
  });

  it('compresses cold rollouts with `gc` (the bundle finds its zstd encoder)', () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const child = spawnSync(process.execPath, [BIN, '--home', home, 'gc', '--json'], {
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const report = JSON.parse(child.stdout) as GcReport;
    expect(report.skipped).toEqual([]);
    expect(report.compressed.length).toBeGreaterThan(0);
  });

  it('runs `logs` and exits 0 quietly when its reader stops early (`| head -n 1`)', () => {
    const home = temp.make('home');
    copyFileSync(
      join(codexLogsFixtureDir('v0.169.0'), 'logs_2.sqlite'),
      join(home, 'logs_2.sqlite'),
    );
    const child = spawnSync(
      'bash',
      [
        '-c',
        'node "$0" --home "$1" logs --backfill all --no-follow | head -n 1; exit "${PIPESTATUS[0]}"',
        BIN,
        home,
      ],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(/^2026-11-21T06:11:21\.\d{3}Z \w+ +\[-\] \S+ - .*\n$/);
  });
});
