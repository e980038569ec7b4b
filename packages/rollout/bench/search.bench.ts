// Benchmark of full-text search (`pnpm bench`, after rollout.bench.ts). Targets come from the
// search issue: on the 10,000-rollout bench corpus (~1.4 GB), with conversation text that varies
// per thread (`generateCorpus`'s `text: 'varied'`; the default corpus repeats the fixtures'
// prompts, where rare and common words mean nothing):
// - 20 queries (rare words, common words, phrases, prefixes, code tokens, cwd-filtered) through
//   `searchThreads` in-process, warm: median of the per-query medians <= 20 ms, p95 <= 50 ms;
// - `agent-state search … --json` as a whole process <= 250 ms;
// - backfill with search <= 1.5x the backfill without (thread rows only);
// - the search index <= 20% of the rollout bytes.
// The anchor, in the same run over the same files: ripgrep as Codex's `thread/search` runs it,
// `rg -l -F -i <literal> <home>/sessions <home>/archived_sessions` (files, not ranked threads).
//
// SEARCH_BENCH_ROLLOUTS=300 shrinks the corpus while developing (targets are for 10,000).
//
// The package is measured as it ships, as rollout.bench.ts does: built with tsup into
// bench/dist/search/, so the extraction workers start from compiled JavaScript.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { openStateStore, stateDbPath } from '@agent-state/state';
import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  fixed,
  generateCorpus,
  type GeneratedCorpus,
  load,
  median,
  medianCli,
  percentile,
  repoRoot,
  reportBench,
  runCli,
  tempDirs,
} from '@agent-state/test-utils';
import { Bench } from 'tinybench';

import {
  buildRollout,
  cleanupOnSignal,
  defaultPool,
  flushWrites,
  packageDir,
  removeBenchBuild,
  timedBackfill,
} from './bench-support.js';
import type * as Rollout from '../src/index.js';

const ROLLOUTS = Number(process.env.SEARCH_BENCH_ROLLOUTS ?? 10_000);
/** Rounds of the two backfills (without and with search), their order alternating. */
const BACKFILL_ROUNDS = 3;
/** Warm runs of each ripgrep search, after one warm-up run. */
const RG_RUNS = 5;
const CLI_RUNS = 10;
const MB = 1_000_000;

const benchDistDir = join(packageDir, 'bench', 'dist');
const buildDir = join(benchDistDir, 'search');
const log = benchLogger('search bench');

/** Reads every byte of the files once (what `cat` does), so that every timed run finds them cached. */
function readAll(paths: readonly string[]): void {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

/** Removes the store files of a home (everything beside its rollout folders). */
function removeStore(home: string): void {
  for (const name of readdirSync(home)) {
    if (name !== 'sessions' && name !== 'archived_sessions') {
      rmSync(join(home, name), { recursive: true, force: true });
    }
  }
}

/** Backfills `corpusHome` into a fresh store in `storeHome`, with search or not; seconds. */
async function searchBackfill(
  runBackfill: typeof Rollout.runBackfill,
  storeHome: string,
  corpusHome: string,
  withSearch: boolean,
): Promise<number> {
  return timedBackfill({
    runBackfill,
    storeHome,
    corpusHome,
    expected: ROLLOUTS,
    derivedIndexNames: withSearch ? ['search'] : [],
    check: async (store) => {
      const coverage = await store.search.coverage();
      const expected = withSearch ? ROLLOUTS : 0;
      if (coverage.threads !== ROLLOUTS || coverage.indexed !== expected) {
        throw new Error(
          `after a backfill ${withSearch ? 'with' : 'without'} search the index covers ${coverage.indexed} of ${coverage.threads} threads, not ${expected}`,
        );
      }
    },
  });
}

/** The part of better-sqlite3 used here (a dependency of `state`, not of this package). */
interface SqliteDatabase {
  prepare(sql: string): { all(): unknown[] };
  close(): void;
}
type SqliteConstructor = new (path: string, options: { readonly: boolean }) => SqliteDatabase;

/** Bytes of the database's tables and indexes, by name, from SQLite's `dbstat` table. */
function tableBytes(dbPath: string): Map<string, number> {
  const Database = createRequire(join(repoRoot(), 'packages', 'state', 'package.json'))(
    'better-sqlite3',
  ) as SqliteConstructor;
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name')
      .all() as Array<{ name: string; bytes: number }>;
    return new Map(rows.map((row) => [row.name, row.bytes]));
  } finally {
    db.close();
  }
}

/** What search adds to a store: its tables (documents, FTS5 shadow tables, coverage) and index. */
const isSearchTable = (name: string) =>
  name.startsWith('search_') || name.startsWith('idx_search_');

/** One timed query: what searchThreads gets, and the literal ripgrep gets for it. */
interface Query {
  kind: 'rare word' | 'common word' | 'phrase' | 'prefix' | 'code token' | 'cwd-filtered';
  query: string;
  /** The nearest literal for `rg -F` (a prefix without its `*`, a phrase without quotes). */
  literal: string;
  cwds?: string[];
}

interface QueryResult extends Query {
  /** In-process median, ms, and its samples. */
  ms: number;
  samples: number;
  threads: number;
  /** Whether every match was ranked (else `threads` counts those of the newest matches only). */
  rankedAll: boolean;
  /** ripgrep's median, ms, and the files it listed (undefined: no ripgrep). */
  rgMs?: number;
  rgFiles?: number;
}

/** The ripgrep to compare with, or why there is none. */
function findRipgrep(): { version: string } | { missing: string } {
  const probe = spawnSync('rg', ['--version'], { encoding: 'utf8' });
  if (probe.error) return { missing: probe.error.message };
  if (probe.status !== 0) return { missing: `rg --version exited with ${probe.status}` };
  return { version: probe.stdout.split('\n')[0]!.trim() };
}

/** One `rg -l -F -i` over the home's rollout folders, as Codex's thread/search runs it. */
function runRipgrep(home: string, literal: string): { ms: number; files: number } {
  const t0 = performance.now();
  const child = spawnSync(
    'rg',
    ['-l', '-F', '-i', '--', literal, join(home, 'sessions'), join(home, 'archived_sessions')],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const ms = performance.now() - t0;
  if (child.error) throw child.error;
  // 1: nothing matched.
  if (child.status !== 0 && child.status !== 1) {
    throw new Error(`rg exited with ${child.status}: ${child.stderr}`);
  }
  return { ms, files: child.stdout.split('\n').filter((l) => l !== '').length };
}

/**
 * The rare words of the queries: the rarest single words of the vocabulary (its tail, which
 * only prompts and answers use) that the corpus holds, found through the index.
 */
async function rareWords(
  corpus: GeneratedCorpus,
  search: (query: string) => Promise<number>,
  count: number,
): Promise<Array<{ word: string; threads: number }>> {
  const found: Array<{ word: string; threads: number }> = [];
  for (const word of [...corpus.vocabulary!.words].reverse()) {
    if (!/^[a-z]+$/u.test(word)) continue;
    const threads = await search(word);
    if (threads > 0) found.push({ word, threads });
    if (found.length === count) return found;
  }
  throw new Error(
    `only ${found.length} of the vocabulary's rare words are in the corpus: is text: 'varied' generating prompts?`,
  );
}

/**
 * The whole-process rows: `agent-state search --json` for a rare and a common word (or, while the
 * built CLI has no `search` command, `threads list --json` as a placeholder), and `--version` as
 * the floor of any command.
 */
function cliRows(corpusHome: string, at: string, rareWord: string): BenchRow[] {
  const rows: BenchRow[] = [];
  const help = runCli(['--help']).stdout;
  if (/^\s+search\b/m.test(help)) {
    for (const query of [rareWord, 'error']) {
      // --all: the same threads as in-process and as ripgrep's folders.
      const args = ['--home', corpusHome, 'search', query, '--all', '--json'];
      const document = JSON.parse(runCli(args).stdout) as { hits?: unknown[] };
      if (!Array.isArray(document.hits) || document.hits.length === 0) {
        throw new Error(`agent-state search ${query} --json found nothing`);
      }
      log(`CLI: agent-state search ${query} --all --json × ${CLI_RUNS} …`);
      const timed = medianCli(args, CLI_RUNS);
      rows.push({
        name: `agent-state search ${query} --all --json (${at}, whole process)`,
        value: timed.ms,
        unit: 'ms (median)',
        target: { max: 250 },
        details: `${document.hits.length} hits; ${CLI_RUNS} runs after a warm-up: ${timed.all.map((ms) => Math.round(ms)).join(', ')}`,
      });
    }
  } else {
    log('the built CLI has no `search` command yet: timing `threads list --json` instead');
    const args = ['--home', corpusHome, 'threads', 'list', '--json'];
    JSON.parse(runCli(args).stdout);
    const timed = medianCli(args, CLI_RUNS);
    rows.push({
      name: `agent-state threads list --json (${at}, whole process; PLACEHOLDER: no search command in apps/cli/dist yet)`,
      value: timed.ms,
      unit: 'ms (median)',
      details: `${CLI_RUNS} runs after a warm-up: ${timed.all.map((ms) => Math.round(ms)).join(', ')}`,
    });
  }
  const bare = medianCli(['--version'], CLI_RUNS);
  rows.push({
    name: 'agent-state --version (process start-up floor)',
    value: bare.ms,
    unit: 'ms (median)',
    details: `${CLI_RUNS} runs after a warm-up`,
  });
  return rows;
}

const temp = tempDirs();
const removeSignalHandlers = cleanupOnSignal(() => {
  temp.cleanup();
  removeBenchBuild(buildDir);
});

try {
  const rows: BenchRow[] = [];
  const at = `${ROLLOUTS} rollouts`;
  log('building the package into bench/dist/search …');
  const { runBackfill, searchThreads } = await buildRollout(buildDir);
  const defaultWorkers = defaultPool();

  // 1. The corpus: rollout.bench.ts's size parameters, with varied conversation text.
  const corpusHome = temp.make('search-corpus');
  log(`generating ${at} with varied text in ${corpusHome} …`);
  const t0 = performance.now();
  const corpus = generateCorpus({
    home: corpusHome,
    count: ROLLOUTS,
    ...BENCH_CORPUS,
    text: 'varied',
  });
  const generateSeconds = (performance.now() - t0) / 1000;
  const vocabulary = corpus.vocabulary!;
  log(`  ${fixed(corpus.totalBytes / MB, 0)} MB in ${fixed(generateSeconds, 1)} s`);
  rows.push({
    name: `corpus of ${at}, varied text`,
    value: corpus.totalBytes / MB,
    unit: 'MB',
    details: `${corpus.files.filter((f) => f.archived).length} archived; vocabulary of ${vocabulary.words.length} entries (Zipf-like; the last ${vocabulary.conversationOnly} only in prompts and answers); generated in ${fixed(generateSeconds, 1)} s`,
  });
  flushWrites();
  // The page cache warm for the first timed run too, as for the others and as for ripgrep.
  readAll(corpus.files.map((f) => f.path));

  // 2. Backfill without search (thread rows only) and with it, each into a fresh store, the order
  // alternating between rounds so both run under the same load. The stores with search are made
  // in the corpus home itself, so the last one is there for the queries and the CLI.
  const runs = {
    without: { seconds: [] as number[], loads: [] as string[] },
    with: { seconds: [] as number[], loads: [] as string[] },
  };
  let withoutHome = '';
  for (let round = 0; round < BACKFILL_ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const);
    for (const kind of order) {
      const storeHome = kind === 'with' ? corpusHome : temp.make('search-store-without');
      if (kind === 'with') removeStore(corpusHome);
      else if (withoutHome !== '') rmSync(withoutHome, { recursive: true, force: true });
      if (kind === 'without') withoutHome = storeHome;
      log(`backfill round ${round + 1}/${BACKFILL_ROUNDS}, ${kind} search (${defaultWorkers}) …`);
      const before = load();
      runs[kind].loads.push(before);
      runs[kind].seconds.push(
        await searchBackfill(runBackfill, storeHome, corpusHome, kind === 'with'),
      );
      log(`  ${fixed(runs[kind].seconds.at(-1)!)} s (load average ${before} → ${load()})`);
    }
  }
  for (const kind of ['without', 'with'] as const) {
    const { seconds, loads } = runs[kind];
    rows.push({
      name: `backfill ${at} ${kind} search (default pool)`,
      value: median(seconds),
      unit: 's',
      details: `median of ${seconds.length} fresh stores; runs (s): ${seconds.map((s) => fixed(s)).join(', ')}; load avg before: ${loads.join(', ')}; ${fixed(corpus.totalBytes / MB / median(seconds), 0)} MB/s`,
    });
  }
  rows.push({
    name: `backfill ${at}: with search / without`,
    value: median(runs.with.seconds) / median(runs.without.seconds),
    unit: 'x',
    target: { max: 1.5 },
    details: `medians ${fixed(median(runs.with.seconds))} s / ${fixed(median(runs.without.seconds))} s, rounds interleaved (${defaultWorkers})`,
  });

  // 3. The index's size: the pages of the search tables (SQLite's dbstat), beside the whole
  // databases of the last two stores.
  {
    const withBytes = tableBytes(stateDbPath(corpusHome));
    const withoutBytes = tableBytes(stateDbPath(withoutHome));
    const sum = (bytes: Map<string, number>, keep: (name: string) => boolean) =>
      [...bytes].filter(([name]) => keep(name)).reduce((total, [, b]) => total + b, 0);
    const searchBytes = sum(withBytes, isSearchTable);
    const parts = [...withBytes]
      .filter(([name]) => isSearchTable(name))
      .sort((a, b) => b[1] - a[1])
      .map(([name, bytes]) => `${name} ${fixed(bytes / MB, 1)}`)
      .join(', ');
    const all = () => true;
    rows.push(
      {
        name: `search index of ${at}`,
        value: searchBytes / MB,
        unit: 'MB',
        details: `MB by table (dbstat): ${parts}; whole database ${fixed(sum(withBytes, all) / MB, 1)} MB with search, ${fixed(sum(withoutBytes, all) / MB, 1)} MB without`,
      },
      {
        name: `search index / rollout bytes`,
        value: (100 * searchBytes) / corpus.totalBytes,
        unit: '%',
        target: { max: 20 },
        details: `${fixed(searchBytes / MB, 1)} MB of ${fixed(corpus.totalBytes / MB, 0)} MB of rollouts`,
      },
    );
    rmSync(withoutHome, { recursive: true, force: true });
  }

  const ripgrep = findRipgrep();
  /** The rarest word of the queries, for the CLI. */
  let cliRareWord = '';
  const store = await openStateStore({ home: corpusHome });
  try {
    const search = (query: string, cwds?: string[]) =>
      searchThreads({ store, home: corpusHome, query, cwds, archived: 'all' });

    // 4. The queries. Rare words come from the vocabulary's tail; the rest are in its head and
    // middle (the common words are among its first ranks; the phrases, paths and identifiers are
    // its entries).
    const rare = await rareWords(corpus, async (word) => (await search(word)).totalThreads, 4);
    cliRareWord = rare[0]!.word;
    const queries: Query[] = [
      ...rare.map(({ word }): Query => ({ kind: 'rare word', query: word, literal: word })),
      { kind: 'common word', query: 'error', literal: 'error' },
      { kind: 'common word', query: 'file', literal: 'file' },
      { kind: 'common word', query: 'function', literal: 'function' },
      {
        kind: 'phrase',
        query: '"no such file or directory"',
        literal: 'no such file or directory',
      },
      { kind: 'phrase', query: '"database is locked"', literal: 'database is locked' },
      { kind: 'phrase', query: '"the file"', literal: 'the file' },
      { kind: 'prefix', query: 'migr*', literal: 'migr' },
      { kind: 'prefix', query: 'sched*', literal: 'sched' },
      { kind: 'prefix', query: 'tok*', literal: 'tok' },
      { kind: 'code token', query: 'useStateDbOnly', literal: 'useStateDbOnly' },
      {
        kind: 'code token',
        query: 'packages/rollout/src/indexer/index-rollouts.ts',
        literal: 'packages/rollout/src/indexer/index-rollouts.ts',
      },
      {
        kind: 'code token',
        query: 'ENOENT: no such file or directory',
        literal: 'ENOENT: no such file or directory',
      },
      { kind: 'code token', query: 'SQLITE_BUSY', literal: 'SQLITE_BUSY' },
      // ripgrep cannot filter by working directory: it gets the words alone.
      {
        kind: 'cwd-filtered',
        query: 'error',
        literal: 'error',
        cwds: ['/home/user/projects/repo-a'],
      },
      {
        kind: 'cwd-filtered',
        query: '"database is locked"',
        literal: 'database is locked',
        cwds: ['/home/user/projects/plain-c'],
      },
      {
        kind: 'cwd-filtered',
        query: 'migr*',
        literal: 'migr',
        cwds: ['/home/user/projects/repo-b'],
      },
    ];

    // 5. In-process, warm: each query on its own, at least 10 runs and 400 ms after 2 warm-up
    // runs (tinybench), then ripgrep on the same files.
    const results: QueryResult[] = [];
    for (const query of queries) {
      const check = await search(query.query, query.cwds);
      // Every query has matches in the corpus (the rare words were chosen so): none means the
      // index or the corpus lost text, and its time would measure nothing.
      if (check.totalThreads < 1 || check.hits.length < 1) {
        throw new Error(`the ${query.kind} query ${query.query} matched no thread`);
      }
      log(`${query.kind} ${query.query}${query.cwds ? ` in ${query.cwds[0]}` : ''} …`);
      const bench = new Bench({
        time: 400,
        iterations: 10,
        warmupTime: 0,
        warmupIterations: 2,
        throws: true,
      });
      bench.add(query.query, async () => {
        await search(query.query, query.cwds);
      });
      await bench.run();
      const latency = (bench.tasks[0]!.result as { latency?: { p50?: number; samples?: number[] } })
        ?.latency;
      if (latency?.p50 === undefined) throw new Error(`no result for ${query.query}`);
      const result: QueryResult = {
        ...query,
        ms: latency.p50,
        samples: latency.samples?.length ?? 0,
        threads: check.totalThreads,
        rankedAll: check.rankedAll,
      };
      if ('version' in ripgrep) {
        runRipgrep(corpusHome, query.literal);
        const rg = Array.from({ length: RG_RUNS }, () => runRipgrep(corpusHome, query.literal));
        result.rgMs = median(rg.map((r) => r.ms));
        result.rgFiles = rg[0]!.files;
        if (query.kind === 'rare word' && result.rgFiles < 1) {
          throw new Error(`ripgrep found no file holding the rare word ${query.query}`);
        }
      }
      log(
        `  ${fixed(result.ms)} ms, ${result.threads} threads; rg ${result.rgMs === undefined ? 'n/a' : `${fixed(result.rgMs, 0)} ms, ${result.rgFiles} files`}`,
      );
      results.push(result);
    }

    for (const result of results) {
      const scope = result.cwds ? ` in ${result.cwds[0]}` : '';
      const rg =
        result.rgMs === undefined
          ? 'rg: n/a'
          : `rg -F -i '${result.literal}': ${fixed(result.rgMs, 0)} ms, ${result.rgFiles} files`;
      rows.push({
        name: `searchThreads ${result.kind}: ${result.query}${scope}`,
        value: result.ms,
        unit: 'ms (median)',
        details: `${result.rankedAll ? '' : '>= '}${result.threads} threads${result.rankedAll ? '' : ' (only the newest matches ranked)'}; ${result.samples} samples; ${rg}`,
      });
    }
    const medians = results.map((r) => r.ms);
    const slowest = [...results].sort((a, b) => b.ms - a.ms)[0]!;
    rows.push(
      {
        name: `searchThreads, ${results.length} queries, in-process: median`,
        value: median(medians),
        unit: 'ms',
        target: { max: 20 },
        details: `median of the per-query medians (warm, archived: 'all', limit 20)`,
      },
      {
        name: `searchThreads, ${results.length} queries, in-process: p95`,
        value: percentile(medians, 95),
        unit: 'ms',
        target: { max: 50 },
        details: `p95 (nearest rank) of the per-query medians; slowest: ${slowest.kind} ${slowest.query} ${fixed(slowest.ms)} ms`,
      },
    );
    if ('version' in ripgrep) {
      const rgMedians = results.map((r) => r.rgMs!);
      const rgSlowest = [...results].sort((a, b) => b.rgMs! - a.rgMs!)[0]!;
      rows.push(
        {
          name: `ripgrep (rg -l -F -i), same ${results.length} queries: median`,
          value: median(rgMedians),
          unit: 'ms',
          details: `${ripgrep.version}; median of ${RG_RUNS} warm runs per query, then of the queries; files, not ranked threads; no cwd filter`,
        },
        {
          name: `ripgrep (rg -l -F -i), same ${results.length} queries: p95`,
          value: percentile(rgMedians, 95),
          unit: 'ms',
          details: `slowest: ${rgSlowest.literal} ${fixed(rgSlowest.rgMs!, 0)} ms`,
        },
        {
          name: 'ripgrep / searchThreads, median of the queries',
          value: median(rgMedians) / median(medians),
          unit: 'x',
          details: 'how many times faster the index answers than a scan of the files',
        },
      );
    } else {
      rows.push({
        name: 'ripgrep (rg -l -F -i), the anchor: NOT FOUND',
        value: Number.NaN,
        unit: 'ms',
        details: `no ripgrep on this machine (${ripgrep.missing}): install it (Debian: apt-get install ripgrep)`,
      });
    }
  } finally {
    await store.close();
  }

  // 6. The CLI as a whole process over the corpus home (its store has the search index). A
  // failure here becomes a row, not a crash, so that the figures above are still reported.
  try {
    rows.push(...cliRows(corpusHome, at, cliRareWord));
  } catch (error) {
    rows.push({
      name: `agent-state search --json (${at}, whole process): FAILED`,
      value: Number.NaN,
      unit: 'ms',
      target: { max: 250 },
      details: error instanceof Error ? error.message.slice(0, 300) : String(error),
    });
  }

  const ok = reportBench('search', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
  removeBenchBuild(buildDir);
  removeSignalHandlers();
}
