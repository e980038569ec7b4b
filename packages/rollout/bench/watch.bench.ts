// Benchmark of `agent-state watch` (`pnpm bench`, after gc.bench.ts), with the targets of the issue
// "A live index and the thread lifecycle", on the 10,000-rollout corpus of rollout.bench.ts:
// - a line appended to a rollout is listed, searchable and counted (one write of the store) within
//   1 s, p95, with the watcher running (a whole process, as a person runs it);
// - the watcher idles under 1% CPU and 120 MB RSS;
// - its start-up on a current store (to its first rescan done) at most 2 s.
// The issue names no anchor: there is no other live index of Codex homes to compare with.
//
// WATCH_BENCH_ROLLOUTS=300 shrinks the corpus while developing.
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  fixed,
  generateCorpus,
  median,
  percentile,
  repoRoot,
  reportBench,
  runCli,
  tempDirs,
} from '@agent-state/test-utils';

import { cleanupOnSignal } from './bench-support.js';

const ROLLOUTS = Number(process.env.WATCH_BENCH_ROLLOUTS ?? 10_000);
const APPENDS = 20;
const IDLE_SECONDS = 30;
const cliBin = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');
const log = benchLogger('watch bench');

/** CPU seconds (user + system) and RSS (now and peak, MB) of a process, from Linux's /proc. */
function usageOf(pid: number): { cpuSeconds: number; rssMb: number; peakMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

const temp = tempDirs();
const removeSignalHandlers = cleanupOnSignal(() => temp.cleanup());
try {
  if (process.platform !== 'linux') throw new Error('the watch bench reads /proc: run it on Linux');
  const rows: BenchRow[] = [];
  const home = temp.make('watch-corpus');
  log(`generating ${ROLLOUTS} rollouts in ${home} …`);
  const corpus = generateCorpus({ home, count: ROLLOUTS, ...BENCH_CORPUS, text: 'varied' });
  log('backfilling it …');
  runCli(['--home', home, 'backfill', '--json']);

  log('starting the watcher …');
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliBin, '--home', home, 'watch', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listeners: Array<(change: { type: string; threadId?: string }) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const change = JSON.parse(line) as { type: string; threadId?: string };
    for (const listener of listeners) listener(change);
  });
  const next = (test: (change: { type: string; threadId?: string }) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change within 30 s')), 30_000);
      const listener = (change: { type: string; threadId?: string }) => {
        if (!test(change)) return;
        clearTimeout(timer);
        listeners.splice(listeners.indexOf(listener), 1);
        resolve();
      };
      listeners.push(listener);
    });
  try {
    await next((change) => change.type === 'ready');
    const startupMs = performance.now() - t0;
    rows.push({
      name: `watch start-up on a current store (${ROLLOUTS} rollouts, whole process)`,
      value: startupMs / 1000,
      unit: 's',
      target: { max: 2 },
      details:
        'from the spawn to the first rescan done (the 8 newest active rollouts are re-read right after)',
    });

    // Appends to the newest active rollouts, one at a time, each timed to its write of the store.
    const active = corpus.files
      .filter((file) => !file.archived)
      .slice(-APPENDS)
      .reverse();
    const latencies: number[] = [];
    for (const [index, file] of active.entries()) {
      const at = new Date().toISOString();
      const line = `${JSON.stringify({ timestamp: at, type: 'event_msg', payload: { type: 'user_message', message: `watchbench${index} please`, images: [] } })}\n`;
      const done = next((change) => change.threadId === file.id && change.type !== 'ready');
      const start = performance.now();
      appendFileSync(file.path, line);
      await done;
      latencies.push(performance.now() - start);
      await sleep(50);
    }
    const searched = JSON.parse(
      runCli(['--home', home, 'search', `watchbench${APPENDS - 1}`, '--json']).stdout,
    ) as { hits: Array<{ thread: { id: string } }> };
    if (searched.hits[0]?.thread.id !== active.at(-1)!.id) {
      throw new Error('the last appended line is not searchable');
    }
    rows.push({
      name: 'appended line to indexed (listed, searchable, counted), p95',
      value: percentile(latencies, 95),
      unit: 'ms',
      target: { max: 1000 },
      details: `median ${fixed(median(latencies), 1)} ms over ${APPENDS} appends to the newest rollouts`,
    });

    // Idle: nothing written for IDLE_SECONDS.
    await sleep(2000);
    const before = usageOf(child.pid!);
    await sleep(IDLE_SECONDS * 1000);
    const after = usageOf(child.pid!);
    rows.push(
      {
        name: 'watcher CPU while idle',
        value: (100 * (after.cpuSeconds - before.cpuSeconds)) / IDLE_SECONDS,
        unit: '%',
        target: { max: 1 },
        details: `${fixed(after.cpuSeconds - before.cpuSeconds, 2)} CPU s over ${IDLE_SECONDS} s`,
      },
      {
        name: 'watcher RSS while idle',
        value: after.rssMb,
        unit: 'MB',
        target: { max: 120 },
        details: `peak ${fixed(after.peakMb, 0)} MB (start-up rescan included)`,
      },
    );
  } finally {
    child.kill('SIGTERM');
  }
  if (!reportBench('watch', rows)) process.exitCode = 1;
} finally {
  temp.cleanup();
  removeSignalHandlers();
}
