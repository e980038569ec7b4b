import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { openStateStore } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import picocolors from 'picocolors';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../capture-io.js';
import { codexHome, runCli, runCliJson } from '../cli-harness.js';
import { ExitCode } from '../exit-codes.js';
import {
  type BackfillReport,
  parseWorkers,
  progressText,
  renderBackfillReport,
} from './backfill.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const plain = picocolors.createColors(false);

/** Takes the backfill lease of `home` as another process would, for `leaseSeconds`. */
async function holdLease(home: string, leaseSeconds: number): Promise<void> {
  const store = await openStateStore({ home });
  try {
    const claim = await store.backfill.tryClaim({ leaseSeconds });
    if (claim.outcome !== 'claimed') throw new Error(`unexpected claim ${claim.outcome}`);
  } finally {
    await store.close();
  }
}

describe('agent-state backfill --json', () => {
  it.each([
    ['v0.100.0', 12],
    ['v0.169.0', 14],
  ] as const)(
    'indexes every rollout of a Codex %s home, then has nothing to do',
    async (version, count) => {
      const home = codexHome(temp, version);
      const first = await runCliJson<BackfillReport>(['--home', home, 'backfill', '--json']);
      expect(first.exitCode).toBe(ExitCode.Ok);
      expect(first.stderr).toBe('');
      expect(first.json).toMatchObject({
        status: 'complete',
        scanned: count,
        upserted: count,
        failed: 0,
        linesSkipped: 0,
        failures: [],
      });
      expect(first.json.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(first.json.durationMs)).toBe(true);

      const second = await runCliJson<BackfillReport>(['--home', home, 'backfill', '--json']);
      expect(second.exitCode).toBe(ExitCode.Ok);
      expect(second.json).toMatchObject({ status: 'already-complete', scanned: 0, upserted: 0 });

      const store = await openStateStore({ home });
      try {
        expect(await store.threads.count()).toBe(count);
      } finally {
        await store.close();
      }
    },
  );

  it('skips a rollout it cannot index, lists it, completes and exits 0 with a warning', async () => {
    const home = codexHome(temp);
    const empty = join(
      home,
      'sessions/2026/11/21/rollout-2026-11-21T05-44-09-01a1fca2-2b6e-75b0-90fe-0d8bf5a365d5.jsonl',
    );
    writeFileSync(empty, '');
    const { exitCode, json, stderr } = await runCliJson<BackfillReport>([
      '--home',
      home,
      'backfill',
      '--json',
      '--workers',
      '0',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json).toMatchObject({ status: 'complete', scanned: 13, upserted: 12, failed: 1 });
    expect(json.failures).toEqual([expect.objectContaining({ path: empty })]);
    expect(stderr).toBe(
      'agent-state: warning: 1 rollout could not be indexed (see `failures`); the backfill completed without it. Fix it, then run `agent-state reconcile --repair`.\n',
    );
  });

  it('exits 2 on a bad --workers', async () => {
    const home = codexHome(temp);
    const { exitCode, stdout, stderr } = await runCli([
      '--home',
      home,
      'backfill',
      '--workers',
      'x',
    ]);
    expect(exitCode).toBe(ExitCode.Usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^agent-state: option '--workers <n>' argument 'x' is invalid\..*\n$/);
  });

  it('exits 3 on a home that does not exist, and does not create it', async () => {
    const home = join(temp.make('parent'), 'missing');
    const { exitCode, stderr } = await runCli(['--home', home, 'backfill']);
    expect(exitCode).toBe(ExitCode.NotFound);
    expect(stderr).toBe(`agent-state: home ${home} not found\n`);
  });
});

describe('agent-state backfill while another process holds the lease', () => {
  it('exits 4 at once with --no-wait', async () => {
    const home = codexHome(temp);
    await holdLease(home, 600);
    const { exitCode, stdout, stderr } = await runCli([
      '--home',
      home,
      'backfill',
      '--no-wait',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.LeaseHeld);
    expect(stdout).toBe('');
    expect(stderr).toBe('agent-state: the backfill is held by another process\n');
  });

  it('waits by default, takes over once the other lease expires, and completes', async () => {
    const home = codexHome(temp);
    // A process that took the lease for one second and died: no heartbeat renews it.
    await holdLease(home, 1);
    const { exitCode, json, stderr } = await runCliJson<BackfillReport>([
      '--home',
      home,
      'backfill',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json).toMatchObject({ status: 'complete', scanned: 12, upserted: 12, failed: 0 });
    expect(stderr).toBe(
      [
        'agent-state: another process is running the backfill; waiting for it (--no-wait exits instead)',
        'agent-state: the other process stopped without finishing; taking the backfill over',
        '',
      ].join('\n'),
    );
  });

  it('reports completion by the other process when its backfill finishes while waiting', async () => {
    const home = codexHome(temp);
    const other = await openStateStore({ home });
    try {
      const claim = await other.backfill.tryClaim({ leaseSeconds: 600 });
      if (claim.outcome !== 'claimed') throw new Error('not claimed');
      const io = captureIo();
      const running = runCli(['--home', home, 'backfill'], io);
      while (!io.stderr.text().includes('waiting for it')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.backfill.markComplete(claim.lease);
      const { exitCode, stdout } = await running;
      expect(exitCode).toBe(ExitCode.Ok);
      expect(stdout).toMatch(/^backfill complete: another process finished it \(waited .+\)\n$/);
    } finally {
      await other.close();
    }
  });
});

describe('agent-state backfill (text)', () => {
  it('prints a one-line summary and nothing on stderr off a terminal', async () => {
    const home = codexHome(temp);
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'backfill']);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^backfill complete: 12 of 12 rollouts indexed in .+\n$/);
    const again = await runCli(['--home', home, 'backfill']);
    expect(again.stdout).toBe('backfill already complete: nothing to do\n');
  });

  it('draws a progress bar on a terminal and clears it at the end', async () => {
    const home = codexHome(temp);
    const io = captureIo({ tty: true, env: { NO_COLOR: '1' } });
    const { exitCode, stdout, stderr } = await runCli(['--home', home, 'backfill'], io);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toContain('\r[....................] 0/12 rollouts\u001b[K');
    expect(stderr.endsWith('\r\u001b[K')).toBe(true);
    expect(stdout).toMatch(/^backfill complete: /);
  });
});

describe('backfill rendering', () => {
  const report: BackfillReport = {
    status: 'complete',
    scanned: 30,
    upserted: 5,
    failed: 25,
    linesSkipped: 2,
    durationMs: 1500,
    failures: Array.from({ length: 25 }, (_, index) => ({
      path: `/h/sessions/r${index}.jsonl`,
      message: `/h/sessions/r${index}.jsonl: empty rollout (no lines)`,
    })),
  };

  it('lists at most 20 failures with their paths, then counts the rest', () => {
    const lines = renderBackfillReport(report, plain);
    expect(lines[0]).toBe(
      'backfill complete: 5 of 30 rollouts indexed in 1.5 s, 2 damaged lines skipped',
    );
    expect(lines).toContain('25 rollouts could not be indexed:');
    expect(lines).toContain('  /h/sessions/r0.jsonl: empty rollout (no lines)');
    expect(lines).toContain('  /h/sessions/r19.jsonl: empty rollout (no lines)');
    expect(lines).not.toContain('  /h/sessions/r20.jsonl: empty rollout (no lines)');
    expect(lines.at(-1)).toBe('  …and 5 more (see --json)');
  });

  it('formats the progress line with the rate once it is known', () => {
    const progress = { total: 10, done: 5, upserted: 4, failed: 1, lastWatermark: null };
    expect(progressText(progress, 100)).toBe('[##########..........] 5/10 rollouts  1 failed');
    expect(progressText(progress, 2000)).toBe(
      '[##########..........] 5/10 rollouts  3/s  1 failed',
    );
  });

  it('accepts --workers from 0 to 64 only', () => {
    expect(parseWorkers('0')).toBe(0);
    expect(parseWorkers('64')).toBe(64);
    for (const bad of ['65', '-1', '1.5', '', 'two']) expect(() => parseWorkers(bad)).toThrow();
  });
});
