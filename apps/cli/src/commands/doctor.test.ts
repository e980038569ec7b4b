import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  STATE_DB_GENERATION,
  buildThreadMetadata,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { type CapturedIo, captureIo } from '../capture-io.js';
import { ExitCode } from '../exit-codes.js';
import { main } from '../program.js';
import type { DoctorReport } from './doctor.js';

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
    await store.threads.upsertMany([
      thread('01a1fca2-1d67-7971-8727-3cd36fd8d76f'),
      thread('01a1fca2-1d67-7971-8727-3cd36fd8d770', 1795239900),
    ]);
    const claim = await store.backfill.tryClaim({ leaseSeconds: 60 });
    if (claim.outcome !== 'claimed') throw new Error(`unexpected claim ${claim.outcome}`);
    await store.backfill.markComplete(claim.lease);
  } finally {
    await store.close();
  }
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
      logs: { sizeBytes: null },
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

  it('warns, without failing, while another process holds the backfill lease', async () => {
    const home = temp.make('home');
    const store = await openStateStore({ home });
    await store.backfill.tryClaim({ leaseSeconds: 600 });
    await store.close();
    const { exitCode, report } = await doctorJson(home);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(report.backfill?.status).toBe('running');
    expect(report.problems.map((problem) => problem.code)).toEqual(['backfill-running']);
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
