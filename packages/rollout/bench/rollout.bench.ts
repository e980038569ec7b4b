// Benchmarks of the rollout package (`pnpm bench`). Targets come from the rollout issue:
// - backfill of 10,000 rollouts (90% < 200 KB, 8% 200 KB–1 MB, 2% 1–5 MB; ~1.4 GB) in <= 3 s,
//   warm page cache, as the reference figures are;
// - backfill of one 1 GB rollout with a peak RSS < 200 MB;
// - first page (25) of the DB-first listing over 10,000 threads at a median <= 1 ms, in-process;
// - `agent-state threads list --json` over 10,000 threads in < 250 ms as a whole process.
// Figures for scale (no target): a single-threaded backfill, a raw read of every byte, the file
// traversal listing, the CLI's bare start-up.
//
// The package is measured as it ships: the sources are first built with tsup (the entries of
// tsup.config.ts) into bench/dist/, so the extraction workers start from compiled JavaScript
// rather than through tsx, and the 1 GB child process runs on plain `node`.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { openStateStore } from '@agent-state/state';
import {
  type BenchRow,
  type GeneratedCorpus,
  codexFixtureDir,
  generateCorpus,
  repoRoot,
  reportBench,
  tempDirs,
} from '@agent-state/test-utils';
import { Bench } from 'tinybench';
import { build } from 'tsup';

import type * as Rollout from '../src/index.js';

const ROLLOUTS = 10_000;
const BACKFILL_ROUNDS = 3;
const RAW_READ_ROUNDS = 3;
const CLI_RUNS = 10;
const BIG_ROLLOUT_BYTES = 1_000_000_000;
const MB = 1_000_000;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const buildDir = join(packageDir, 'bench', 'dist');
const cliBin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');

function log(message: string): void {
  process.stderr.write(`[rollout bench] ${message}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);

const load = () => fixed(loadavg()[0]!, 1);

/**
 * Builds the package's entries (and the child script) like `pnpm build` does, into bench/dist/,
 * and imports the build. Dependencies stay external, as in the published package.
 */
async function buildRollout(): Promise<typeof Rollout> {
  await build({
    config: false,
    silent: true,
    entry: {
      index: join(packageDir, 'src', 'index.ts'),
      'extract-worker': join(packageDir, 'src', 'backfill', 'extract-worker.ts'),
      'backfill-child': join(packageDir, 'bench', 'backfill-child.ts'),
    },
    outDir: buildDir,
    tsconfig: join(packageDir, 'tsconfig.json'),
    format: ['esm'],
    target: 'node20',
    shims: true,
    dts: false,
    sourcemap: false,
    clean: true,
    external: [/^[^./]/],
  });
  return (await import(pathToFileURL(join(buildDir, 'index.js')).href)) as typeof Rollout;
}

/** The size mix of a corpus, as the issue states it. */
function describeMix(corpus: GeneratedCorpus): string {
  const bands = [
    { label: '< 200 KB', files: corpus.files.filter((f) => f.bytes < 200_000) },
    {
      label: '200 KB–1 MB',
      files: corpus.files.filter((f) => f.bytes >= 200_000 && f.bytes < 1_000_000),
    },
    { label: '1–5 MB', files: corpus.files.filter((f) => f.bytes >= 1_000_000) },
  ];
  return bands
    .map(({ label, files }) => {
      const share = (100 * files.length) / corpus.files.length;
      const mean = files.reduce((sum, f) => sum + f.bytes, 0) / Math.max(files.length, 1);
      return `${fixed(share, 1)}% ${label} (mean ${Math.round(mean / 1000)} KB)`;
    })
    .join(', ');
}

/** Reads every byte of the files with a reused 1 MiB buffer (what `cat` does); returns seconds. */
function rawRead(paths: readonly string[]): number {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const t0 = performance.now();
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
  return (performance.now() - t0) / 1000;
}

/** Backfills the corpus home into a fresh store in `storeHome`; returns seconds. */
async function timedBackfill(
  runBackfill: typeof Rollout.runBackfill,
  storeHome: string,
  corpusHome: string,
  workers: number | undefined,
): Promise<number> {
  const store = await openStateStore({ home: storeHome });
  try {
    const t0 = performance.now();
    const result = await runBackfill({ store, home: corpusHome, workers });
    const seconds = (performance.now() - t0) / 1000;
    if (result.outcome !== 'complete' || result.upserted !== ROLLOUTS || result.failed !== 0) {
      throw new Error(
        `backfill did not index the corpus: ${result.outcome}, ${result.upserted} upserted, ${result.failed} failed (${result.failures[0]?.message ?? ''})`,
      );
    }
    return seconds;
  } finally {
    await store.close();
  }
}

/** Seconds, files/s and MB/s rows of backfill runs; `loads`: the 1-minute load average before each. */
function backfillRows(
  label: string,
  secondsPerRun: number[],
  loads: string[],
  totalBytes: number,
): BenchRow[] {
  const seconds = median(secondsPerRun);
  const runs = secondsPerRun.map((s) => fixed(s)).join(', ');
  const details =
    secondsPerRun.length > 1
      ? `median of ${secondsPerRun.length} fresh stores; runs (s): ${runs}; load avg before: ${loads.join(', ')}`
      : `1 run, fresh store; load avg before: ${loads.join(', ')}`;
  return [
    {
      name: `backfill ${ROLLOUTS} rollouts, ${label}`,
      value: seconds,
      unit: 's',
      target: label.startsWith('default') ? { max: 3 } : undefined,
      details,
    },
    {
      name: `backfill ${ROLLOUTS} rollouts, ${label}`,
      value: ROLLOUTS / seconds,
      unit: 'files/s',
      details: 'from the median time',
    },
    {
      name: `backfill ${ROLLOUTS} rollouts, ${label}`,
      value: totalBytes / MB / seconds,
      unit: 'MB/s',
      details: 'from the median time',
    },
  ];
}

/** Runs the CLI once; returns wall milliseconds and its output. */
function runCli(args: readonly string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [cliBin, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (child.error) throw child.error;
  if (child.status !== 0) {
    throw new Error(`agent-state ${args.join(' ')} exited with ${child.status}: ${child.stderr}`);
  }
  return { ms, stdout: child.stdout };
}

/** The median wall time of `runs` CLI runs, after one warm-up run. */
function medianCli(args: readonly string[], runs: number): { ms: number; all: number[] } {
  runCli(args);
  const all = Array.from({ length: runs }, () => runCli(args).ms);
  return { ms: median(all), all };
}

/** The template of the 1 GB rollout: the largest real fixture rollout, and its tool lines. */
function bigRolloutTemplate(): { name: string; lines: string[]; toolLines: string[] } {
  const dir = join(codexFixtureDir('v0.169.0'), 'home', 'sessions', '2026', '11', '21');
  const name = readdirSync(dir)
    .map((n) => ({ n, size: readFileSync(join(dir, n)).length }))
    .sort((a, b) => b.size - a.size)[0]!.n;
  const lines = readFileSync(join(dir, name), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const toolLines = lines.filter(
    (l) =>
      l.includes('"function_call') ||
      l.includes('"CommandExecution"') ||
      l.includes('"token_count"'),
  );
  return { name, lines, toolLines };
}

const FILLER = 'lorem ipsum dolor sit amet, consectetur adipiscing elit; '.repeat(64);

/**
 * Writes one rollout of about `bytes` into `home`: the template's lines, then its tool calls
 * repeated with outputs of 3.6–87 KB, written block by block (never more than a few MB in memory).
 */
function writeBigRollout(home: string, bytes: number): { path: string; bytes: number } {
  const template = bigRolloutTemplate();
  const dir = join(home, 'sessions', '2026', '11', '21');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, template.name);
  // 24 blocks of tool calls with growing outputs, written in turn.
  const blocks = Array.from({ length: 24 }, (_, n) =>
    Buffer.from(
      template.toolLines
        .map((line) =>
          line.includes('"function_call_output"')
            ? line.replace(/"output":"/, `"output":"[${n}] ${FILLER.repeat(1 + n)}`)
            : line,
        )
        .map((line) => `${line}\n`)
        .join(''),
    ),
  );
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    written += writeSync(fd, `${template.lines.join('\n')}\n`);
    for (let n = 0; written < bytes; n += 1) {
      written += writeSync(fd, blocks[n % blocks.length]!);
    }
  } finally {
    closeSync(fd);
  }
  return { path, bytes: written };
}

interface ChildReport {
  outcome: string;
  upserted: number;
  failed: number;
  seconds: number;
  maxRssMB: number;
}

/** Backfills `rolloutHome` in a child process (the built backfill-child.ts); returns its report. */
function childBackfill(storeHome: string, rolloutHome: string): ChildReport {
  const child = spawnSync(
    process.execPath,
    [join(buildDir, 'backfill-child.js'), storeHome, rolloutHome],
    { encoding: 'utf8' },
  );
  if (child.error) throw child.error;
  if (child.status !== 0) {
    throw new Error(`backfill child exited with ${child.status}: ${child.stderr}`);
  }
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildReport;
  if (report.outcome !== 'complete' || report.upserted !== 1 || report.failed !== 0) {
    throw new Error(`backfill child did not index the rollout: ${child.stdout}`);
  }
  return report;
}

const temp = tempDirs();
const onSignal = () => {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  const rows: BenchRow[] = [];
  log('building the package into bench/dist …');
  const { listThreadFiles, listThreads, runBackfill } = await buildRollout();
  const defaultWorkers = Math.min(Math.max(availableParallelism(), 1), 8);

  // 1. The corpus, generated once.
  const corpusHome = temp.make('rollout-corpus');
  log(`generating ${ROLLOUTS} rollouts in ${corpusHome} …`);
  let t0 = performance.now();
  const corpus = generateCorpus({
    home: corpusHome,
    count: ROLLOUTS,
    seed: 7,
    mediumShare: 0.08,
    largeShare: 0.02,
    // Grown by whole tool calls, most bytes are tool output (as in real rollouts), not events.
    growth: 'tool-calls',
    // The fixture rollouts are 1–23 KB; grown a little, the corpus reaches the issue's ~1.4 GB.
    smallBytes: { min: 5_000, max: 45_000 },
  });
  const mix = describeMix(corpus);
  log(
    `corpus: ${fixed(corpus.totalBytes / MB, 0)} MB in ${fixed((performance.now() - t0) / 1000, 1)} s; ${mix}`,
  );
  rows.push({
    name: `corpus of ${ROLLOUTS} rollouts`,
    value: corpus.totalBytes / MB,
    unit: 'MB',
    details: mix,
  });

  // 2. Raw read of every byte, for scale.
  log('raw read of the corpus …');
  const paths = corpus.files.map((f) => f.path);
  const rawSeconds = Array.from({ length: RAW_READ_ROUNDS }, () => rawRead(paths));
  rows.push({
    name: `raw read of all ${ROLLOUTS} files (readSync, 1 MiB buffer)`,
    value: corpus.totalBytes / MB / median(rawSeconds),
    unit: 'MB/s',
    details: `median ${fixed(median(rawSeconds))} s of ${RAW_READ_ROUNDS}; ${fixed(ROLLOUTS / median(rawSeconds), 0)} files/s`,
  });

  // 3. Backfill with the default worker pool, on a fresh store each round.
  const pooled: number[] = [];
  const pooledLoads: string[] = [];
  for (let round = 0; round < BACKFILL_ROUNDS; round += 1) {
    const storeHome = temp.make('rollout-store');
    log(`backfill round ${round + 1}/${BACKFILL_ROUNDS} (${defaultWorkers} workers) …`);
    const before = load();
    pooledLoads.push(before);
    pooled.push(await timedBackfill(runBackfill, storeHome, corpusHome, undefined));
    log(`  ${fixed(pooled.at(-1)!)} s (load average ${before} → ${load()})`);
    rmSync(storeHome, { recursive: true, force: true });
  }
  rows.push(
    ...backfillRows(
      `default pool (${defaultWorkers} workers)`,
      pooled,
      pooledLoads,
      corpus.totalBytes,
    ),
  );

  // 4. Single-threaded backfill, into the corpus home itself so the listings below (and the CLI,
  // which opens the store of its --home) find a complete store of the 10,000 threads.
  log('backfill with workers: 0 …');
  const before = load();
  const single = await timedBackfill(runBackfill, corpusHome, corpusHome, 0);
  log(`  ${fixed(single)} s (load average ${before} → ${load()})`);
  rows.push(...backfillRows('workers: 0 (this thread)', [single], [before], corpus.totalBytes));

  // 5. First page (25): DB-first listing versus the file traversal.
  log('listing latency …');
  {
    const store = await openStateStore({ home: corpusHome });
    try {
      const check = await listThreads({ home: corpusHome, store, pageSize: 25 });
      if (check.source !== 'store' || check.items.length !== 25 || check.repaired !== 0) {
        throw new Error(
          `unexpected DB-first page: ${check.source}, ${check.items.length} items, ${check.repaired} repaired`,
        );
      }
      const fileCheck = await listThreadFiles({
        home: corpusHome,
        pageSize: 25,
        sortKey: 'created',
        defaultProvider: 'openai',
      });
      if (fileCheck.items.length !== 25) throw new Error('the file listing page is not full');

      const bench = new Bench({ time: 1_000, warmupTime: 200 });
      const dbFresh = 'listThreads first page (25), DB-first, freshness: true';
      const dbNoFresh = 'listThreads first page (25), DB-first, freshness: false';
      const files = 'listThreadFiles first page (25), file traversal';
      bench
        .add(dbFresh, () =>
          listThreads({ home: corpusHome, store, pageSize: 25 }).then(() => undefined),
        )
        .add(dbNoFresh, () =>
          listThreads({ home: corpusHome, store, pageSize: 25, freshness: false }).then(
            () => undefined,
          ),
        )
        .add(files, () =>
          listThreadFiles({
            home: corpusHome,
            pageSize: 25,
            sortKey: 'created',
            defaultProvider: 'openai',
          }).then(() => undefined),
        );
      await bench.run();
      const p50 = new Map<string, number>();
      for (const task of bench.tasks) {
        const result = task.result as
          { latency?: { p50?: number; samples?: number[] } } | undefined;
        const value = result?.latency?.p50;
        if (value === undefined) throw new Error(`no result for ${task.name}`);
        p50.set(task.name, value);
        rows.push({
          name: task.name,
          value,
          unit: 'ms (median)',
          target: task.name === files ? undefined : { max: 1 },
          details: `${result?.latency?.samples?.length ?? 0} samples`,
        });
      }
      rows.push({
        name: 'file traversal / DB-first (freshness: true), first page',
        value: p50.get(files)! / p50.get(dbFresh)!,
        unit: 'x',
        details: `freshness: false: ${fixed(p50.get(files)! / p50.get(dbNoFresh)!, 1)}x`,
      });
    } finally {
      await store.close();
    }
  }

  // 6. The CLI as a whole process over the 10,000-thread home.
  {
    const help = runCli(['--help']).stdout;
    const hasThreads = /^\s+threads\b/m.test(help);
    const args = hasThreads
      ? ['--home', corpusHome, 'threads', 'list', '--json']
      : ['--home', corpusHome, 'doctor', '--json'];
    if (!hasThreads) log('the CLI has no `threads` command yet: timing `doctor --json` instead');
    log(`CLI: agent-state ${args.slice(2).join(' ')} × ${CLI_RUNS} …`);
    JSON.parse(runCli(args).stdout);
    const listed = medianCli(args, CLI_RUNS);
    rows.push({
      name: hasThreads
        ? `agent-state threads list --json (${ROLLOUTS} threads, whole process)`
        : `agent-state doctor --json (${ROLLOUTS} threads, whole process; PLACEHOLDER: no threads command yet)`,
      value: listed.ms,
      unit: 'ms (median)',
      target: hasThreads ? { max: 250 } : undefined,
      details: `${CLI_RUNS} runs after a warm-up: ${listed.all.map((ms) => Math.round(ms)).join(', ')}`,
    });
    const bare = medianCli(['--version'], CLI_RUNS);
    rows.push({
      name: 'agent-state --version (process start-up floor)',
      value: bare.ms,
      unit: 'ms (median)',
      details: `${CLI_RUNS} runs after a warm-up`,
    });
  }

  // The corpus is no longer needed: free its ~1.4 GB before writing the 1 GB rollout.
  temp.cleanup();

  // 7. One 1 GB rollout, backfilled in a child process for its peak RSS.
  {
    const smallHome = temp.make('rollout-one-small');
    const small = writeBigRollout(smallHome, 0);
    const baseline = childBackfill(temp.make('rollout-store'), smallHome);

    const bigHome = temp.make('rollout-big');
    log(`writing a ${fixed(BIG_ROLLOUT_BYTES / MB, 0)} MB rollout …`);
    t0 = performance.now();
    const { path: bigPath, bytes: bigBytes } = writeBigRollout(bigHome, BIG_ROLLOUT_BYTES);
    log(`  written in ${fixed((performance.now() - t0) / 1000, 1)} s; backfilling it in a child …`);
    const big = childBackfill(temp.make('rollout-store'), bigHome);
    rmSync(bigPath, { force: true });
    rows.push(
      {
        name: `backfill one ${fixed(bigBytes / MB, 0)} MB rollout: peak RSS (child process)`,
        value: big.maxRssMB,
        unit: 'MB',
        target: { max: 200 },
        details: `maxRSS of the whole child process (plain node, built package); the same child backfilling one ${Math.round(small.bytes / 1000)} KB rollout: ${fixed(baseline.maxRssMB, 0)} MB`,
      },
      {
        name: `backfill one ${fixed(bigBytes / MB, 0)} MB rollout: time`,
        value: big.seconds,
        unit: 's',
        details: `${fixed(bigBytes / MB / big.seconds, 0)} MB/s (runBackfill in the child, warm cache)`,
      },
    );
  }

  const ok = reportBench('rollout', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
