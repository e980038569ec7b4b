// Benchmark of the PostgreSQL store (`pnpm bench`). Targets come from the PostgreSQL store's
// issue, on the 10,000-rollout bench corpus of the rollout package (`BENCH_CORPUS`,
// `text: 'varied'`), backfilled into its home's SQLite store by the built CLI:
// 1. `syncHome` in-process of the whole home (threads, search documents, usage records) into a
//    fresh database of a local server <= 10 s;
// 2. `syncHome` after 10 threads changed <= 200 ms (median of rounds, 10 fresh threads each), and
//    a sync with nothing changed;
// 3. the first page of `threads.list` (25 threads) over 50,000 threads of 5 homes, read across
//    homes in-process, warm: median and p95 of 50 runs <= 5 ms (default order, `updated`, a cwd);
// 4. `search.search({ query, limit: 20 })` of 17 queries (rare and common words, phrases,
//    prefixes, code tokens), warm: median of the per-query medians and their p95 <= 50 ms, over
//    the pushed home alone on the server, over the same home once 4 more homes were written after
//    it (its documents then have the oldest ids), and across the 5 homes.
// Each beside its anchor in the same run: the SQLite store doing the same thing on the same data
// (the backfill of the home and a copy of its rows into a fresh SQLite store through the same
// reads and `index.write`; the SQLite write of the 10 changes; `threads.list` and the same queries
// on the SQLite store).
//
// The server is a throwaway cluster of `startTestPostgres` (or AGENT_STATE_TEST_PG_URL's) on this
// machine, durability off (no fsync), with 1 GB of shared buffers, as a server for a team would be
// given memory for its data (PostgreSQL's own default, 128 MB, is for a laptop: the search table
// of the 5 homes is about 1 GB): client and server share its cores, so the push rows also give
// the CPU time of this process and of the cluster's processes, which tell which side bounds the
// time. The 4 further
// homes are the corpus home's rows under other ids (each thread id changed in one hex digit, its
// times shifted by a few minutes a home), written through each home's `index.write`; then
// `VACUUM ANALYZE` (what autovacuum does to new tables soon after) before the reads.
//
//   pnpm --filter @agent-state/postgres... --filter @agent-state/cli build
//   cd packages/postgres && npx tsx bench/postgres.bench.ts
//
// PG_BENCH_ROLLOUTS=500 shrinks the corpus while developing (targets are for 10,000). The
// package's `bench` script then runs search-usage-write.bench.ts (the writers alone; a minute).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  type AgentStateStore,
  type IndexedThread,
  SEARCH_INDEX_NAME,
  type ThreadMetadata,
  type ThreadsPageOptions,
  USAGE_INDEX_NAME,
  type UsageRecord,
  openStateStore,
} from '@agent-state/state';
import {
  BENCH_CORPUS,
  type BenchRow,
  benchLogger,
  fixed,
  generateCorpus,
  load,
  median,
  percentile,
  repoRoot,
  reportBench,
  runCli,
  startTestPostgres,
  tempDirs,
} from '@agent-state/test-utils';
import { sql } from 'kysely';

import { type PostgresStore, openPostgresStore, syncHome } from '../src/index.js';
import { threadFingerprint } from '../src/sync/thread-fingerprint.js';

const ROLLOUTS = Number(process.env.PG_BENCH_ROLLOUTS ?? 10_000);
/** Homes of the listing and of the search across homes (the corpus home and copies). */
const HOMES = 5;
/** Threads changed before each timed incremental sync. */
const CHANGED = 10;
/** Timed incremental syncs (10 fresh threads each), and as many with nothing changed. */
const SYNC_ROUNDS = 9;
/** Warm runs of each listing, after 5 warm-up runs. */
const LIST_RUNS = 50;
/** Warm runs of each query, after 2 warm-up runs. */
const SEARCH_RUNS = 10;
/** Threads per `index.write` of the SQLite copy and of the further homes (syncHome's default). */
const BATCH = 200;
const MB = 1_000_000;

const log = benchLogger('postgres bench');
const at = `${ROLLOUTS} rollouts`;

/** Milliseconds that `run` takes, and what it returned. */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

/** CPU milliseconds of this process so far. */
function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** utime, stime, cutime, cstime of a process, ms (Linux), or undefined when it is gone. */
function procTimes(pid: number): { own: number; children: number; ppid: number } | undefined {
  try {
    // After the command's closing parenthesis: state, ppid, …, utime (14th field) onwards.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const tick = 10; // USER_HZ is 100 on Linux
    return {
      ppid: Number(fields[1]),
      own: (Number(fields[11]) + Number(fields[12])) * tick,
      children: (Number(fields[13]) + Number(fields[14])) * tick,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds of a local cluster so far: its postmaster (with its ended children, which it
 * waited for) and its live children (the backends of the pool, the writer, the WAL writer, …).
 * Undefined when the server is not on this machine (or not on Linux).
 */
function clusterCpuMs(postmaster: number | undefined): number | undefined {
  if (postmaster === undefined) return undefined;
  const root = procTimes(postmaster);
  if (!root) return undefined;
  let ms = root.own + root.children;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/u.test(name)) continue;
    const child = procTimes(Number(name));
    if (child?.ppid === postmaster) ms += child.own;
  }
  return ms;
}

/** The postmaster of the server a store talks to, when it runs on this machine. */
async function postmasterOf(store: PostgresStore): Promise<number | undefined> {
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(
    store.context.db,
  );
  const backend = procTimes(Number(rows[0]!.pid));
  return backend && backend.ppid > 1 ? backend.ppid : undefined;
}

/** Every thread of a store, in id order. */
async function allThreads(store: AgentStateStore): Promise<ThreadMetadata[]> {
  const threads: ThreadMetadata[] = [];
  for (let afterId: string | undefined; ;) {
    const page = await store.threads.scan({ limit: 2_000, afterId });
    threads.push(...page);
    if (page.length < 2_000) return threads;
    afterId = page.at(-1)!.id;
  }
}

/** A thread as `syncHome` reads it from the home's store: row, tools, documents, usage records. */
async function readEntry(store: AgentStateStore, thread: ThreadMetadata): Promise<IndexedThread> {
  const [dynamicTools, documents, records] = await Promise.all([
    store.dynamicTools.get(thread.id),
    store.search.documents(thread.id),
    store.usage.records(thread.id),
  ]);
  return {
    metadata: thread,
    dynamicTools,
    derived: {
      [SEARCH_INDEX_NAME]: documents,
      // As syncHome sends them: the writer marks a legacy fork's copied records itself.
      [USAGE_INDEX_NAME]: records.map((record): UsageRecord =>
        record.excluded === 'inherited' ? { ...record, excluded: null, excludedBy: null } : record,
      ),
    },
  };
}

/** Thread ids of the `k`-th further home: the last hex digit XOR `k` (one-to-one in a home). */
function otherId(id: string, k: number): string {
  return `${id.slice(0, -1)}${(Number.parseInt(id.slice(-1), 16) ^ k).toString(16)}`;
}

/** An entry of the corpus home as the `k`-th further home has it: other ids, shifted times. */
function asOtherHome(entry: IndexedThread, k: number): IndexedThread {
  const meta = entry.metadata;
  const shift = k * 217; // seconds: the homes' threads interleave in every order
  const remap = (id: string | null) => (id === null ? null : otherId(id, k));
  const records = (entry.derived?.[USAGE_INDEX_NAME] ?? []) as UsageRecord[];
  return {
    metadata: {
      ...meta,
      id: otherId(meta.id, k),
      rolloutPath: meta.rolloutPath.replace(meta.id, otherId(meta.id, k)),
      createdAt: meta.createdAt + shift,
      updatedAt: meta.updatedAt + shift,
      parentThreadId: remap(meta.parentThreadId),
      forkedFromId: remap(meta.forkedFromId),
    },
    dynamicTools: entry.dynamicTools,
    derived: {
      [SEARCH_INDEX_NAME]: entry.derived?.[SEARCH_INDEX_NAME] ?? [],
      [USAGE_INDEX_NAME]: records.map((record) => ({
        ...record,
        forkedFromId: remap(record.forkedFromId),
      })),
    },
  };
}

/** `items` in slices of `size`. */
function batches<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

/** Median and p95 (nearest rank) of `runs` warm runs of `run`, after `warmup` runs. */
async function warmRuns(
  run: () => Promise<unknown>,
  runs: number,
  warmup: number,
): Promise<{ median: number; p95: number; all: number[] }> {
  for (let i = 0; i < warmup; i += 1) await run();
  const all: number[] = [];
  for (let i = 0; i < runs; i += 1) all.push((await timed(run)).ms);
  return { median: median(all), p95: percentile(all, 95), all };
}

/** One timed query. */
interface Query {
  kind: 'rare word' | 'common word' | 'phrase' | 'prefix' | 'code token';
  query: string;
}

/** The rarest words of the corpus vocabulary (its tail) that the home's store finds. */
async function rareWords(
  words: readonly string[],
  store: AgentStateStore,
  count: number,
): Promise<string[]> {
  const found: string[] = [];
  for (const word of [...words].reverse()) {
    if (!/^[a-z]+$/u.test(word)) continue;
    const page = await store.search.search({ query: word, limit: 20 });
    if (page.totalThreads > 0) found.push(word);
    if (found.length === count) return found;
  }
  throw new Error(`only ${found.length} of the vocabulary's rare words are in the corpus`);
}

const QUERIES: readonly Query[] = [
  { kind: 'common word', query: 'error' },
  { kind: 'common word', query: 'file' },
  { kind: 'common word', query: 'function' },
  { kind: 'phrase', query: '"no such file or directory"' },
  { kind: 'phrase', query: '"database is locked"' },
  { kind: 'phrase', query: '"the file"' },
  { kind: 'prefix', query: 'migr*' },
  { kind: 'prefix', query: 'sched*' },
  { kind: 'prefix', query: 'tok*' },
  { kind: 'code token', query: 'useStateDbOnly' },
  { kind: 'code token', query: 'packages/rollout/src/indexer/index-rollouts.ts' },
  { kind: 'code token', query: 'ENOENT: no such file or directory' },
  { kind: 'code token', query: 'SQLITE_BUSY' },
];

/** The queries' timings on one store, in the queries' order. */
interface SearchOutcome {
  results: Array<{ query: string; ms: number; threads: string }>;
  /** The load average when the queries started. */
  load: string;
}

/** Each query on `store`, warm: the median of its runs, and the threads it matched. */
async function searchAll(
  store: AgentStateStore,
  queries: readonly Query[],
): Promise<SearchOutcome> {
  const outcome: SearchOutcome = { results: [], load: load() };
  for (const { query } of queries) {
    const page = await store.search.search({ query, limit: 20 });
    // Every query matches in the corpus: none means lost text, and its time would measure nothing.
    if (page.hits.length === 0) throw new Error(`the query ${query} found nothing`);
    const runs = await warmRuns(() => store.search.search({ query, limit: 20 }), SEARCH_RUNS, 2);
    outcome.results.push({
      query,
      ms: runs.median,
      threads: `${page.rankedAll ? '' : '>= '}${page.totalThreads}`,
    });
  }
  return outcome;
}

const temp = tempDirs();
const onSignal = () => {
  temp.cleanup();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

const rows: BenchRow[] = [];
const server = await startTestPostgres({ logger: log, settings: { shared_buffers: '1GB' } });
const opened: Array<{ close(): Promise<void> }> = [];
try {
  const cliBin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');
  if (!existsSync(cliBin)) {
    throw new Error(`${cliBin} is missing: build the CLI first (pnpm build)`);
  }

  // The corpus, backfilled into its home's SQLite store by the CLI (a process of its own).
  const corpusHome = temp.make('pg-bench-corpus');
  log(`generating ${at} with varied text in ${corpusHome} …`);
  const generated = await timed(async () =>
    generateCorpus({ home: corpusHome, count: ROLLOUTS, ...BENCH_CORPUS, text: 'varied' }),
  );
  const corpus = generated.value;
  log(`  ${fixed(corpus.totalBytes / MB, 0)} MB in ${fixed(generated.ms / 1000, 1)} s`);
  if (process.platform !== 'win32') spawnSync('sync');
  log('backfilling it (agent-state backfill --json) …');
  const backfillLoad = load();
  const backfill = runCli(['--home', corpusHome, 'backfill', '--json']);
  const backfilled = JSON.parse(backfill.stdout) as { upserted?: number; failed?: number };
  if (backfilled.upserted !== ROLLOUTS || backfilled.failed) {
    throw new Error(`the backfill indexed ${backfilled.upserted} of ${ROLLOUTS} rollouts`);
  }
  log(`  ${fixed(backfill.ms / 1000)} s`);

  const source = await openStateStore({ home: corpusHome });
  opened.push(source);
  const threads = await allThreads(source);
  const [searchCoverage, usageCoverage] = await Promise.all([
    source.search.coverage(),
    source.usage.coverage(),
  ]);
  if (searchCoverage.indexed !== threads.length || usageCoverage.indexed !== threads.length) {
    throw new Error(
      `the backfilled store covers ${searchCoverage.indexed} (search) and ${usageCoverage.indexed} (usage) of ${threads.length} threads`,
    );
  }

  // 1. The push. Anchors first: what syncHome reads of the home, alone; the same reads written
  // into a fresh SQLite store through index.write.
  log(`reading the ${threads.length} threads with their tools, documents and records …`);
  const readLoad = load();
  const read = await timed(async () => {
    for (const batch of batches(threads, BATCH)) {
      await Promise.all(batch.map((thread) => readEntry(source, thread)));
    }
  });
  log(`copying them into a fresh SQLite store (anchor) …`);
  const copyHome = temp.make('pg-bench-sqlite-copy');
  const copyLoad = load();
  const copy = await timed(async () => {
    const target = await openStateStore({ home: copyHome });
    try {
      for (const batch of batches(threads, BATCH)) {
        await target.index.write(
          await Promise.all(batch.map((thread) => readEntry(source, thread))),
        );
      }
    } finally {
      await target.close();
    }
  });
  log(`  ${fixed(copy.ms / 1000)} s`);

  const url = await server.createDatabase();
  const target = await openPostgresStore({ url, home: corpusHome });
  opened.push(target);
  const postmaster = await postmasterOf(target);
  log(`syncHome of ${threads.length} threads into a fresh database …`);
  const pushLoad = load();
  const clientBefore = processCpuMs();
  const serverBefore = clusterCpuMs(postmaster);
  const push = await timed(() => syncHome({ source, target }));
  const clientMs = processCpuMs() - clientBefore;
  const serverAfter = clusterCpuMs(postmaster);
  const serverMs =
    serverBefore === undefined || serverAfter === undefined
      ? undefined
      : serverAfter - serverBefore;
  const pushed = push.value;
  if (pushed.pushed !== threads.length) {
    throw new Error(`syncHome pushed ${pushed.pushed} of ${threads.length} threads`);
  }
  const seconds = push.ms / 1000;
  log(`  ${fixed(seconds)} s: ${pushed.documents} documents, ${pushed.usageRecords} usage records`);
  const cpu = `CPU: this process ${fixed(clientMs / 1000, 1)} s, server ${serverMs === undefined ? 'n/a (not local)' : `${fixed(serverMs / 1000, 1)} s`}`;
  rows.push(
    {
      name: `syncHome: push of ${at} into a fresh database (in-process)`,
      value: seconds,
      unit: 's',
      target: { max: 10 },
      details: `${pushed.pushed} threads, ${pushed.documents} search documents, ${pushed.usageRecords} usage records: ${Math.round(pushed.pushed / seconds)} threads/s, ${Math.round(pushed.documents / seconds)} documents/s, ${Math.round(pushed.usageRecords / seconds)} records/s; ${cpu}; load ${pushLoad}`,
    },
    {
      name: `  of which: reading the home's rows, tools, documents and records from SQLite`,
      value: read.ms / 1000,
      unit: 's',
      details: `what syncHome reads of the home, alone (batches of ${BATCH}); load ${readLoad}`,
    },
    {
      name: `anchor: the same reads written into a fresh SQLite store (index.write of ${BATCH})`,
      value: copy.ms / 1000,
      unit: 's',
      details: `${Math.round(pushed.documents / (copy.ms / 1000))} documents/s; load ${copyLoad}`,
    },
    {
      name: `anchor: backfill of the home into SQLite (agent-state backfill --json, whole process)`,
      value: backfill.ms / 1000,
      unit: 's',
      details: `reads and extracts ${fixed(corpus.totalBytes / MB, 0)} MB of rollouts; ${Math.round(ROLLOUTS / (backfill.ms / 1000))} rollouts/s; load ${backfillLoad}`,
    },
  );
  await sql`VACUUM ANALYZE`.execute(target.context.db);

  // 4a. Search over the pushed home, the only home on the server, and on the SQLite store.
  const rare = await rareWords(corpus.vocabulary!.words, source, 4);
  const queries: Query[] = [
    ...rare.map((word): Query => ({ kind: 'rare word', query: word })),
    ...QUERIES,
  ];
  log('search: the SQLite store …');
  const sqliteSearch = await searchAll(source, queries);
  log('search: the pushed home, alone on the server …');
  const aloneSearch = await searchAll(target, queries);

  // 2. Incremental syncs: 10 fresh threads changed in the SQLite store (title edited, written
  // back with their tools and records as the indexer would), then syncHome; then none changed.
  await syncHome({ source, target }); // warm, nothing to push
  const step = Math.max(Math.floor(threads.length / (SYNC_ROUNDS * CHANGED)), 1);
  const changedSync: number[] = [];
  const localWrite: number[] = [];
  const syncLoads: string[] = [];
  for (let round = 0; round < SYNC_ROUNDS; round += 1) {
    const chosen = Array.from(
      { length: CHANGED },
      (_, i) => threads[((round * CHANGED + i) * step) % threads.length]!,
    );
    const entries = await Promise.all(
      chosen.map(async (thread) => {
        const entry = await readEntry(source, thread);
        return { ...entry, metadata: { ...thread, title: `${thread.title} (edited ${round})` } };
      }),
    );
    localWrite.push((await timed(() => source.index.write(entries))).ms);
    syncLoads.push(load());
    const sync = await timed(() => syncHome({ source, target }));
    if (sync.value.pushed !== CHANGED) {
      throw new Error(`the sync after ${CHANGED} changes pushed ${sync.value.pushed} threads`);
    }
    changedSync.push(sync.ms);
  }
  const unchangedSync: number[] = [];
  for (let round = 0; round < SYNC_ROUNDS; round += 1) {
    const sync = await timed(() => syncHome({ source, target }));
    if (sync.value.pushed !== 0) throw new Error(`an idle sync pushed ${sync.value.pushed}`);
    unchangedSync.push(sync.ms);
  }
  // What every sync does whatever changed: read every local row, fingerprint each.
  const scan = await warmRuns(() => allThreads(source), 5, 1);
  const local = await allThreads(source);
  const parts = { search: true, usage: true, redacted: false };
  const fingerprints = await warmRuns(
    async () => local.map((thread) => threadFingerprint(thread, parts)),
    5,
    1,
  );
  const list = (values: number[]) => values.map((ms) => fixed(ms, 0)).join(', ');
  rows.push(
    {
      name: `syncHome after ${CHANGED} threads changed (${threads.length} in the home)`,
      value: median(changedSync),
      unit: 'ms (median)',
      target: { max: 200 },
      details: `${SYNC_ROUNDS} rounds, ${CHANGED} fresh threads each: ${list(changedSync)} ms; load ${syncLoads.join(', ')}`,
    },
    {
      name: 'syncHome with nothing changed',
      value: median(unchangedSync),
      unit: 'ms (median)',
      details: `${SYNC_ROUNDS} rounds: ${list(unchangedSync)} ms; load ${load()}`,
    },
    {
      name: `  of which: reading the ${local.length} local thread rows (SQLite threads.scan)`,
      value: scan.median,
      unit: 'ms (median)',
      details: `5 runs: ${list(scan.all)} ms`,
    },
    {
      name: `  of which: the ${local.length} fingerprints (threadFingerprint: canonical JSON, SHA-256)`,
      value: fingerprints.median,
      unit: 'ms (median)',
      details: `5 runs: ${list(fingerprints.all)} ms`,
    },
    {
      name: `anchor: SQLite index.write of the ${CHANGED} changed threads`,
      value: median(localWrite),
      unit: 'ms (median)',
      details: `rows, tools, documents and usage records; ${SYNC_ROUNDS} rounds: ${list(localWrite)} ms`,
    },
  );

  // The further homes: the corpus home's rows under other thread ids and other home ids, written
  // after it (their documents have the newest ids).
  log(`writing ${HOMES - 1} further homes of ${threads.length} threads …`);
  const others: PostgresStore[] = [];
  for (let k = 1; k < HOMES; k += 1) {
    const store = await openPostgresStore({ url, home: temp.make(`pg-bench-home-${k}`) });
    opened.push(store);
    others.push(store);
  }
  const fill = await timed(async () => {
    for (const batch of batches(threads, BATCH)) {
      const entries = await Promise.all(batch.map((thread) => readEntry(source, thread)));
      for (const [i, store] of others.entries()) {
        await store.index.write(entries.map((entry) => asOtherHome(entry, i + 1)));
      }
    }
  });
  log(`  ${fixed(fill.ms / 1000)} s; VACUUM ANALYZE …`);
  await sql`VACUUM ANALYZE`.execute(target.context.db);
  const across = await openPostgresStore({ url, home: corpusHome, acrossHomes: true });
  opened.push(across);
  const total = await across.threads.count();
  if (total !== HOMES * threads.length) {
    throw new Error(`the server holds ${total} threads, not ${HOMES * threads.length}`);
  }
  rows.push({
    name: `${HOMES - 1} further homes of ${threads.length} threads each (index.write of ${BATCH}, documents and records too)`,
    value: fill.ms / 1000,
    unit: 's',
    details: `for the reads across homes: ${total} threads in ${HOMES} homes`,
  });

  // 3. The first page of the thread list, warm.
  const cwdCounts = new Map<string, number>();
  for (const thread of threads) cwdCounts.set(thread.cwd, (cwdCounts.get(thread.cwd) ?? 0) + 1);
  const [cwd, cwdThreads] = [...cwdCounts].sort((a, b) => a[1] - b[1])[
    Math.floor(cwdCounts.size / 2)
  ]!;
  const listings: Array<{ label: string; options: ThreadsPageOptions }> = [
    { label: 'created (default)', options: { pageSize: 25 } },
    { label: 'updated', options: { pageSize: 25, sortKey: 'updated' } },
    { label: `cwd ${cwd}`, options: { pageSize: 25, cwds: [cwd] } },
  ];
  for (const { label, options } of listings) {
    log(`threads.list ${label} …`);
    const listLoad = load();
    const sqlite = await warmRuns(() => source.threads.list(options), LIST_RUNS, 5);
    const home = await warmRuns(() => target.threads.list(options), LIST_RUNS, 5);
    const all = await warmRuns(() => across.threads.list(options), LIST_RUNS, 5);
    const page = await across.threads.list(options);
    if (page.items.length !== 25) throw new Error(`the ${label} page has ${page.items.length}`);
    const homesOnPage = new Set(page.items.map((t) => t.origin?.homeId)).size;
    const name = `threads.list first page of 25, ${label}, ${HOMES} homes (${total} threads)`;
    rows.push(
      {
        name: `${name}: median`,
        value: all.median,
        unit: 'ms',
        target: { max: 5 },
        details: `${LIST_RUNS} warm runs; ${homesOnPage} homes on the page${label.startsWith('cwd') ? `; the cwd holds ${cwdThreads} threads a home` : ''}; load ${listLoad}`,
      },
      {
        name: `${name}: p95`,
        value: all.p95,
        unit: 'ms',
        target: { max: 5 },
        details: `PostgreSQL, the pushed home's store: median ${fixed(home.median)} ms, p95 ${fixed(home.p95)} ms`,
      },
      {
        name: `anchor: SQLite threads.list, ${label} (${threads.length} threads): median`,
        value: sqlite.median,
        unit: 'ms',
        details: `p95 ${fixed(sqlite.p95)} ms`,
      },
    );
  }

  // 4b. Search again: the pushed home among 5 (the oldest documents), and across the 5 homes.
  log('search: the pushed home, among 5 homes …');
  const amongSearch = await searchAll(target, queries);
  log('search: across the 5 homes …');
  const acrossSearch = await searchAll(across, queries);
  for (const [i, { kind, query }] of queries.entries()) {
    const alone = aloneSearch.results[i]!;
    const among = amongSearch.results[i]!;
    const all = acrossSearch.results[i]!;
    const sqlite = sqliteSearch.results[i]!;
    rows.push({
      name: `search ${kind}: ${query}, the pushed home alone on the server`,
      value: alone.ms,
      unit: 'ms (median)',
      details: `${alone.threads} threads; SQLite ${fixed(sqlite.ms)} ms (${sqlite.threads}); the home among ${HOMES} ${fixed(among.ms)} ms; across ${HOMES} homes ${fixed(all.ms)} ms (${all.threads})`,
    });
  }
  const summary = (
    outcome: SearchOutcome,
    label: string,
    target: { max: number } | undefined,
  ): void => {
    const medians = outcome.results.map((result) => result.ms);
    const slowest = outcome.results.reduce((a, b) => (b.ms > a.ms ? b : a));
    rows.push(
      {
        name: `search, ${queries.length} queries, ${label}: median of the per-query medians`,
        value: median(medians),
        unit: 'ms',
        ...(target ? { target } : {}),
        details: `${SEARCH_RUNS} warm runs a query after 2, limit 20, active threads; load ${outcome.load}`,
      },
      {
        name: `search, ${queries.length} queries, ${label}: p95 of the per-query medians`,
        value: percentile(medians, 95),
        unit: 'ms',
        ...(target ? { target } : {}),
        details: `slowest: ${slowest.query} ${fixed(slowest.ms)} ms`,
      },
    );
  };
  const target50 = { max: 50 };
  summary(aloneSearch, `PostgreSQL, the pushed home alone (${threads.length} threads)`, target50);
  summary(amongSearch, `PostgreSQL, the pushed home among ${HOMES} (oldest ids)`, target50);
  summary(acrossSearch, `PostgreSQL, across ${HOMES} homes (${total} threads)`, target50);
  summary(sqliteSearch, `anchor: SQLite (${threads.length} threads)`, undefined);
} catch (error) {
  // The figures measured so far are still reported.
  rows.push({
    name: 'FAILED',
    value: Number.NaN,
    unit: '',
    target: { max: 0 },
    details: error instanceof Error ? (error.stack ?? error.message).slice(0, 2000) : String(error),
  });
} finally {
  for (const store of opened.reverse()) await store.close().catch(() => undefined);
  await server.stop();
  temp.cleanup();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
if (!reportBench('postgres', rows)) process.exitCode = 1;
