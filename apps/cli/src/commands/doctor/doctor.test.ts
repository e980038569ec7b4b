import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { memoriesRoot } from '@agent-state/memories';
import type { DoctorReport } from '@agent-state/rollout';
import {
  SEARCH_INDEX_NAME,
  USAGE_INDEX_NAME,
  STATE_DB_GENERATION,
  buildThreadMetadata,
  createLogSink,
  logsDbPath,
  openLogsStore,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { type CapturedIo, captureIo } from '../../capture-io.js';
import { ExitCode } from '../../exit-codes.js';
import { main } from '../../program.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

async function doctor(home: string, args: string[] = [], io: CapturedIo = captureIo()) {
  const exitCode = await main(['node', 'agent-state', '--home', home, 'doctor', ...args], io);
  return { exitCode, stdout: io.stdout.text(), stderr: io.stderr.text() };
}

async function doctorJson(home: string) {
  const result = await doctor(home, ['--json']);
  return { ...result, report: JSON.parse(result.stdout) as DoctorReport };
}

/** A home whose store holds two threads (one archived) and a completed backfill. */
async function seededHome(): Promise<string> {
  const home = temp.make('home');
  const store = await openStateStore({ home });
  try {
    const thread = (id: string, archivedAt?: number) =>
      buildThreadMetadata(
        {
          id,
          rolloutPath: join(home, 'sessions', `${id}.jsonl`),
          createdAt: 1795239845,
          source: 'cli',
          archivedAt,
        },
        { defaultProvider: 'openai' },
      );
    // Through the indexer's write path, as a backfill writes them (with their search documents
    // and usage records).
    await store.index.write(
      [
        thread('01a1fca2-1d67-7971-8727-3cd36fd8d76f'),
        thread('01a1fca2-1d67-7971-8727-3cd36fd8d770', 1795239900),
      ].map((metadata) => ({
        metadata,
        derived: { [SEARCH_INDEX_NAME]: [], [USAGE_INDEX_NAME]: [] },
      })),
    );
    const claim = await store.backfill.tryClaim({ leaseSeconds: 60 });
    if (claim.outcome !== 'claimed') throw new Error(`unexpected claim ${claim.outcome}`);
    await store.backfill.markComplete(claim.lease);
  } finally {
    await store.close();
  }
  return home;
}

const THREAD_A = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const THREAD_B = '01a1fca2-1d67-7971-8727-3cd36fd8d770';

/**
 * Adds to a seeded home what goes wrong with memories and logs: one stage-1 job failed and in
 * backoff, one out of retries, a failed consolidation, and 2 log entries dropped by a real sink
 * whose queue overflowed.
 */
async function troubledHome(): Promise<string> {
  const home = await seededHome();
  const store = await openStateStore({ home });
  try {
    const claimToken = async (threadId: string): Promise<string> => {
      const claim = await store.stage1Jobs.tryClaim({
        threadId,
        workerId: 'test',
        sourceUpdatedAt: 1795239845,
        leaseSeconds: 60,
      });
      if (claim.outcome !== 'claimed') throw new Error(`unexpected claim ${claim.outcome}`);
      return claim.ownershipToken;
    };
    const fail = async (threadId: string, retryDelaySeconds: number) =>
      store.stage1Jobs.markFailed({
        threadId,
        ownershipToken: await claimToken(threadId),
        reason: 'model not found',
        retryDelaySeconds,
      });
    await fail(THREAD_A, 3600);
    for (let attempt = 0; attempt < 3; attempt += 1) await fail(THREAD_B, 0);
    await store.phase2Lock.enqueue(1795239845);
    const phase2 = await store.phase2Lock.tryClaim({ workerId: 'test', leaseSeconds: 60 });
    if (phase2.outcome !== 'claimed') throw new Error(`unexpected claim ${phase2.outcome}`);
    await store.phase2Lock.markFailed({
      ownershipToken: phase2.ownershipToken,
      reason: 'consolidation agent failed: 404 model not found',
      retryDelaySeconds: 3600,
    });
  } finally {
    await store.close();
  }
  const logs = await openLogsStore({ home });
  const sink = createLogSink({ store: logs, queueCapacity: 1, flushIntervalMs: 60_000 });
  for (let i = 0; i < 3; i += 1) sink.logger.info(`burst ${i}`);
  await sink.close();
  logs.close();
  return home;
}

describe('agent-state doctor --json', () => {
  it('reports a fresh home as one JSON document: sound store, backfill to run', async () => {
    const home = temp.make('home');
    const { exitCode, stderr, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(report).toMatchObject({
      ok: true,
      home,
      store: {
        path: stateDbPath(home),
        generation: STATE_DB_GENERATION,
        opened: true,
        integrity: { ok: true, problems: [] },
      },
      backfill: { status: 'pending', lastWatermark: null, leaseUntil: null },
      threads: { total: 0, archived: 0 },
      discrepancies: [],
      memories: {
        stage1: { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 },
        phase2: { status: null, lastError: null },
        outputs: 0,
      },
      logs: {
        path: logsDbPath(home),
        sizeBytes: null,
        walBytes: null,
        rows: null,
        droppedEntries: 0,
        lastDropAt: null,
      },
    });
    expect(report.store.schemaVersion).toBeGreaterThan(0);
    expect(report.store.sizeBytes).toBeGreaterThan(0);
    expect(report.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'backfill-incomplete',
        fix: 'run `agent-state backfill`',
      }),
    ]);
  });

  it('counts threads and finds no problem once the backfill completed', async () => {
    const home = await seededHome();
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.threads).toEqual({ total: 2, archived: 1 });
    expect(report.backfill?.status).toBe('complete');
    expect(report.problems).toEqual([]);
  });

  it('says where the bytes are, the memories folder included', async () => {
    const home = await seededHome();
    const memories = memoriesRoot(home);
    mkdirSync(memories);
    writeFileSync(join(memories, 'MEMORY.md'), '# Memories\n');
    const { report } = await doctorJson(home);
    expect(report.sizes.memories).toEqual({ files: 1, bytes: 11 });
    expect(report.sizes.databases.state).toBeGreaterThan(0);
    const text = (await doctor(home)).stdout;
    expect(text).toMatch(/^disk use \([\d.]+ \w*B\)$/m);
    expect(text).toContain('  memories        11 B in 1 file');
  });

  it('reports failed memories jobs, a failed consolidation and dropped log entries', async () => {
    const home = await troubledHome();
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.ok).toBe(true);
    expect(report.memories).toEqual({
      stage1: { running: 0, pending: 0, done: 0, error: 1, exhausted: 1 },
      phase2: expect.objectContaining({
        status: 'error',
        lastError: 'consolidation agent failed: 404 model not found',
      }) as unknown,
      outputs: 0,
      disabledThreads: 0,
    });
    expect(report.logs).toMatchObject({ path: logsDbPath(home), rows: 1, droppedEntries: 2 });
    expect(report.logs.sizeBytes).toBeGreaterThan(0);
    expect(report.logs.lastDropAt).toEqual(expect.any(Number));
    expect(report.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'memories-jobs-failed',
        message:
          '2 memories extraction jobs failed (1 failed and waiting to retry, 1 out of retries)',
        fix: expect.stringMatching(
          /^run `agent-state memories status`.*then `agent-state memories run` after fixing the model config/,
        ) as unknown,
      }),
      expect.objectContaining({
        severity: 'warning',
        code: 'memories-consolidation-failed',
        message: expect.stringContaining('404 model not found') as unknown,
      }),
      expect.objectContaining({
        severity: 'warning',
        code: 'logs-dropped',
        message: expect.stringMatching(
          /^2 log entries could not be stored and were dropped/,
        ) as unknown,
        fix: expect.stringContaining('disk space') as unknown,
      }),
    ]);
  });

  it('warns, without failing, about a logs database it cannot read', async () => {
    const home = await seededHome();
    writeFileSync(logsDbPath(home), Buffer.alloc(4096, 'not a database '));
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.logs).toMatchObject({ sizeBytes: 4096, rows: null, droppedEntries: 0 });
    expect(report.problems).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'logs-unreadable' }),
    ]);
    expect(report.problems[0]?.message).toContain(logsDbPath(home));
  });

  it('warns, without failing, while another process holds the backfill lease', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home });
    await store.backfill.tryClaim({ leaseSeconds: 600 });
    await store.close();
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.backfill).toMatchObject({
      status: 'running',
      holder: { host: hostname(), pid: process.pid },
      holderDead: false,
    });
    expect(report.problems.map((problem) => problem.code)).toEqual(['backfill-running']);
    expect(report.problems[0]?.message).toContain(`running in pid ${process.pid} on host `);
  });

  it('reports a backfill whose process died as interrupted at once, naming it', async () => {
    const home = temp.make('home');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const holder = { host: hostname(), pid: dead, startedAt: null };
    // The lease was taken by that (now exited) process; it still runs for 10 minutes.
    const store = await openStateStore({
      home,
      holderProbe: { current: () => holder, isDeadOnThisHost: () => false },
    });
    await store.backfill.tryClaim({ leaseSeconds: 600 });
    await store.close();
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.backfill).toMatchObject({ status: 'running', holder, holderDead: true });
    expect(report.problems).toEqual([
      expect.objectContaining({
        code: 'backfill-interrupted',
        message: `a backfill was interrupted before it completed (its process, pid ${dead} on host ${hostname()}, died)`,
      }),
    ]);
  });

  it('refuses a home that does not exist (exit 3) and creates nothing', async () => {
    const missing = join(temp.make('parent'), 'missing');
    const run = await doctor(missing, ['--json']);
    expect(run.exitCode).toBe(ExitCode.NotFound);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^agent-state: .*home .*missing.* not found/);
    expect(existsSync(missing)).toBe(false);
  });

  it('reports a corrupt store, naming the file, and exits 1', async () => {
    const home = temp.make('home');
    const path = stateDbPath(home);
    writeFileSync(path, Buffer.alloc(4096, 'not a database '));
    const { exitCode, stdout, stderr, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Failure);
    expect(stderr).toBe('');
    expect(stdout.trim().startsWith('{')).toBe(true);
    expect(report).toMatchObject({
      ok: false,
      store: { path, opened: false, schemaVersion: null, sizeBytes: 4096 },
      backfill: null,
      threads: null,
      discrepancies: null,
    });
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem).toMatchObject({ severity: 'error', code: 'store-corrupt' });
    expect(problem?.message).toContain(path);
    expect(problem?.fix).toContain('agent-state backfill');
  });
});

describe('agent-state doctor', () => {
  it('prints an aligned text report with the problems and their fixes', async () => {
    const home = temp.make('home');
    const { exitCode, stdout, stderr } = await doctor(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('agent-state doctor');
    expect(lines).toContain(`  home            ${home}`);
    expect(lines).toContain(`  store           ${stateDbPath(home)}`);
    expect(lines).toContain(`  generation      ${STATE_DB_GENERATION}`);
    expect(lines).toContain('  integrity       ok');
    expect(lines).toContain('  backfill        pending (not started)');
    expect(lines).toContain('  threads         0 (0 archived)');
    expect(lines).toContain('  discrepancies   none');
    expect(lines).toContain('  memories        no stage-1 jobs, 0 outputs');
    expect(lines).toContain('  consolidation   never run');
    expect(lines).toContain(`  logs database   ${logsDbPath(home)} (not created yet)`);
    expect(lines).toContain('  dropped logs    none');
    expect(stdout).toContain('1 warning:');
    expect(stdout).toContain('fix: run `agent-state backfill`');
    expect(stdout).not.toContain('\u001b[');
  });

  it('says so when there is no problem', async () => {
    const home = await seededHome();
    const { exitCode, stdout } = await doctor(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toContain('  threads         2 (1 archived)');
    expect(stdout).toContain('no problems found');
  });

  it('shows memories jobs, the consolidation lock and dropped log entries, with fixes', async () => {
    const home = await troubledHome();
    const { exitCode, stdout } = await doctor(home);
    expect(exitCode).toBe(ExitCode.Ok);
    const lines = stdout.split('\n');
    expect(lines).toContain(
      '  memories        2 stage-1 jobs (0 done, 0 running, 0 pending, 1 error, 1 exhausted), 0 outputs',
    );
    expect(lines.find((line) => line.startsWith('  consolidation   '))).toMatch(
      /^ {2}consolidation {3}error \(retry after .+Z\), new inputs waiting: consolidation agent failed: 404 model not found$/,
    );
    const logsLine = lines.find((line) => line.startsWith('  logs database   '));
    expect(logsLine?.startsWith(`  logs database   ${logsDbPath(home)} (`)).toBe(true);
    expect(logsLine?.endsWith(', 1 row)')).toBe(true);
    expect(lines.find((line) => line.startsWith('  dropped logs    '))).toMatch(
      /^ {2}dropped logs {4}2 \(last .+Z\)$/,
    );
    expect(stdout).toContain('3 warnings:');
    expect(stdout).toContain(
      'fix: run `agent-state memories status` to see the jobs, then `agent-state memories run` after fixing the model config',
    );
    expect(stdout).toContain('fix: check the free disk space');
  });

  it('still prints a report for a corrupt store, names the file, and exits 1', async () => {
    const home = temp.make('home');
    const path = stateDbPath(home);
    writeFileSync(path, Buffer.alloc(4096, 'not a database '));
    const { exitCode, stdout, stderr } = await doctor(home);
    expect(exitCode).toBe(ExitCode.Failure);
    expect(stderr).toBe('');
    expect(stdout).toContain(`  store           ${path}`);
    expect(stdout).toContain('1 error:');
    expect(stdout).toContain(`database ${path} is corrupt`);
    expect(stdout).toContain('fix: move the file aside');
  });

  it('uses colors on a terminal only, and never with NO_COLOR', async () => {
    const home = temp.make('home');
    const colored = await doctor(home, [], captureIo({ tty: true }));
    expect(colored.stdout).toContain('\u001b[');
    const noColor = await doctor(home, [], captureIo({ tty: true, env: { NO_COLOR: '1' } }));
    expect(noColor.stdout).not.toContain('\u001b[');
    const json = await doctor(home, ['--json'], captureIo({ tty: true }));
    expect(json.stdout).not.toContain('\u001b[');
  });
});
