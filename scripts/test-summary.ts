// Adds up the per-package vitest JSON reports in test-results/ and prints one closing line,
// `Tests: N passed, N failed` (plus skipped), so CI logs end with the whole run's count.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface VitestJsonReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
}

const dir = join(import.meta.dirname, '..', 'test-results');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files.sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as VitestJsonReport;
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  console.log(
    `${file.replace(/\.json$/, '').padEnd(16)} ${report.numPassedTests ?? 0} passed, ${report.numFailedTests ?? 0} failed`,
  );
}
if (files.length === 0) {
  console.error('no test reports found in test-results/');
  process.exit(1);
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (failed > 0 || passed === 0) process.exit(1);
