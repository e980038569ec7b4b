// What the rollout package's benchmarks share: building the package as it is published, the
// corpus backfill, cleanup. Statistics and timing the CLI come from @agent-state/test-utils.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, rmdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { openStateStore } from '@agent-state/state';
import { build } from 'tsup';

import type * as Rollout from '../src/index.js';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));

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
