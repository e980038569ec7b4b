import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { GcReport, ThreadListPage } from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { backfilledHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ECHO_ROLLOUT = join(
  'sessions',
  '2026',
  '11',
  '21',
  'rollout-2026-11-21T05-44-17-01a1fca2-4d0c-7883-b67e-ad58b7675481.jsonl',
);

describe('agent-state gc', () => {
  it('says what it would do with --dry-run, then compresses the cold rollouts; the threads stay listed', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const ids = async () =>
      (
        await runCliJson<ThreadListPage>([
          '--home',
          home,
          'threads',
          'list',
          '--json',
          '--limit',
          '100',
        ])
      ).json.items.map((thread) => thread.id);
    const listed = await ids();

    const dry = await runCliJson<GcReport>(['--home', home, 'gc', '--dry-run', '--json']);
    expect(dry.exitCode).toBe(ExitCode.Ok);
    // The fixture's rollouts were written on 2026-11-21: more than a week ago.
    expect(dry.json.compressed.length).toBeGreaterThanOrEqual(listed.length);
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(true);

    const done = await runCli(['--home', home, 'gc']);
    expect(done.exitCode).toBe(ExitCode.Ok);
    expect(done.stdout).toMatch(/compressed\s+\d+ rollouts compressed, [\d.]+ \w*B -> [\d.]+ \w*B/);
    expect(done.stdout).toMatch(/total\s+[\d.]+ \w*B -> [\d.]+ \w*B/);
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(false);
    expect(existsSync(join(home, `${ECHO_ROLLOUT}.zst`))).toBe(true);
    expect(await ids()).toEqual(listed);

    const again = await runCliJson<GcReport>(['--home', home, 'gc', '--json']);
    expect(again.json.compressed).toEqual([]);
    expect(again.json.bytes.after).toBe(again.json.bytes.before);
  });

  it('leaves rollouts younger than --compress-after, and refuses a bad age', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const young = await runCliJson<GcReport>([
      '--home',
      home,
      'gc',
      '--compress-after',
      '5200w',
      '--json',
    ]);
    expect(young.json.compressed).toEqual([]);
    const bad = await runCli(['--home', home, 'gc', '--compress-after', '7 days']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('--compress-after');
  });
});
