import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure of a benchmark, with its target when the issue sets one. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The target, and whether larger (`min`) or smaller (`max`) is better. */
  target?: { min?: number; max?: number };
  /** Free-form details (iterations, sizes). */
  details?: string;
}

/** The repository root (the folder holding `pnpm-workspace.yaml`). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('pnpm-workspace.yaml not found above test-utils');
    dir = parent;
  }
  return dir;
}

/**
 * Prints a benchmark's figures as a table (with pass/fail against targets) and writes them as
 * JSON to `bench-results/<suite>.json` at the repository root. Returns whether every target held.
 *
 * @example
 * ```ts
 * reportBench('state', [{ name: 'upsert', value: 81234, unit: 'threads/s', target: { min: 50000 } }]);
 * ```
 */
export function reportBench(suite: string, rows: readonly BenchRow[]): boolean {
  const verdict = (row: BenchRow): string => {
    if (!row.target) return '';
    const okMin = row.target.min === undefined || row.value >= row.target.min;
    const okMax = row.target.max === undefined || row.value <= row.target.max;
    return okMin && okMax ? 'ok' : 'MISSED';
  };
  const table = rows.map((row) => ({
    benchmark: row.name,
    value: Number(row.value.toPrecision(4)),
    unit: row.unit,
    target:
      row.target?.min !== undefined
        ? `>= ${row.target.min}`
        : row.target?.max !== undefined
          ? `<= ${row.target.max}`
          : '',
    verdict: verdict(row),
    details: row.details ?? '',
  }));
  console.log(`\n${suite}`);
  console.table(table);
  const outDir = join(repoRoot(), 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${suite}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ suite, node: process.version, date: new Date().toISOString(), rows: table }, null, 2)}\n`,
  );
  console.log(`written to ${file}`);
  return table.every((row) => row.verdict !== 'MISSED');
}
