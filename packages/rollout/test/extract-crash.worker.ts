// Test double of extract-worker.ts: the same protocol and extraction, but it dies the way a real
// worker can when a rollout's path contains a marker. `workerData.failAtStartup` makes it die
// before it has loaded (a broken installation).
import { parentPort, workerData } from 'node:worker_threads';

import {
  type ExtractJob,
  type ExtractWorkerMessage,
  extractSlice,
} from '../src/backfill/extract-pool.js';

/** Markers (folder names in a rollout's path; tests spell them out) and how the worker dies. */
const CRASH_MARKERS = {
  /** An uncaught exception: the pool sees 'error' then 'exit'. */
  throws: 'crash-throws',
  /** `process.exit()` in the worker: the pool sees 'exit' only. */
  exits: 'crash-exits',
  /** Real heap exhaustion under the worker's resource limits: ERR_WORKER_OUT_OF_MEMORY. */
  outOfMemory: 'crash-oom',
} as const;

const port = parentPort;
if (!port) throw new Error('extract-crash.worker must run in a worker thread');
if ((workerData as { failAtStartup?: boolean } | undefined)?.failAtStartup) {
  throw new Error('simulated broken installation');
}

port.on('message', (job: ExtractJob) => {
  for (const { path } of job.items) {
    if (path.includes(CRASH_MARKERS.throws)) throw new Error(`simulated crash on ${path}`);
    if (path.includes(CRASH_MARKERS.exits)) process.exit(7);
    if (path.includes(CRASH_MARKERS.outOfMemory)) {
      const hog: number[][] = [];
      for (;;) hog.push(Array.from({ length: 100_000 }, (_, i) => i + 0.5));
    }
  }
  const reply: ExtractWorkerMessage = {
    kind: 'reply',
    id: job.id,
    outcomes: extractSlice(job.items),
  };
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies ExtractWorkerMessage);
