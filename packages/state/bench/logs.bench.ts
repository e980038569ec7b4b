// Benchmarks of the logs database (`pnpm bench`). Targets from the logs issue: the sink sustains
// at least 200,000 rows/s into the logs DB; the newest 200 rows matching a level and a thread
// filter over 5,000,000 rows come back in at most 10 ms (median).
import { performance } from 'node:perf_hooks';

import { type BenchRow, reportBench, tempDirs } from '@agent-state/test-utils';
import { Bench } from 'tinybench';

import { type LogEntry, createLogSink, openLogsStore } from '../src/index.js';

const SINK_ROWS = 1_000_000;
const QUERY_ROWS = 5_000_000;
const THREADS = 2_000;
const LEVELS = ['TRACE', 'TRACE', 'DEBUG', 'DEBUG', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'];

const temp = tempDirs();
const rows: BenchRow[] = [];
try {
  // 1. The sink, as an application uses it: log calls in a loop, yielding now and then.
  {
    const logs = await openLogsStore({ home: temp.make('sink') });
    const sink = createLogSink({ store: logs, minLevel: 'trace', pruneIntervalMs: 0 });
    const log = sink.logger.child({
      target: 'codex_core::codex',
      threadId: '01a1fcbb-bd50-7b11-bd03-7a51839e6b73',
    });
    const t0 = performance.now();
    for (let i = 0; i < SINK_ROWS; i += 1) {
      log.info('tool call finished', { call: i, status: 'ok' });
      if (i % 2_000 === 1_999) await new Promise((resolve) => setImmediate(resolve));
    }
    await sink.close();
    const seconds = (performance.now() - t0) / 1000;
    rows.push({
      name: `sink: ${SINK_ROWS} log calls written`,
      value: sink.written / seconds,
      unit: 'rows/s',
      target: { min: 200_000 },
      details: `${sink.written} written, ${sink.dropped} dropped, ${seconds.toFixed(2)} s`,
    });
    logs.close();
  }

  // 2. Query over 5M rows: newest 200 of one thread at warn and above.
  const logs = await openLogsStore({ home: temp.make('query') });
  const base = 1_795_000_000;
  const t0 = performance.now();
  const batch: LogEntry[] = [];
  for (let i = 0; i < QUERY_ROWS; i += 1) {
    const threaded = i % 5 !== 0;
    batch.push({
      ts: base + Math.floor(i / 100),
      tsNanos: (i % 100) * 10_000_000,
      level: LEVELS[i % LEVELS.length]!,
      target: 'codex_core::session::handlers',
      message: `Submission ${i} sub_id=${i % 977}`,
      modulePath: 'codex_core::session::handlers',
      file: 'core/src/session/handlers.rs',
      line: 535,
      threadId: threaded
        ? `01a1fcbb-0000-7000-8000-${String(i % THREADS).padStart(12, '0')}`
        : null,
      processUuid: `pid:${i % 7}:bench`,
    });
    if (batch.length === 10_000) logs.insert(batch.splice(0));
  }
  logs.insert(batch.splice(0));
  const loadSeconds = (performance.now() - t0) / 1000;
  rows.push({
    name: `insert ${QUERY_ROWS} rows (batches of 10,000)`,
    value: QUERY_ROWS / loadSeconds,
    unit: 'rows/s',
    details: `${loadSeconds.toFixed(1)} s; file ${(logs.stats().sizeBytes / 1e6).toFixed(0)} MB`,
  });

  const thread = '01a1fcbb-0000-7000-8000-000000000042';
  const bench = new Bench({ time: 1_500, warmupTime: 200 });
  bench
    .add('newest 200, level warn+ and one thread, over 5M rows', () => {
      logs.query({ levels: ['WARN', 'ERROR'], threadIds: [thread], limit: 200, descending: true });
    })
    .add('newest 200, level ERROR only (no thread), over 5M rows', () => {
      logs.query({ levels: ['ERROR'], limit: 200, descending: true });
    })
    .add('tail step: rows after the newest id (none new)', () => {
      logs.query({ levels: ['WARN', 'ERROR'], threadIds: [thread], afterId: QUERY_ROWS });
    });
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result as { latency?: { p50?: number; samples?: number[] } } | undefined;
    rows.push({
      name: task.name,
      value: result?.latency?.p50 ?? Number.NaN,
      unit: 'ms (median)',
      target: task.name.startsWith('newest 200, level warn+') ? { max: 10 } : undefined,
      details: `${result?.latency?.samples?.length ?? 0} samples`,
    });
  }
  const check = logs.query({
    levels: ['WARN', 'ERROR'],
    threadIds: [thread],
    limit: 200,
    descending: true,
  });
  if (check.length !== 200) throw new Error(`expected 200 rows, got ${check.length}`);
  logs.close();

  if (!reportBench('logs', rows)) process.exitCode = 1;
} finally {
  temp.cleanup();
}
