// What the rollout package's benchmarks share: statistics, building the package as it is
// published, and timing the CLI as a whole process.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { openStateStore } from '@agent-state/state';
import { repoRoot } from '@agent-state/test-utils';
import { build } from 'tsup';

import type * as Rollout from '../src/index.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');

/** A logger to stderr, each line tagged with the benchmark's name. */
export function benchLogger(name: string): (message: string) => void {
  return (message) => process.stderr.write(`[${name}] ${message}\n`);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/** The one-minute load average, for the details of a timed row. */
export const load = (): string => fixed(loadavg()[0]!, 1);

/**
 * Builds the package's entries (and any extra scripts) like `pnpm build` does, into `outDir`,
 * and imports the build. Dependencies stay external, as in the published package.
 */
export async function buildRollout(
  outDir: string,
  extraEntries: Record<string, string> = {},
): Promise<typeof Rollout> {
  await build({
    config: false,
    silent: true,
    entry: {
      index: join(packageDir, 'src', 'index.ts'),
      'extract-worker': join(packageDir, 'src', 'backfill', 'extract-worker.ts'),
      ...extraEntries,
    },
    outDir,
    tsconfig: join(packageDir, 'tsconfig.json'),
    format: ['esm'],
    target: 'node20',
    shims: true,
    dts: false,
    sourcemap: false,
    clean: true,
    external: [/^[^./]/],
  });
  return (await import(pathToFileURL(join(outDir, 'index.js')).href)) as typeof Rollout;
}

/** Runs the CLI once; returns wall milliseconds and its output. */
export function runCli(args: readonly string[]): { ms: number; stdout: string } {
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
export function medianCli(args: readonly string[], runs: number): { ms: number; all: number[] } {
  runCli(args);
  const all = Array.from({ length: runs }, () => runCli(args).ms);
  return { ms: median(all), all };
}

/**
 * Removes a benchmark's build (`bench/dist/<name>`), and `bench/dist` once nothing else is in it
 * (another benchmark may be using it).
 */
export function removeBenchBuild(buildDir: string): void {
  rmSync(buildDir, { recursive: true, force: true });
  try {
    if (readdirSync(dirname(buildDir)).length === 0) rmdirSync(dirname(buildDir));
  } catch {
    // Already gone.
  }
}

/** Writes the page cache's dirty pages to disk, so timed runs do not share it with writeback. */
export function flushWrites(): void {
  if (process.platform !== 'win32') spawnSync('sync');
}

/** The default extraction pool, for the details of a row: this thread and its workers. */
export function defaultPool(): string {
  return `this thread + up to ${Math.min(Math.max(availableParallelism() - 1, 0), 8)} workers`;
}

/**
 * Runs `cleanup` and exits 130 on SIGINT or SIGTERM, so that an interrupted benchmark leaves no
 * corpus or build behind; returns the function that removes the handlers.
 */
export function cleanupOnSignal(cleanup: () => void): () => void {
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Options of {@link timedBackfill}. */
export interface TimedBackfillOptions {
  runBackfill: typeof Rollout.runBackfill;
  /** Where the fresh store is made. */
  storeHome: string;
  /** Whose rollouts are indexed. */
  corpusHome: string;
  /** Rollouts the backfill must index, none failing. */
  expected: number;
  workers?: number | undefined;
  /** The derived indexes to compute, by name (default: all). */
  derivedIndexNames?: readonly string[] | undefined;
  /** Checks the store after the timed backfill (throws when it is not as expected). */
  check?: ((store: Awaited<ReturnType<typeof openStateStore>>) => Promise<void>) | undefined;
}

/** Backfills `corpusHome` into a fresh store in `storeHome`; returns seconds. */
export async function timedBackfill(options: TimedBackfillOptions): Promise<number> {
  const store = await openStateStore({ home: options.storeHome });
  try {
    const t0 = performance.now();
    const result = await options.runBackfill({
      store,
      home: options.corpusHome,
      workers: options.workers,
      derivedIndexNames: options.derivedIndexNames,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (
      result.outcome !== 'complete' ||
      result.upserted !== options.expected ||
      result.failed !== 0
    ) {
      throw new Error(
        `backfill did not index the corpus: ${result.outcome}, ${result.upserted} upserted, ${result.failed} failed (${result.failures[0]?.message ?? ''})`,
      );
    }
    await options.check?.(store);
    return seconds;
  } finally {
    await store.close();
  }
}
