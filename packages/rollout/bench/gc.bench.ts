// Benchmark of `agent-state gc` (`pnpm bench`, after usage.bench.ts), from the issue "A live index
// and the thread lifecycle": gc of the 10,000-rollout corpus (rollout.bench.ts's, ~1.4 GB, every
// rollout idle for weeks), its bytes before and after and its time, as a whole process. The issue
// sets no target; the anchor, in the same run over a copy of the same rollouts, is the `zstd`
// command (`zstd -3 -q --rm`, the level Codex uses), which compresses without verifying, without
// keeping mtimes beyond its own and without telling any index.
//
// GC_BENCH_ROLLOUTS=300 shrinks the corpus while developing.
import { spawnSync } from 'node:child_process';
import { cpSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import type { GcReport } from '@agent-state/rollout';
import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  fixed,
  generateCorpus,
  reportBench,
  runCli,
  tempDirs,
} from '@agent-state/test-utils';

import { cleanupOnSignal, flushWrites } from './bench-support.js';

const ROLLOUTS = Number(process.env.GC_BENCH_ROLLOUTS ?? 10_000);
const MB = 1_000_000;
/** Files per `zstd` command of the anchor. */
const ZSTD_BATCH = 500;
const log = benchLogger('gc bench');

const temp = tempDirs();
const removeSignalHandlers = cleanupOnSignal(() => temp.cleanup());
try {
  const rows: BenchRow[] = [];
  const home = temp.make('gc-corpus');
  log(`generating ${ROLLOUTS} rollouts in ${home} …`);
  const corpus = generateCorpus({ home, count: ROLLOUTS, ...BENCH_CORPUS, text: 'varied' });
  rows.push({
    name: `corpus of ${ROLLOUTS} rollouts`,
    value: corpus.totalBytes / MB,
    unit: 'MB',
    details: `${corpus.files.filter((file) => file.archived).length} archived`,
  });
  log('backfilling it …');
  runCli(['--home', home, 'backfill', '--json']);

  // The anchor's copy, made before gc changes anything.
  const anchorHome = temp.make('gc-anchor');
  for (const tree of ['sessions', 'archived_sessions']) {
    cpSync(join(home, tree), join(anchorHome, tree), { recursive: true, preserveTimestamps: true });
  }
  const anchorFiles = corpus.files.map((file) =>
    join(anchorHome, file.path.slice(home.length + 1)),
  );

  flushWrites();
  log('agent-state gc …');
  const gc = runCli(['--home', home, 'gc', '--json']);
  const report = JSON.parse(gc.stdout) as GcReport;
  if (report.compressed.length !== ROLLOUTS || report.skipped.length > 0) {
    throw new Error(
      `gc compressed ${report.compressed.length} of ${ROLLOUTS} rollouts (${report.skipped.length} skipped)`,
    );
  }
  const { rollouts } = report.bytes;
  rows.push(
    {
      name: `agent-state gc, ${ROLLOUTS} cold rollouts (whole process)`,
      value: gc.ms / 1000,
      unit: 's',
      details: `${fixed(((rollouts.before / Math.max(1, gc.ms)) * 1000) / MB, 0)} MB/s: each file compressed, decoded again and compared, linked, the store's paths updated`,
    },
    {
      name: 'rollout bytes before -> after gc',
      value: rollouts.after / MB,
      unit: 'MB',
      details: `${fixed(rollouts.before / MB, 1)} MB before: ${fixed(rollouts.before / Math.max(1, rollouts.after), 1)}x smaller`,
    },
  );

  // The store follows: the listing and doctor see every thread under its new path.
  const doctor = JSON.parse(runCli(['--home', home, 'doctor', '--json']).stdout) as {
    rollouts: { total: number; notIndexed: number };
  };
  if (doctor.rollouts.notIndexed !== 0) {
    throw new Error(`${doctor.rollouts.notIndexed} compressed rollouts are not in the store`);
  }

  flushWrites();
  log(`zstd -3 over a copy (${ZSTD_BATCH} files a command) …`);
  const t0 = performance.now();
  for (let start = 0; start < anchorFiles.length; start += ZSTD_BATCH) {
    const batch = anchorFiles.slice(start, start + ZSTD_BATCH);
    const zstd = spawnSync('zstd', ['-3', '-q', '--rm', '--', ...batch], { encoding: 'utf8' });
    if (zstd.error) throw zstd.error;
    if (zstd.status !== 0) throw new Error(`zstd exited ${zstd.status}: ${zstd.stderr}`);
  }
  const zstdMs = performance.now() - t0;
  const zstdBytes = anchorFiles.reduce((sum, path) => sum + statSync(`${path}.zst`).size, 0);
  rows.push(
    {
      name: `zstd -3 -q --rm, same ${ROLLOUTS} rollouts (anchor)`,
      value: zstdMs / 1000,
      unit: 's',
      details: `${fixed(zstdBytes / MB, 1)} MB after; no verification, no index`,
    },
    {
      name: 'agent-state gc / zstd, time',
      value: gc.ms / zstdMs,
      unit: 'x',
      details: `bytes after: ${fixed(rollouts.after / Math.max(1, zstdBytes), 3)}x zstd's`,
    },
  );

  if (!reportBench('gc', rows)) process.exitCode = 1;
} finally {
  temp.cleanup();
  removeSignalHandlers();
}
