import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { repoRoot } from './bench-report.js';

/**
 * A logger to stderr, each line tagged with the benchmark's name.
 *
 * @example
 * ```ts
 * const log = benchLogger('web');
 * log('generating the corpus …'); // [web] generating the corpus …
 * ```
 */
export function benchLogger(name: string): (message: string) => void {
  return (message) => process.stderr.write(`[${name}] ${message}\n`);
}

/**
 * The median of timed runs.
 *
 * @example
 * ```ts
 * median([30, 10, 20]); // 20
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Nearest-rank percentile: with 20 values, p95 is the 19th smallest.
 *
 * @example
 * ```ts
 * percentile(timings, 95);
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(Math.ceil((p / 100) * sorted.length) - 1, 0)]!;
}

/**
 * A figure with `digits` decimals, for the details of a row.
 *
 * @example
 * ```ts
 * fixed(12.345, 1); // '12.3'
 * ```
 */
export const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/**
 * The one-minute load average, for the details of a timed row.
 *
 * @example
 * ```ts
 * rows.push({ name, value, unit: 'ms', details: `load ${load()}` });
 * ```
 */
export const load = (): string => fixed(loadavg()[0]!, 1);

/**
 * Runs the built `agent-state` (apps/cli/dist/bin.js) once as a process; returns its wall
 * milliseconds and output. A non-zero exit throws with its stderr.
 *
 * @example
 * ```ts
 * const { ms } = runCli(['--home', home, 'search', 'flaky']);
 * ```
 */
export function runCli(args: readonly string[]): { ms: number; stdout: string } {
  const cliBin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');
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

/**
 * The median wall time of `runs` runs of the CLI, after one warm-up run.
 *
 * @example
 * ```ts
 * const { ms, all } = medianCli(['--version'], 10);
 * ```
 */
export function medianCli(args: readonly string[], runs: number): { ms: number; all: number[] } {
  runCli(args);
  const all = Array.from({ length: runs }, () => runCli(args).ms);
  return { ms: median(all), all };
}
