// Benchmark of usage (`pnpm bench`, after search.bench.ts). Targets come from the usage issue, on
// rollout.bench.ts's 10,000-rollout corpus (~1.4 GB):
// - `agent-state usage daily --json` as a whole process <= 250 ms;
// - the usage records' cost to the backfill <= 10% (a backfill of every derived index against
//   one without the usage index, rounds interleaved).
// The anchor, in the same run over the same home: `ccusage-codex daily --json --offline` of
// `@ccusage/codex` 18, which reads every rollout again on each run. Its figures are reported
// beside ours, with their peak memory where Linux's /proc says it, and the two reports'
// tokens are compared (ccusage does not read archived rollouts and counts repeated `token_count`
// lines again: the row says by how much).
//
// USAGE_BENCH_ROLLOUTS=300 shrinks the corpus while developing (targets are for 10,000).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { openStateStore } from '@agent-state/state';
import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  fixed,
  generateCorpus,
  load,
  median,
  medianCli,
  reportBench,
  runCli,
  tempDirs,
} from '@agent-state/test-utils';

import {
  buildRollout,
  cleanupOnSignal,
  defaultPool,
  flushWrites,
  packageDir,
  removeBenchBuild,
  timedBackfill,
} from './bench-support.js';

const ROLLOUTS = Number(process.env.USAGE_BENCH_ROLLOUTS ?? 10_000);
/** Rounds of the two backfills (with and without usage), their order alternating. */
const BACKFILL_ROUNDS = 3;
const CLI_RUNS = 10;
const CCUSAGE_RUNS = 3;
const MB = 1_000_000;

const benchDistDir = join(packageDir, 'bench', 'dist');
const buildDir = join(benchDistDir, 'usage');
const log = benchLogger('usage bench');
const ccusageBin = join(
  dirname(createRequire(import.meta.url).resolve('@ccusage/codex/package.json')),
  'dist',
  'index.js',
);

interface CcusageDaily {
  daily: Array<{ inputTokens: number; outputTokens: number; totalTokens: number }>;
}

/**
 * Runs `node <args>` to its end: wall ms, its output, and its peak RSS in MB where Linux's
 * `/proc/<pid>/status` says it (the high-water mark, read every 20 ms while it runs).
 */
async function runNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ms: number; stdout: string; peakMb: number | undefined }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let peakKb: number | undefined;
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/^VmHWM:\s+(\d+) kB/mu.exec(status)?.[1]);
      if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
    } catch {
      // Not Linux, or the process has just ended.
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearInterval(poll);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`);
  return { ms, stdout, peakMb: peakKb === undefined ? undefined : (peakKb * 1024) / MB };
}

/** One `ccusage-codex daily --json --offline` over `home`: wall ms, peak RSS (MB) and its report. */
async function runCcusage(
  home: string,
): Promise<{ ms: number; peakMb: number | undefined; report: CcusageDaily }> {
  const run = await runNode([ccusageBin, 'daily', '--json', '--offline'], {
    ...process.env,
    CODEX_HOME: home,
  });
  return { ms: run.ms, peakMb: run.peakMb, report: JSON.parse(run.stdout) as CcusageDaily };
}

const temp = tempDirs();
const removeSignalHandlers = cleanupOnSignal(() => {
  temp.cleanup();
  removeBenchBuild(buildDir);
});

try {
  const rows: BenchRow[] = [];
  const at = `${ROLLOUTS} rollouts`;
  log('building the package into bench/dist/usage …');
  const { runBackfill, summarizeUsage } = await buildRollout(buildDir);
  const workers = defaultPool();

  // 1. The corpus of rollout.bench.ts.
  const corpusHome = temp.make('usage-corpus');
  log(`generating ${at} in ${corpusHome} …`);
  const corpus = generateCorpus({
    home: corpusHome,
    count: ROLLOUTS,
    ...BENCH_CORPUS,
  });
  const archived = corpus.files.filter((f) => f.archived).length;
  rows.push({
    name: `corpus of ${at}`,
    value: corpus.totalBytes / MB,
    unit: 'MB',
    details: `${archived} archived`,
  });

  // 2. The backfill with every derived index and without the usage index, each into a fresh
  // store, the order alternating between rounds. The last store with usage is the corpus home's.
  const runs = { with: [] as number[], without: [] as number[], loads: [] as string[] };
  for (let round = 0; round < BACKFILL_ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const kind of order) {
      const last = kind === 'with' && round === BACKFILL_ROUNDS - 1;
      const storeHome = last ? corpusHome : temp.make('usage-store');
      // The previous run's database written out first: its writeback would slow this one.
      flushWrites();
      log(`backfill round ${round + 1}/${BACKFILL_ROUNDS}, ${kind} usage (${workers}) …`);
      runs.loads.push(load());
      const seconds = await timedBackfill({
        runBackfill,
        storeHome,
        corpusHome,
        expected: ROLLOUTS,
        derivedIndexNames: kind === 'with' ? undefined : ['search'],
      });
      log(`  ${fixed(seconds)} s`);
      runs[kind].push(seconds);
      if (!last) rmSync(storeHome, { recursive: true, force: true });
    }
  }
  const withUsage = median(runs.with);
  const withoutUsage = median(runs.without);
  rows.push(
    {
      name: `backfill ${at}, search and usage (default pool)`,
      value: withUsage,
      unit: 's',
      details: `median of ${BACKFILL_ROUNDS}: ${runs.with.map((s) => fixed(s)).join(', ')}`,
    },
    {
      name: `backfill ${at}, search only (default pool)`,
      value: withoutUsage,
      unit: 's',
      details: `median of ${BACKFILL_ROUNDS}: ${runs.without.map((s) => fixed(s)).join(', ')}; load avg before runs: ${runs.loads.join(', ')}`,
    },
    {
      name: `backfill ${at}: cost of the usage records`,
      value: (100 * (withUsage - withoutUsage)) / withoutUsage,
      unit: '%',
      target: { max: 10 },
      details: `medians ${fixed(withUsage)} s / ${fixed(withoutUsage)} s, rounds interleaved`,
    },
  );

  // 3. The CLI as a whole process, and ccusage on the same home in the same run.
  // The issue's command: the days of this machine's time zone.
  const args = ['--home', corpusHome, 'usage', 'daily', '--json'];
  const ours = JSON.parse(runCli(args).stdout) as {
    totals: { totalTokens: number; calls: number };
  };
  const timed = medianCli(args, CLI_RUNS);
  const ourPeak = (
    await runNode([join(packageDir, '..', '..', 'apps', 'cli', 'dist', 'bin.js'), ...args])
  ).peakMb;
  rows.push({
    name: `agent-state usage daily --json (${at}, whole process)`,
    value: timed.ms,
    unit: 'ms (median)',
    target: { max: 250 },
    details: `${fixed(ours.totals.calls, 0)} calls, ${fixed(ours.totals.totalTokens, 0)} tokens; ${CLI_RUNS} runs after a warm-up: ${timed.all.map((ms) => Math.round(ms)).join(', ')}${ourPeak === undefined ? '' : `; peak RSS ${fixed(ourPeak, 0)} MB`}`,
  });
  const bare = medianCli(['--version'], CLI_RUNS);
  rows.push({
    name: 'agent-state --version (process start-up floor)',
    value: bare.ms,
    unit: 'ms (median)',
    details: `${CLI_RUNS} runs after a warm-up`,
  });

  log(`ccusage-codex daily --json --offline, ${CCUSAGE_RUNS} runs …`);
  const theirs: Array<Awaited<ReturnType<typeof runCcusage>>> = [];
  for (let run = 0; run < CCUSAGE_RUNS; run += 1) theirs.push(await runCcusage(corpusHome));
  const theirMs = median(theirs.map((run) => run.ms));
  const peaks = theirs.flatMap((run) => (run.peakMb === undefined ? [] : [run.peakMb]));
  rows.push({
    name: `ccusage-codex daily --json --offline (@ccusage/codex 18, ${at}, whole process)`,
    value: theirMs,
    unit: 'ms (median)',
    details: `${CCUSAGE_RUNS} runs: ${theirs.map((run) => Math.round(run.ms)).join(', ')}${peaks.length > 0 ? `; peak RSS ${fixed(median(peaks), 0)} MB` : ''}`,
  });
  rows.push({
    name: 'ccusage / agent-state usage, whole process',
    value: theirMs / timed.ms,
    unit: 'x',
    details: 'how many times faster the index answers than reading every rollout again',
  });

  // 4. The tokens of both reports, over what ccusage reads (no archived rollouts).
  const store = await openStateStore({ home: corpusHome });
  try {
    const active = await summarizeUsage({ store, archived: false, timeZone: 'UTC' });
    const theirTotal = theirs[0]!.report.daily.reduce((sum, day) => sum + day.totalTokens, 0);
    rows.push({
      name: 'tokens counted, ccusage / agent-state (active rollouts)',
      value: theirTotal / Math.max(1, active.totals.totalTokens),
      unit: 'x',
      details: `ccusage ${fixed(theirTotal, 0)}, agent-state ${fixed(active.totals.totalTokens, 0)}: ccusage also counts the repeated token_count lines (agent-state: repeats excluded, see usage --explain)`,
    });
  } finally {
    await store.close();
  }

  const ok = reportBench('usage', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
  removeBenchBuild(buildDir);
  removeSignalHandlers();
}
