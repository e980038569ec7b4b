// Benchmark of the tail (`pnpm bench`): a row written by another process is printed within the
// poll interval + 50 ms. A child process inserts one row at a time into our logs database; the
// tail runs here and timestamps every line it prints; latency = print time - the row's own time.
import { fileURLToPath } from 'node:url';

import { openLogsStore } from '@agent-state/state';
import { type BenchRow, forkScript, reportBench, tempDirs } from '@agent-state/test-utils';

import { tailLogs } from '../src/tail.js';
import type { InsertLogsArgs } from '../src/test-support/insert-logs.script.js';

const POLL_MS = 500;
const ROWS = 20;
const SCRIPT = fileURLToPath(new URL('../src/test-support/insert-logs.script.ts', import.meta.url));

const temp = tempDirs();
try {
  const home = temp.make('tail');
  (await openLogsStore({ home })).close();
  const latencies: number[] = [];
  let onLine: (() => void) | undefined;
  const stdout = {
    write(chunk: string): boolean {
      const printedAt = Date.now();
      for (const line of chunk.split('\n').filter(Boolean)) {
        const stamp = /^(\S+Z) /.exec(line)?.[1];
        if (stamp) latencies.push(printedAt - Date.parse(stamp));
      }
      onLine?.();
      return true;
    },
  };
  const controller = new AbortController();
  const tail = tailLogs({
    path: `${home}/agent_logs_1.sqlite`,
    query: {},
    backfill: 0,
    pollMs: POLL_MS,
    follow: true,
    format: { format: 'normal', color: false },
    stdout,
    signal: controller.signal,
  });
  const args: InsertLogsArgs = {
    kind: 'store',
    home,
    batches: Array.from({ length: ROWS }, (_, i) => [
      { level: 'INFO', message: `row ${i}`, threadId: null },
    ]),
  };
  const child = forkScript(SCRIPT, args);
  for (let i = 0; i < ROWS; i += 1) {
    // Wait for the row to be printed, then let the next one come at a different point of the poll.
    await new Promise<void>((resolve) => {
      onLine = resolve;
    });
    if (i === ROWS - 1) break;
    await new Promise((resolve) => setTimeout(resolve, (i * 97) % POLL_MS));
    child.process.send('next');
  }
  await child.exited;
  controller.abort();
  await tail;
  latencies.sort((a, b) => a - b);
  const rows: BenchRow[] = [
    {
      name: `tail: row from another process printed (max of ${latencies.length})`,
      value: latencies.at(-1) ?? Number.NaN,
      unit: 'ms',
      target: { max: POLL_MS + 50 },
      details: `poll ${POLL_MS} ms; median ${latencies[Math.floor(latencies.length / 2)]} ms`,
    },
  ];
  if (!reportBench('logs-client', rows)) process.exitCode = 1;
} finally {
  temp.cleanup();
}
