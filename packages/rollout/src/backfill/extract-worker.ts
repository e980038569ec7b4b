// Worker-thread entry of the extraction pool: extracts slices of rollouts off the main thread.
import { parentPort } from 'node:worker_threads';

import { type ExtractJob, type ExtractWorkerMessage, extractSlice } from './extract-pool.js';

const port = parentPort;
if (!port) throw new Error('extract-worker must run in a worker thread');

port.on('message', (job: ExtractJob) => {
  const reply: ExtractWorkerMessage = {
    kind: 'reply',
    id: job.id,
    outcomes: extractSlice(job.items),
  };
  port.postMessage(reply);
});
// Loaded: the pool sends work only now, so a crash before this line is a broken installation,
// and a crash after it is caused by the rollouts being read.
port.postMessage({ kind: 'ready' } satisfies ExtractWorkerMessage);
