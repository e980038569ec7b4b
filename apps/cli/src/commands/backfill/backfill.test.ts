import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Clock, ManualClock, openStateStore } from '@agent-state/state';
import { forkScript, tempDirs } from '@agent-state/test-utils';
import picocolors from 'picocolors';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { codexHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import {
  type BackfillReport,
  progressText,
  renderBackfillReport,
  runBackfillCommand,
  waitText,
} from './backfill.js';
import type { BackfillHolderArgs } from './backfill-holder.worker.js';
import { parseWorkers } from './index.js';

const HOLDER = fileURLToPath(new URL('./backfill-holder.worker.ts', import.meta.url));
const temp = tempDirs();
const holders: Array<ReturnType<typeof forkScript>> = [];
afterEach(() => {
  for (const holder of holders.splice(0)) {
    if (holder.process.exitCode === null && holder.process.signalCode === null) {
      holder.process.kill('SIGKILL');
    }
  }
  temp.cleanup();
});

/**
 * Starts a real process that takes the backfill lease of `home` for 10 minutes, records that it
 * indexed 3,200 of 10,000 rollouts, and holds the lease (alive, never renewing it) until killed.
 */
async function startHolder(home: string): Promise<ReturnType<typeof forkScript>> {
  const args: BackfillHolderArgs = { home, progress: { done: 3_200, total: 10_000 } };
  const holder = forkScript(HOLDER, args);
  holders.push(holder);
  const outcome = await new Promise<string>((resolve, reject) => {
    holder.process.once('message', (message: { outcome: string }) => resolve(message.outcome));
    void holder.exited.then(() => reject(new Error(`holder exited: ${holder.stderr()}`)));
  });
  expect(outcome).toBe('claimed');
  return holder;
}

const plain = picocolors.createColors(false);

/** Takes the backfill lease of `home` as another process would, for `leaseSeconds` of `clock`. */
async function holdLease(home: string, leaseSeconds: number, clock: Clock): Promise<void> {
  const store = await openStateStore({ home, clock });
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
        holder: null,
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
  it('exits 4 at once with --no-wait, naming the holder (a real process)', async () => {
    const home = codexHome(temp);
    const holder = await startHolder(home);
    const pid = holder.process.pid;
    const json = await runCli(['--home', home, 'backfill', '--no-wait', '--json']);
    expect(json.exitCode).toBe(ExitCode.LeaseHeld);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'held',
      scanned: 0,
      holder: { host: hostname(), pid },
    });
    expect(json.stderr).toBe(
      `agent-state: the backfill is held by another process (pid ${pid} on host ${hostname()})\n`,
    );
    const text = await runCli(['--home', home, 'backfill', '--no-wait']);
    expect(text).toEqual({ exitCode: ExitCode.LeaseHeld, stdout: '', stderr: json.stderr });
  });

  it('says who runs it and how far it got while waiting; takes over at once when that process is killed', async () => {
    const home = codexHome(temp);
    const holder = await startHolder(home);
    const pid = holder.process.pid;
    const io = captureIo();
    const running = runCliJson<BackfillReport>(['--home', home, 'backfill', '--json'], io);
    const waiting = new RegExp(
      `^agent-state: backfill running in pid ${pid} on host ${hostname().replace(/[.]/g, '\\.')} \\(since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ, 3,200 of 10,000 rollouts\\); waiting… \\(--no-wait exits instead\\)\\n`,
    );
    while (!waiting.test(io.stderr.text())) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The holder's lease runs for 10 more minutes; its death alone ends the wait.
    holder.process.kill('SIGKILL');
    await holder.exited;
    const { exitCode, json, stderr } = await running;
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json).toMatchObject({
      status: 'complete',
      scanned: 12,
      upserted: 12,
      holder: { host: hostname(), pid },
    });
    expect(stderr.split('\n').slice(1)).toEqual([
      `agent-state: the backfill in pid ${pid} on host ${hostname()} died; taking it over`,
      '',
    ]);
  });

  it('polls with the injected sleeper, never sleeping through the lease', async () => {
    const home = codexHome(temp);
    const holder = await startHolder(home);
    const io = captureIo();
    const pauses: number[] = [];
    const exitCode = await runBackfillCommand({
      home,
      json: true,
      wait: true,
      workers: 0,
      io,
      pollMs: 250,
      sleep: async (ms) => {
        pauses.push(ms);
        // The second poll finds the holder gone.
        if (pauses.length === 1) {
          holder.process.kill('SIGKILL');
          await holder.exited;
        }
      },
    });
    expect(exitCode).toBe(ExitCode.Ok);
    expect(pauses).toEqual([250]);
    expect(JSON.parse(io.stdout.text())).toMatchObject({ status: 'complete', scanned: 12 });
  });

  it('waits, takes over once the other lease expires, and completes', async () => {
    const home = codexHome(temp);
    // A process took the lease for a minute and died: no heartbeat renews it. The command's clock
    // starts where the other one's did and moves a minute on while it waits.
    const clock = new ManualClock(Date.now());
    await holdLease(home, 60, clock);
    const io = captureIo();
    const pauses: number[] = [];
    const exitCode = await runBackfillCommand({
      home,
      json: true,
      wait: true,
      workers: 0,
      io,
      clock,
      sleep: async (ms) => {
        pauses.push(ms);
        clock.advance(61_000);
      },
    });
    expect(exitCode).toBe(ExitCode.Ok);
    expect(pauses).toEqual([500]);
    expect(JSON.parse(io.stdout.text())).toMatchObject({
      status: 'complete',
      scanned: 12,
      upserted: 12,
      failed: 0,
    });
    // The lease is this process's own (alive): only its deadline ends the wait.
    expect(io.stderr.text()).toMatch(
      new RegExp(
        `^agent-state: backfill running in pid ${process.pid} on host .+ \\(since .+Z, starting\\); waiting… \\(--no-wait exits instead\\)\\nagent-state: the other process stopped without finishing; taking the backfill over\\n$`,
      ),
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
      while (!io.stderr.text().includes('; waiting…')) {
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
    holder: null,
    caughtUpFrom: null,
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

  it('says who holds the lease and how far it got', () => {
    const state = {
      status: 'running' as const,
      lastWatermark: 'sessions/2026/11/21/rollout-a.jsonl',
      lastSuccessAt: null,
      updatedAt: 1_795_239_900,
      leaseUntil: 1_795_240_000,
      holder: { host: 'laptop', pid: 1234, startedAt: 'linux:b:1' },
      holderDead: false,
      claimedAt: 1_795_239_845,
      progress: { done: 3_200, total: 10_000 },
      generation: 2,
    };
    expect(waitText(state)).toBe(
      'backfill running in pid 1234 on host laptop (since 2026-11-21T05:44:05Z, 3,200 of 10,000 rollouts)',
    );
    expect(waitText({ ...state, progress: null })).toBe(
      'backfill running in pid 1234 on host laptop (since 2026-11-21T05:44:05Z, at sessions/2026/11/21/rollout-a.jsonl)',
    );
    expect(
      waitText({ ...state, holder: null, claimedAt: null, progress: null, lastWatermark: null }),
    ).toBe('backfill running in another process (starting)');
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
