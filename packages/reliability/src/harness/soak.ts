// `pnpm test:soak`: runs the reliability suite in soak mode (many more iterations, fresh seeds)
// for at least AGENT_STATE_SOAK_MINUTES (default 30) minutes, round after round, then prints a
// table of trials, kills, invariant checks and failures per matrix. Exits 1 on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

import { MATRIX_RESULTS_FILE, type MatrixResult } from './trials.js';

const minutes = Number(process.env['AGENT_STATE_SOAK_MINUTES'] ?? '30');
const deadline = Date.now() + minutes * 60_000;
rmSync(MATRIX_RESULTS_FILE, { force: true });

let rounds = 0;
let failedRounds = 0;
do {
  rounds += 1;
  process.stderr.write(
    `soak round ${rounds} (${Math.round((deadline - Date.now()) / 60_000)} min left)\n`,
  );
  const result = spawnSync('pnpm', ['exec', 'vitest', 'run', '--reporter', 'dot'], {
    stdio: 'inherit',
    env: { ...process.env, AGENT_STATE_SOAK: '1' },
  });
  if (result.status !== 0) failedRounds += 1;
} while (Date.now() < deadline && failedRounds === 0);

const totals = new Map<string, MatrixResult & { runs: number }>();
if (existsSync(MATRIX_RESULTS_FILE)) {
  for (const line of readFileSync(MATRIX_RESULTS_FILE, 'utf8').split('\n')) {
    if (line === '') continue;
    const r = JSON.parse(line) as MatrixResult;
    const t = totals.get(r.matrix) ?? {
      ...r,
      trials: 0,
      kills: 0,
      checks: 0,
      failures: 0,
      runs: 0,
    };
    t.trials += r.trials;
    t.kills += r.kills;
    t.checks += r.checks;
    t.failures += r.failures;
    t.runs += 1;
    totals.set(r.matrix, t);
  }
}
const rows = [...totals.values()].sort((a, b) => a.matrix.localeCompare(b.matrix));
const header = ['matrix', 'runs', 'trials', 'kills', 'checks', 'failures'];
const table = [
  header,
  ...rows.map((r) => [r.matrix, r.runs, r.trials, r.kills, r.checks, r.failures].map(String)),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
for (const row of table) {
  process.stdout.write(
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ') + '\n',
  );
}
process.stdout.write(`\n${rounds} round(s) in ${minutes} min budget; ${failedRounds} failed\n`);
process.exitCode = failedRounds > 0 ? 1 : 0;
