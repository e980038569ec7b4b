import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { DoctorReport, ReconcileReport } from '@agent-state/rollout';
import { openStateStore } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import picocolors from 'picocolors';
import { afterEach, describe, expect, it } from 'vitest';

import {
  backfilledHome,
  codexHome,
  codexThreadList,
  runCli,
  runCliJson,
} from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import { renderReconcileReport } from './reconcile.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const codex = codexThreadList('v0.100.0');
const gone = codex.active[2]!;

async function threadCount(home: string): Promise<number> {
  const store = await openStateStore({ home });
  try {
    return await store.threads.count();
  } finally {
    await store.close();
  }
}

describe('agent-state reconcile', () => {
  it('finds nothing on a freshly backfilled home', async () => {
    const home = await backfilledHome(temp);
    const { exitCode, stderr, json } = await runCliJson<ReconcileReport>([
      '--home',
      home,
      'reconcile',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stderr).toBe('');
    expect(json).toMatchObject({ scannedRollouts: 12, scannedRows: 12, findings: [], repaired: 0 });
    const text = await runCli(['--home', home, 'reconcile']);
    expect(text.stdout).toMatch(
      /^reconcile: 12 rollouts and 12 store rows compared in .+\nno discrepancies: the store matches the rollouts\n$/,
    );
  });

  it('reports a row whose rollout is gone, exits 0, and deletes it with --repair', async () => {
    const home = await backfilledHome(temp);
    const path = join(home, gone.path);
    rmSync(path);

    const report = await runCliJson<ReconcileReport>(['--home', home, 'reconcile', '--json']);
    expect(report.exitCode).toBe(ExitCode.Ok);
    expect(report.json.counts.stale_row).toBe(1);
    expect(report.json.findings).toEqual([
      { reason: 'stale_row', threadId: gone.id, path, repaired: false },
    ]);
    expect(await threadCount(home)).toBe(12);

    const text = await runCli(['--home', home, 'reconcile']);
    expect(text.exitCode).toBe(ExitCode.Ok);
    expect(text.stdout).toContain('  stale_row  1  rows whose rollout is gone — not repaired');
    expect(text.stdout).toContain(`  stale_row  ${gone.id}  ${path}`);
    expect(text.stdout).toContain('run `agent-state reconcile --repair` to fix it');

    const repaired = await runCliJson<ReconcileReport>([
      '--home',
      home,
      'reconcile',
      '--repair',
      '--json',
    ]);
    expect(repaired.exitCode).toBe(ExitCode.Ok);
    expect(repaired.json.repaired).toBe(1);
    expect(repaired.json.findings).toEqual([
      { reason: 'stale_row', threadId: gone.id, path, repaired: true },
    ]);
    expect(await threadCount(home)).toBe(11);

    const after = await runCliJson<ReconcileReport>(['--home', home, 'reconcile', '--json']);
    expect(after.json.findings).toEqual([]);
  });

  it('warns on stderr when the backfill has not completed', async () => {
    const home = codexHome(temp);
    const { exitCode, stderr, json } = await runCliJson<ReconcileReport>([
      '--home',
      home,
      'reconcile',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json.counts.missing_row).toBe(12);
    expect(stderr).toContain('the backfill has not completed');
  });

  it('has help with examples', async () => {
    const { stdout } = await runCli(['reconcile', '--help']);
    expect(stdout).toContain('Examples:');
    expect(stdout).toContain('--repair');
  });
});

describe('agent-state doctor and the discrepancy counters', () => {
  it('shows the counters with a fix, and clears them once reconcile repaired everything', async () => {
    const home = await backfilledHome(temp);
    rmSync(join(home, gone.path));
    await runCli(['--home', home, 'reconcile']);

    const doctor = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(doctor.exitCode).toBe(ExitCode.Ok);
    expect(doctor.json.discrepancies).toEqual([
      {
        stage: 'reconcile',
        reason: 'stale_row',
        count: 1,
        lastSeenAt: expect.any(Number) as unknown,
      },
    ]);
    expect(doctor.json.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'discrepancies',
        fix: 'run `agent-state reconcile --repair`',
      }),
    ]);
    const text = await runCli(['--home', home, 'doctor']);
    expect(text.stdout).toContain('  discrepancies   1 (see below)');
    expect(text.stdout).toMatch(/\n {2}reconcile stale_row {2}1 \(last .+\)\n/);
    expect(text.stdout).toContain('fix: run `agent-state reconcile --repair`');

    await runCli(['--home', home, 'reconcile', '--repair']);
    const healed = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(healed.json.discrepancies).toEqual([]);
    expect(healed.json.problems).toEqual([]);
  });

  it('after a repair keeps only what a person must fix, and says so', async () => {
    const home = await backfilledHome(temp);
    const empty = join(
      home,
      'sessions/2026/11/21/rollout-2026-11-21T05-44-09-01a1fca2-2b6e-75b0-90fe-0d8bf5a36500.jsonl',
    );
    writeFileSync(empty, '');
    rmSync(join(home, gone.path));
    const repaired = await runCli(['--home', home, 'reconcile', '--repair']);
    // The rollout's path is said once, not again inside its error.
    expect(repaired.stdout).toContain(`${empty} (empty rollout (no lines))`);

    const doctor = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(doctor.json.discrepancies).toEqual([
      expect.objectContaining({ reason: 'unreadable_rollout', count: 1 }),
    ]);
    // The damaged rollout is not in the store either: `threads list` does not show it.
    expect(doctor.json.rollouts).toMatchObject({ notIndexed: 1 });
    expect(doctor.json.problems).toEqual([
      expect.objectContaining({
        code: 'rollouts-not-indexed',
        message: expect.stringMatching(/^1 rollout not in the store: .*unreadable/) as unknown,
      }),
      expect.objectContaining({
        code: 'discrepancies',
        fix: expect.stringMatching(/^run `agent-state reconcile` to list the rollouts/) as unknown,
      }),
    ]);
  });
});

describe('renderReconcileReport', () => {
  const colors = picocolors.createColors(false);
  const report: ReconcileReport = {
    scannedRollouts: 3,
    scannedRows: 3,
    findings: [
      {
        reason: 'field_mismatch',
        threadId: '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
        path: '/h/a.jsonl',
        fields: ['title', 'updatedAt'],
        repaired: false,
      },
      { reason: 'unreadable_rollout', path: '/h/b.jsonl', message: 'EACCES', repaired: false },
    ],
    counts: {
      missing_row: 0,
      stale_row: 0,
      field_mismatch: 1,
      unreadable_rollout: 1,
      duplicate_rollout: 0,
    },
    repaired: 0,
    durationMs: 12,
  };

  it('names the fields and the reasons, and says what --repair can fix', () => {
    const lines = renderReconcileReport(report, { repair: false, colors });
    expect(lines).toContain(
      '  field_mismatch      1  rows that differ from their rollout — not repaired',
    );
    expect(lines).toContain(
      '  unreadable_rollout  1  rollouts that cannot be read — left for you to resolve',
    );
    expect(lines).toContain(
      '  field_mismatch      01a1fca2-1d67-7971-8727-3cd36fd8d76f  /h/a.jsonl (fields: title, updatedAt)',
    );
    expect(lines).toContain('  unreadable_rollout  -  /h/b.jsonl (EACCES)');
    expect(lines.at(-1)).toBe('run `agent-state reconcile --repair` to fix 1 of them');
  });
});
