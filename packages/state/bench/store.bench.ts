// Benchmarks of the state store (`pnpm bench`). Targets come from the store issue:
// upserting 100,000 threads in batches at >= 50,000 threads/s, and the first page (25) and a
// deep page of `list` over 100,000 threads at a median <= 1 ms, in-process.
import { performance } from 'node:perf_hooks';

import { type BenchRow, reportBench, tempDirs } from '@agent-state/test-utils';
import { Bench } from 'tinybench';

import {
  type ThreadAnchor,
  type ThreadMetadata,
  buildThreadMetadata,
  openStateStore,
} from '../src/index.js';

const THREADS = 100_000;
const BATCH = 1_000;
const ROUNDS = 3;

function makeThreads(count: number): ThreadMetadata[] {
  const start = 1_770_000_000;
  return Array.from({ length: count }, (_, n) => {
    const id = `01a1fca2-${(n >>> 16).toString(16).padStart(4, '0')}-7${(n & 0xfff).toString(16).padStart(3, '0')}-8000-${n.toString(16).padStart(12, '0')}`;
    // About one new thread every 5 minutes over a year, with many ties on the second.
    const createdAt = start + Math.floor(n * 300) - (n % 7);
    const prompt = `Investigate flaky test #${n} in packages/state and propose a fix with a regression test`;
    return {
      ...buildThreadMetadata(
        {
          id,
          rolloutPath: `/home/user/.codex/sessions/2026/03/${String((n % 28) + 1).padStart(2, '0')}/rollout-2026-03-01T10-00-00-${id}.jsonl`,
          createdAt,
          updatedAt: createdAt + (n % 3600),
          source: n % 5 === 0 ? 'vscode' : 'cli',
          modelProvider: 'openai',
          cwd: `/home/user/projects/repo-${n % 20}`,
          cliVersion: '0.169.0',
          approvalMode: 'on-request',
          archivedAt: n % 10 === 0 ? createdAt + 86_400 : null,
          gitSha: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
          gitBranch: 'main',
          gitOriginUrl: 'https://example.invalid/acme/repo.git',
        },
        { defaultProvider: 'openai' },
      ),
      title: prompt,
      firstUserMessage: prompt,
      tokensUsed: 1000 + n,
    };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const temp = tempDirs();
try {
  const threads = makeThreads(THREADS);
  const rows: BenchRow[] = [];

  // 1. Upsert throughput, on a fresh store each round.
  const rates: number[] = [];
  let home = '';
  for (let round = 0; round < ROUNDS; round += 1) {
    home = temp.make('bench-home');
    const store = await openStateStore({ home });
    const t0 = performance.now();
    for (let i = 0; i < threads.length; i += BATCH)
      await store.threads.upsertMany(threads.slice(i, i + BATCH));
    const seconds = (performance.now() - t0) / 1000;
    rates.push(THREADS / seconds);
    await store.close();
  }
  rows.push({
    name: `upsert ${THREADS} threads (batches of ${BATCH})`,
    value: median(rates),
    unit: 'threads/s',
    target: { min: 50_000 },
    details: `median of ${ROUNDS} fresh stores; runs: ${rates.map((r) => Math.round(r)).join(', ')}`,
  });

  // 2. Re-upserting existing rows (the backfill re-run and reconcile repair path).
  {
    const store = await openStateStore({ home });
    const t0 = performance.now();
    for (let i = 0; i < threads.length; i += BATCH)
      await store.threads.upsertMany(threads.slice(i, i + BATCH));
    rows.push({
      name: `re-upsert ${THREADS} existing threads`,
      value: THREADS / ((performance.now() - t0) / 1000),
      unit: 'threads/s',
    });
    await store.close();
  }

  // 3. Opening an existing 100k store (includes quick_check).
  {
    const times: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const t0 = performance.now();
      const store = await openStateStore({ home });
      times.push(performance.now() - t0);
      await store.close();
    }
    rows.push({
      name: `open a ${THREADS}-thread store (with quick_check)`,
      value: median(times),
      unit: 'ms',
      details: 'median of 5',
    });
  }

  // 4. Listing latency over the 100k store.
  const store = await openStateStore({ home });
  const active = threads
    .filter((t) => t.archivedAt === null)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  const deep = active[Math.floor(active.length * 0.9)]!;
  const deepAnchor: ThreadAnchor = { ts: deep.createdAt, id: deep.id };
  const deepPage = await store.threads.list({ pageSize: 25, anchor: deepAnchor });
  if (deepPage.items.length !== 25) throw new Error('deep page is not full');

  const bench = new Bench({ time: 1_000, warmupTime: 200 });
  bench
    .add('list first page (25, by created)', () =>
      store.threads.list({ pageSize: 25 }).then(() => undefined),
    )
    .add('list first page (25, by updated)', () =>
      store.threads.list({ pageSize: 25, sortKey: 'updated' }).then(() => undefined),
    )
    .add('list deep page (25, 90% down, by created)', () =>
      store.threads.list({ pageSize: 25, anchor: deepAnchor }).then(() => undefined),
    )
    .add('list first page (25) filtered by cwd + source', () =>
      store.threads
        .list({ pageSize: 25, cwds: ['/home/user/projects/repo-7'], sources: ['cli'] })
        .then(() => undefined),
    )
    .add('get one thread by id', () => store.threads.get(deep.id).then(() => undefined));
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result as { latency?: { p50?: number; samples?: number[] } } | undefined;
    const p50 = result?.latency?.p50;
    if (p50 === undefined) throw new Error(`no result for ${task.name}`);
    rows.push({
      name: task.name,
      value: p50,
      unit: 'ms (median)',
      target: task.name.startsWith('get') ? undefined : { max: 1 },
      details: `${result?.latency?.samples?.length ?? 0} samples`,
    });
  }
  await store.close();

  const ok = reportBench('state', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
}
