// Benchmarks of the rollout package (`pnpm bench`). Targets come from the rollout issue, and the
// redesign's (a small home's backfill at most 0.2x Codex 0.169's):
// - backfill of a small home (201 rollouts, as the home Codex 0.169 was timed on) in-process;
// - backfill of 10,000 rollouts (90% < 200 KB, 8% 200 KB–1 MB, 2% 1–5 MB; ~1.4 GB) in <= 3 s,
//   warm page cache, as the reference figures are;
// - backfill of one 1 GB rollout with a peak RSS < 200 MB;
// - backfill of the same 10,000 rollouts compressed as Codex compresses idle rollouts
//   (`.jsonl.zst`, zstd level 3) in <= 2x the time of the plain corpus, timed in the same run
//   (the plain corpus is the anchor), with a peak RSS < 300 MB; both decoders are measured: the
//   native one (`zstd-napi`) and the `fzstd` fallback, forced by running a copy of the build
//   that cannot load the addon (what an install where the optional addon failed looks like);
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
  cpSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

import { openStateStore } from '@agent-state/state';
import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  codexFixtureDir,
  compressRollouts,
  fixed,
  generateCorpus,
  type GeneratedCorpus,
  load,
  median,
  medianCli,
  reportBench,
  runCli,
  tempDirs,
  zstdCompress,
} from '@agent-state/test-utils';
import { Bench } from 'tinybench';

import {
  buildRollout,
  cleanupOnSignal,
  defaultPool,
  flushWrites,
  packageDir,
  timedBackfill,
} from './bench-support.js';

const ROLLOUTS = 10_000;
const BACKFILL_ROUNDS = 3;
/** Rounds of the child-process backfills of the whole corpus (plain, native zstd, fzstd). */
const CHILD_ROUNDS = 3;
/** The zstd level Codex compresses idle rollouts with. */
const CODEX_ZSTD_LEVEL = 3;
const RAW_READ_ROUNDS = 3;
const CLI_RUNS = 10;
/** The small home: as many rollouts as the home Codex 0.169's backfill was timed on. */
const SMALL_HOME_ROLLOUTS = 201;
const SMALL_HOME_RUNS = 11;
/** Codex 0.169's backfill of that home with no state database yet, ms (the reference's table). */
const CODEX_SMALL_HOME_BACKFILL_MS = 300;
const BIG_ROLLOUT_BYTES = 1_000_000_000;
const MB = 1_000_000;

const buildDir = join(packageDir, 'bench', 'dist');
const log = benchLogger('rollout bench');

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

/** What backfill-child.ts prints. */
interface ChildReport {
  outcome: string;
  upserted: number;
  failed: number;
  seconds: number;
  /** Peak RSS of the whole child, MB (read as `maxRssSource` says). */
  maxRssMB: number;
  maxRssSource: 'VmHWM' | 'maxRSS';
  /** The zstd decoder compressed rollouts got in the child. */
  zstdDecoder: 'native' | 'js';
}

/** Options of {@link childBackfill}. */
interface ChildBackfillOptions {
  /** Home of the fresh store to fill. */
  storeHome: string;
  /** Home whose rollouts are backfilled. */
  rolloutHome: string;
  /** Rollouts the backfill must index (default 1). */
  expected?: number;
  /** The built child script (default bench/dist/backfill-child.js). */
  script?: string;
  /** The decoder the child must report (checked when given). */
  zstdDecoder?: ChildReport['zstdDecoder'];
}

/** Backfills a home in a child process (the built backfill-child.ts); returns its report. */
function childBackfill(options: ChildBackfillOptions): ChildReport {
  const script = options.script ?? join(buildDir, 'backfill-child.js');
  // Without the NODE_PATH pnpm's tsx shim sets (it names pnpm's hoisted store, zstd-napi
  // included): the child resolves its dependencies from beside its script only, as installed.
  const env = { ...process.env };
  delete env.NODE_PATH;
  const child = spawnSync(process.execPath, [script, options.storeHome, options.rolloutHome], {
    encoding: 'utf8',
    env,
  });
  if (child.error) throw child.error;
  if (child.status !== 0) {
    throw new Error(`backfill child exited with ${child.status}: ${child.stderr}`);
  }
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildReport;
  const expected = options.expected ?? 1;
  if (report.outcome !== 'complete' || report.upserted !== expected || report.failed !== 0) {
    throw new Error(`backfill child did not index the ${expected} rollout(s): ${child.stdout}`);
  }
  if (options.zstdDecoder !== undefined && report.zstdDecoder !== options.zstdDecoder) {
    throw new Error(
      `backfill child decoded with ${report.zstdDecoder}, not ${options.zstdDecoder}: ${child.stdout}`,
    );
  }
  return report;
}

/**
 * Makes, in `dir`, a copy of the build (bench/dist) beside a `node_modules` that links the
 * package's dependencies but not its optional `zstd-napi`: an install where the addon failed to
 * build. Compressed rollouts then decode with the `fzstd` fallback, in the extraction workers
 * too (runBackfill has no option to choose the decoder). Returns the copy's child script.
 */
function buildWithoutNativeZstd(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name === 'zstd-napi') continue;
    const link = join(dir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(packageDir, 'node_modules', name)), link, 'dir');
  }
  cpSync(buildDir, join(dir, 'dist'), { recursive: true });
  return join(dir, 'dist', 'backfill-child.js');
}

/**
 * Writes into `toHome` the corpus compressed as Codex compresses rollouts idle for 7 days: each
 * `rollout-….jsonl` of `fromHome` as `rollout-….jsonl.zst` at the same relative path, with the
 * same mtime (what `compressRollouts` does in place, without copying the plain corpus first).
 * Returns the bytes written.
 */
function compressCorpus(corpus: GeneratedCorpus, fromHome: string, toHome: string): number {
  let bytes = 0;
  for (const file of corpus.files) {
    const target = `${join(toHome, relative(fromHome, file.path))}.zst`;
    mkdirSync(dirname(target), { recursive: true });
    const compressed = zstdCompress(readFileSync(file.path), { level: CODEX_ZSTD_LEVEL });
    writeFileSync(target, compressed);
    const { mtime } = statSync(file.path);
    utimesSync(target, mtime, mtime);
    bytes += compressed.length;
  }
  return bytes;
}

/**
 * Writes the page cache's dirty pages to disk (`sync`), so that timed runs do not share the disk
 * with the writeback of the gigabytes just generated.
 */

const temp = tempDirs();
const removeSignalHandlers = cleanupOnSignal(() => {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
});

try {
  const rows: BenchRow[] = [];
  log('building the package into bench/dist …');
  const { listThreads, runBackfill } = await buildRollout(buildDir, {
    'backfill-child': join(packageDir, 'bench', 'backfill-child.ts'),
  });
  // The default pool: this thread, joined by up to one worker per further core when the work
  // repays them.
  const defaultWorkers = defaultPool();

  // 0. A small home, as the one Codex 0.169 was timed on (201 rollouts written by 0.169, see the
  // reference's backfill table): in-process, a fresh store each run, beside Codex's own 0.30 s
  // (its backfill of that home with no state database yet). Fixed costs weigh here.
  {
    const smallHome = temp.make('rollout-small-home');
    generateCorpus({ home: smallHome, count: SMALL_HOME_ROLLOUTS, seed: 11, archivedShare: 0 });
    const seconds: number[] = [];
    for (let run = 0; run < SMALL_HOME_RUNS; run += 1) {
      const storeHome = temp.make('rollout-store');
      seconds.push(
        await timedBackfill({
          runBackfill,
          storeHome,
          corpusHome: smallHome,
          expected: SMALL_HOME_ROLLOUTS,
        }),
      );
      rmSync(storeHome, { recursive: true, force: true });
    }
    const ms = median(seconds) * 1000;
    rows.push(
      {
        name: `backfill of a small home (${SMALL_HOME_ROLLOUTS} rollouts), in-process`,
        value: ms,
        unit: 'ms',
        details: `median of ${SMALL_HOME_RUNS} fresh stores (the first run included); runs (ms): ${seconds.map((s) => fixed(s * 1000, 0)).join(', ')}`,
      },
      {
        name: `backfill of a small home (${SMALL_HOME_ROLLOUTS} rollouts) / Codex 0.169's`,
        value: ms / CODEX_SMALL_HOME_BACKFILL_MS,
        unit: 'x',
        target: { max: 0.2 },
        details: `Codex 0.169 backfilled its home of ${SMALL_HOME_ROLLOUTS} rollouts in ${CODEX_SMALL_HOME_BACKFILL_MS} ms (0.30–0.31 s, no state database yet)`,
      },
    );
  }

  // 1. The corpus, generated once.
  const corpusHome = temp.make('rollout-corpus');
  log(`generating ${ROLLOUTS} rollouts in ${corpusHome} …`);
  let t0 = performance.now();
  const corpus = generateCorpus({
    home: corpusHome,
    count: ROLLOUTS,
    ...BENCH_CORPUS,
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

  // 1b. The same corpus compressed as Codex compresses rollouts idle for 7 days: each
  // `rollout-….jsonl` replaced by `rollout-….jsonl.zst` (zstd level 3, same mtime).
  const compressedHome = temp.make('rollout-corpus-zst');
  log(`compressing the corpus (zstd level ${CODEX_ZSTD_LEVEL}) into ${compressedHome} …`);
  t0 = performance.now();
  const zstBytes = compressCorpus(corpus, corpusHome, compressedHome);
  const compressSeconds = (performance.now() - t0) / 1000;
  log(`  ${fixed(zstBytes / MB, 0)} MB in ${fixed(compressSeconds, 1)} s`);
  rows.push({
    name: `corpus of ${ROLLOUTS} rollouts, compressed (.jsonl.zst, zstd level ${CODEX_ZSTD_LEVEL})`,
    value: zstBytes / MB,
    unit: 'MB',
    details: `${fixed(corpus.totalBytes / zstBytes, 1)}x smaller than the plain corpus (the generated rollouts repeat their tool calls: real ones compress less); compressed in ${fixed(compressSeconds, 1)} s`,
  });
  flushWrites();

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

  // 3. Backfill with the default worker pool, on a fresh store each round: the plain corpus (the
  // anchor) and its compressed copy in turn, the order alternating between rounds, so that both
  // are measured on the same machine under the same load.
  const pooled = {
    label: 'plain',
    home: corpusHome,
    seconds: [] as number[],
    loads: [] as string[],
  };
  const pooledZst = {
    label: 'compressed',
    home: compressedHome,
    seconds: [] as number[],
    loads: [] as string[],
  };
  for (let round = 0; round < BACKFILL_ROUNDS; round += 1) {
    for (const run of round % 2 === 0 ? [pooled, pooledZst] : [pooledZst, pooled]) {
      const storeHome = temp.make('rollout-store');
      log(`backfill round ${round + 1}/${BACKFILL_ROUNDS}, ${run.label} (${defaultWorkers}) …`);
      const before = load();
      run.loads.push(before);
      run.seconds.push(
        await timedBackfill({ runBackfill, storeHome, corpusHome: run.home, expected: ROLLOUTS }),
      );
      log(`  ${fixed(run.seconds.at(-1)!)} s (load average ${before} → ${load()})`);
      rmSync(storeHome, { recursive: true, force: true });
    }
  }
  rows.push(
    ...backfillRows(
      `default pool (${defaultWorkers})`,
      pooled.seconds,
      pooled.loads,
      corpus.totalBytes,
    ),
    ...backfillRows(
      `compressed .jsonl.zst, native zstd, default pool (${defaultWorkers})`,
      pooledZst.seconds,
      pooledZst.loads,
      corpus.totalBytes,
    ),
    {
      name: `backfill ${ROLLOUTS} rollouts, compressed / plain time (default pool)`,
      value: median(pooledZst.seconds) / median(pooled.seconds),
      unit: 'x',
      target: { max: 2 },
      details: `medians ${fixed(median(pooledZst.seconds))} s / ${fixed(median(pooled.seconds))} s, rounds interleaved; MB/s above counts decompressed bytes`,
    },
  );

  // 3b. The same backfills in child processes (plain node, the built package) for their peak
  // RSS: the plain corpus (the anchor), the compressed one with the native decoder, and the
  // compressed one with the fzstd fallback (a copy of the build that cannot load zstd-napi).
  {
    const noNativeChild = buildWithoutNativeZstd(temp.make('rollout-no-native-zstd'));
    const variants = [
      { label: 'plain', home: corpusHome, script: undefined, zstdDecoder: undefined },
      {
        label: 'compressed, native zstd (zstd-napi)',
        home: compressedHome,
        script: undefined,
        zstdDecoder: 'native' as const,
      },
      {
        label: 'compressed, fzstd fallback (zstd-napi not installed)',
        home: compressedHome,
        script: noNativeChild,
        zstdDecoder: 'js' as const,
      },
    ].map((variant) => ({ ...variant, reports: [] as ChildReport[] }));
    for (let round = 0; round < CHILD_ROUNDS; round += 1) {
      // Rotate the order, so that no variant always runs first.
      const order = variants.map((_, n) => variants[(n + round) % variants.length]!);
      for (const variant of order) {
        log(`child-process backfill round ${round + 1}/${CHILD_ROUNDS}, ${variant.label} …`);
        const storeHome = temp.make('rollout-store');
        const report = childBackfill({
          storeHome,
          rolloutHome: variant.home,
          expected: ROLLOUTS,
          script: variant.script,
          zstdDecoder: variant.zstdDecoder,
        });
        variant.reports.push(report);
        log(`  ${fixed(report.seconds)} s, peak RSS ${fixed(report.maxRssMB, 0)} MB`);
        rmSync(storeHome, { recursive: true, force: true });
      }
    }
    const plainChild = variants[0]!;
    const plainSeconds = median(plainChild.reports.map((r) => r.seconds));
    const plainRss = Math.max(...plainChild.reports.map((r) => r.maxRssMB));
    for (const variant of variants) {
      const seconds = median(variant.reports.map((r) => r.seconds));
      const rss = variant.reports.map((r) => r.maxRssMB);
      const name = `backfill ${ROLLOUTS} rollouts in a child process, ${variant.label}`;
      const compressed = variant !== plainChild;
      rows.push(
        {
          name: `${name}: peak RSS`,
          value: Math.max(...rss),
          unit: 'MB',
          target: compressed ? { max: 300 } : undefined,
          details: `highest ${variant.reports[0]!.maxRssSource} of ${CHILD_ROUNDS} children (runs: ${rss.map((v) => fixed(v, 0)).join(', ')}; ${defaultWorkers})${compressed ? `; plain: ${fixed(plainRss, 0)} MB` : ''}`,
        },
        {
          name: `${name}: time`,
          value: seconds,
          unit: 's',
          details: `median of ${CHILD_ROUNDS}; runs (s): ${variant.reports.map((r) => fixed(r.seconds)).join(', ')}${compressed ? `; ${fixed(seconds / plainSeconds)}x the plain child's ${fixed(plainSeconds)} s` : ''}`,
        },
      );
    }
  }

  // 4. Single-threaded backfill, into the corpus home itself so the listings below (and the CLI,
  // which opens the store of its --home) find a complete store of the 10,000 threads.
  log('backfill with workers: 0 …');
  const before = load();
  const single = await timedBackfill({
    runBackfill,
    storeHome: corpusHome,
    corpusHome,
    expected: ROLLOUTS,
    workers: 0,
  });
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
      // Without a store, listThreads lists the rollouts themselves (Codex's file traversal).
      const fileCheck = await listThreads({ home: corpusHome, pageSize: 25 });
      if (fileCheck.source !== 'files' || fileCheck.items.length !== 25) {
        throw new Error(
          `unexpected file listing page: ${fileCheck.source}, ${fileCheck.items.length} items`,
        );
      }

      const bench = new Bench({ time: 1_000, warmupTime: 200 });
      const dbFresh = 'listThreads first page (25), DB-first, freshness: true';
      const dbNoFresh = 'listThreads first page (25), DB-first, freshness: false';
      const files = 'listThreads first page (25), no store: file traversal';
      bench
        .add(dbFresh, () =>
          listThreads({ home: corpusHome, store, pageSize: 25 }).then(() => undefined),
        )
        .add(dbNoFresh, () =>
          listThreads({ home: corpusHome, store, pageSize: 25, freshness: false }).then(
            () => undefined,
          ),
        )
        .add(files, () => listThreads({ home: corpusHome, pageSize: 25 }).then(() => undefined));
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
    const baseline = childBackfill({
      storeHome: temp.make('rollout-store'),
      rolloutHome: smallHome,
    });

    const bigHome = temp.make('rollout-big');
    log(`writing a ${fixed(BIG_ROLLOUT_BYTES / MB, 0)} MB rollout …`);
    t0 = performance.now();
    const { bytes: bigBytes } = writeBigRollout(bigHome, BIG_ROLLOUT_BYTES);
    log(`  written in ${fixed((performance.now() - t0) / 1000, 1)} s; backfilling it in a child …`);
    const big = childBackfill({ storeHome: temp.make('rollout-store'), rolloutHome: bigHome });
    rows.push(
      {
        name: `backfill one ${fixed(bigBytes / MB, 0)} MB rollout: peak RSS (child process)`,
        value: big.maxRssMB,
        unit: 'MB',
        target: { max: 200 },
        details: `${big.maxRssSource} of the whole child process (plain node, built package); the same child backfilling one ${Math.round(small.bytes / 1000)} KB rollout: ${fixed(baseline.maxRssMB, 0)} MB`,
      },
      {
        name: `backfill one ${fixed(bigBytes / MB, 0)} MB rollout: time`,
        value: big.seconds,
        unit: 's',
        details: `${fixed(bigBytes / MB / big.seconds, 0)} MB/s (runBackfill in the child, warm cache)`,
      },
    );

    // The same rollout compressed (replaced by its .jsonl.zst), with each decoder.
    log(`compressing it (zstd level ${CODEX_ZSTD_LEVEL}) …`);
    const [zstPath] = compressRollouts(bigHome, { level: CODEX_ZSTD_LEVEL });
    const zstMB = statSync(zstPath!).size / MB;
    // The rollout repeats 24 blocks of tool calls: it compresses far better than real ones.
    const zstSize = zstMB < 10 ? `${fixed(zstMB * 1000, 0)} KB` : `${fixed(zstMB, 0)} MB`;
    const noNativeChild = buildWithoutNativeZstd(temp.make('rollout-no-native-zstd'));
    for (const variant of [
      { label: 'native zstd (zstd-napi)', script: undefined, zstdDecoder: 'native' as const },
      { label: 'fzstd fallback', script: noNativeChild, zstdDecoder: 'js' as const },
    ]) {
      log(`  backfilling the ${zstSize} .jsonl.zst in a child, ${variant.label} …`);
      const report = childBackfill({
        storeHome: temp.make('rollout-store'),
        rolloutHome: bigHome,
        script: variant.script,
        zstdDecoder: variant.zstdDecoder,
      });
      const name = `backfill one ${fixed(bigBytes / MB, 0)} MB rollout compressed (${zstSize} .jsonl.zst), ${variant.label}`;
      rows.push(
        {
          name: `${name}: peak RSS (child process)`,
          value: report.maxRssMB,
          unit: 'MB',
          target: { max: 300 },
          details: `${report.maxRssSource} of the whole child process; plain: ${fixed(big.maxRssMB, 0)} MB`,
        },
        {
          name: `${name}: time`,
          value: report.seconds,
          unit: 's',
          details: `${fixed(bigBytes / MB / report.seconds, 0)} MB/s decompressed; plain: ${fixed(big.seconds)} s`,
        },
      );
    }
    rmSync(bigHome, { recursive: true, force: true });
  }

  const ok = reportBench('rollout', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
  removeSignalHandlers();
}
