// How fast the PostgreSQL store takes a home's search documents and usage records, and how long
// a search takes over them. The home is the 10,000-rollout bench corpus of the rollout package
// (`BENCH_CORPUS`, `text: 'varied'`: conversation text that varies per thread), extracted once
// and kept as JSON lines in the bench folder (`PG_BENCH_DIR`, default a temporary folder). Then,
// on a fresh database of the server of AGENT_STATE_TEST_PG_URL (or a throwaway cluster):
// - the thread rows alone, in batches of 500 threads (what every writer pays anyway);
// - the search writer and the usage writer alone, each in one transaction per batch, on those
//   rows: documents/s and records/s (and the usage of 50 calls a thread, which the corpus lacks),
//   with the CPU time of this process and of the server's backend, which tell which of the two
//   bounds the rate;
// - a second push of the same batches, which keeps every document (nothing changed);
// - a few searches, warm: median of 5 runs each.
//
//   AGENT_STATE_TEST_PG_URL=postgres://… npx tsx bench/search-usage-write.bench.ts
//
// PG_BENCH_ROLLOUTS shrinks the corpus while developing.
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

import {
  type IndexedThread,
  SEARCH_INDEX_NAME,
  USAGE_INDEX_NAME,
  type UsageRecord,
} from '@agent-state/state';
import {
  BENCH_CORPUS,
  generateCorpus,
  median,
  startTestPostgres,
  tempDirs,
} from '@agent-state/test-utils';

import { type Transaction, sql } from 'kysely';

import { extractRolloutMetadata } from '../../rollout/src/index.js';
import { openPostgresStore } from '../src/index.js';
import type { PostgresDatabase } from '../src/schema/postgres-schema.js';
import { POSTGRES_SEARCH_INDEX } from '../src/search/postgres-search-index.js';
import { POSTGRES_USAGE_INDEX } from '../src/usage/postgres-usage-index.js';

const ROLLOUTS = Number(process.env.PG_BENCH_ROLLOUTS ?? 10_000);
/** Model calls of each thread in the synthetic usage push. */
const SYNTHETIC_CALLS = 50;
const BATCH = 500;
const dir = process.env.PG_BENCH_DIR ?? join(tmpdir(), `agent-state-pg-bench-${ROLLOUTS}`);
const entriesPath = join(dir, 'entries.jsonl');

async function loadEntries(): Promise<IndexedThread[]> {
  if (!existsSync(entriesPath)) {
    mkdirSync(dir, { recursive: true });
    const home = join(dir, 'home');
    const started = performance.now();
    const { files } = generateCorpus({ home, count: ROLLOUTS, ...BENCH_CORPUS, text: 'varied' });
    const lines: string[] = [];
    for (const file of files) {
      const rollout = extractRolloutMetadata(file.path, { defaultProvider: 'openai' });
      if (!rollout.metadata) continue;
      const entry: IndexedThread = { metadata: rollout.metadata, derived: rollout.derived };
      lines.push(JSON.stringify(entry));
    }
    writeFileSync(entriesPath, `${lines.join('\n')}\n`);
    console.log(`corpus extracted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const entries: IndexedThread[] = [];
  for await (const line of createInterface({ input: createReadStream(entriesPath) })) {
    if (line) entries.push(JSON.parse(line) as IndexedThread);
  }
  return entries;
}

/** The `k`-th counted call of a thread, a minute apart, its running totals growing. */
function syntheticCall(k: number): UsageRecord {
  return {
    line: 3 * k + 2,
    ordinal: null,
    timeMs: Date.parse('2026-11-21T05:00:00Z') + k * 60_000,
    turnId: `turn-${k}`,
    model: 'gpt-5.5',
    source: 'token_count',
    inputTokens: 1000,
    cachedInputTokens: 500,
    cacheWriteInputTokens: null,
    outputTokens: 100,
    reasoningOutputTokens: 20,
    totalTokens: 1100,
    runningInputTokens: (k + 1) * 1000,
    runningOutputTokens: (k + 1) * 100,
    runningTotalTokens: (k + 1) * 1100,
    excluded: null,
    excludedBy: null,
    forkedFromId: null,
  };
}

function batches<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}

async function main(): Promise<void> {
  const entries = await loadEntries();
  const documents = entries.reduce((n, e) => n + (e.derived?.[SEARCH_INDEX_NAME]?.length ?? 0), 0);
  const records = entries.reduce((n, e) => n + (e.derived?.[USAGE_INDEX_NAME]?.length ?? 0), 0);
  const textBytes = entries.reduce(
    (n, e) =>
      n +
      (e.derived?.[SEARCH_INDEX_NAME] ?? []).reduce(
        (m: number, d) => m + Buffer.byteLength((d as { text: string }).text),
        0,
      ),
    0,
  );
  console.log(
    `${entries.length} threads, ${documents} documents (${(textBytes / 1e6).toFixed(0)} MB of text), ${records} usage records`,
  );

  const server = await startTestPostgres();
  const temp = tempDirs();
  try {
    const url = await server.createDatabase();
    const store = await openPostgresStore({ url, home: temp.make('home') });
    const homeId = store.homeId!;
    const timed = async (label: string, run: () => Promise<void>): Promise<number> => {
      const started = performance.now();
      await run();
      const seconds = (performance.now() - started) / 1000;
      console.log(`${label}: ${seconds.toFixed(2)} s`);
      return seconds;
    };
    const groups = batches(entries, BATCH);
    // CPU of this process and of the server process of each transaction (on this machine: the
    // cluster is local), which say which side bounds the rate on a machine shared with others.
    let serverMs = 0;
    const backendCpuMs = (pid: number): number => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
    const inTransaction = async (run: (trx: Transaction<PostgresDatabase>) => Promise<void>) => {
      await store.context.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        const pid = rows[0]!.pid;
        const before = existsSync(`/proc/${pid}/stat`) ? backendCpuMs(pid) : undefined;
        await run(trx);
        if (before !== undefined) serverMs += backendCpuMs(pid) - before;
      });
    };
    const cpu = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    };
    await timed('thread rows', async () => {
      for (const group of groups) {
        await store.index.write(group.map((e) => ({ metadata: e.metadata })));
      }
    });
    const derivedOf = (group: IndexedThread[], name: string) =>
      group.map((e) => ({
        threadId: e.metadata.id.toLowerCase(),
        records: e.derived?.[name] ?? [],
      }));
    const writeAll = async (
      label: string,
      name: string,
      count: number,
      unit: string,
      recordsOf: (
        group: IndexedThread[],
      ) => Array<{ threadId: string; records: readonly unknown[] }> = (group) =>
        derivedOf(group, name),
    ) => {
      serverMs = 0;
      const clientBefore = cpu();
      const seconds = await timed(label, async () => {
        for (const group of groups) {
          await inTransaction((trx) =>
            (name === SEARCH_INDEX_NAME ? POSTGRES_SEARCH_INDEX : POSTGRES_USAGE_INDEX).replace(
              trx,
              homeId,
              recordsOf(group),
              Date.now(),
            ),
          );
        }
      });
      const clientMs = cpu() - clientBefore;
      console.log(
        `  ${Math.round(count / seconds)} ${unit}/s; CPU: this process ${(clientMs / 1000).toFixed(2)} s, server ${(serverMs / 1000).toFixed(2)} s`,
      );
    };
    await writeAll('search documents', SEARCH_INDEX_NAME, documents, 'documents');
    await writeAll('usage records', USAGE_INDEX_NAME, records, 'records');
    // The corpus has few model calls a thread; real threads have dozens to hundreds.
    const calls = Array.from({ length: SYNTHETIC_CALLS }, (_, k) => syntheticCall(k));
    await writeAll(
      `usage records, ${SYNTHETIC_CALLS} a thread`,
      USAGE_INDEX_NAME,
      entries.length * SYNTHETIC_CALLS,
      'records',
      (group) => group.map((e) => ({ threadId: e.metadata.id.toLowerCase(), records: calls })),
    );
    await writeAll('search documents again (all kept)', SEARCH_INDEX_NAME, documents, 'documents');
    await sql`VACUUM ANALYZE search_documents, usage_records`.execute(store.context.db);

    for (const query of [
      'migration',
      'error',
      'the',
      '"no such file"',
      'config*',
      'useState',
      'xyzzy',
    ]) {
      const runs: number[] = [];
      let page = await store.search.search({ query, archived: 'all' });
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        page = await store.search.search({ query, archived: 'all' });
        runs.push(performance.now() - started);
      }
      console.log(
        `search ${JSON.stringify(query)}: ${median(runs).toFixed(1)} ms (${page.totalThreads} threads${page.rankedAll ? '' : ', windowed'})`,
      );
    }
    const started = performance.now();
    await store.usage.aggregate({ groupBy: ['quarterHour', 'model'] });
    console.log(`usage by quarter hour and model: ${(performance.now() - started).toFixed(1)} ms`);
    await store.close();
  } finally {
    await server.stop();
    temp.cleanup();
  }
}

await main();
