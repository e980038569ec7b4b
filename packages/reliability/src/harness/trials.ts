import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * True in soak mode (`pnpm test:soak`, which sets `AGENT_STATE_SOAK=1`): the same matrices with
 * many more iterations.
 */
export const SOAK = process.env['AGENT_STATE_SOAK'] === '1';

/**
 * How many trials a matrix runs: `ci` in `pnpm test` (the whole suite stays under 6 minutes),
 * `soak` in soak mode.
 *
 * @example
 * ```ts
 * for (let trial = 0; trial < trials({ ci: 6, soak: 200 }); trial += 1) { … }
 * ```
 */
export function trials(counts: { ci: number; soak: number }): number {
  return SOAK ? counts.soak : counts.ci;
}

/**
 * The seed of a matrix: `AGENT_STATE_SEED` when set (to replay a failure), else a fixed one in
 * CI (reproducible) and a fresh one per soak run (printed with the results).
 *
 * @example
 * ```ts
 * const random = seededRandom(seed('crash-backfill'));
 * ```
 */
export function seed(matrix: string): number {
  const fromEnv = process.env['AGENT_STATE_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0;
  if (!SOAK) {
    let hash = 2166136261;
    for (const char of matrix) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
    return hash;
  }
  return (Date.now() ^ (process.pid << 8)) >>> 0;
}

/** The suite's generator: seeded, so a failure's seed replays it (see `seed`). */
export { seededRandom } from '@agent-state/test-utils';

/**
 * What one matrix did, for the summary table of `pnpm test:soak`.
 *
 * @example
 * ```ts
 * recordMatrix({ matrix: 'crash/backfill', seed: s, trials: 6, kills: 6, checks: 120, failures: 0 });
 * ```
 */
export interface MatrixResult {
  matrix: string;
  seed: number;
  trials: number;
  kills: number;
  checks: number;
  failures: number;
}

const RESULTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'test-results',
  'reliability-matrices.jsonl',
);

/**
 * Appends a matrix's figures to `test-results/reliability-matrices.jsonl` (read by the soak
 * summary). Call it once per matrix, after its assertions ran.
 */
export function recordMatrix(result: MatrixResult): void {
  mkdirSync(dirname(RESULTS), { recursive: true });
  appendFileSync(RESULTS, `${JSON.stringify(result)}\n`);
}

/** Where {@link recordMatrix} writes. */
export const MATRIX_RESULTS_FILE = RESULTS;
