// Worker-thread entry of the extraction pool: extracts slices of rollouts off the main thread.
import { parentPort } from 'node:worker_threads';

import { type ExtractJob, type ExtractReply, extractSlice } from './extract-pool.js';

const port = parentPort;
if (!port) throw new Error('extract-worker must run in a worker thread');

port.on('message', (job: ExtractJob) => {
  const reply: ExtractReply = { id: job.id, outcomes: extractSlice(job.items) };
  port.postMessage(reply);
});
