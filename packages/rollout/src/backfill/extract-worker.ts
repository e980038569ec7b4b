// Worker-thread entry of the extraction pool: extracts rollout metadata off the main thread.
import { parentPort } from 'node:worker_threads';

import { isAgentStateError } from '@agent-state/state';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import type { ExtractJob, ExtractReply } from './extract-pool.js';

const port = parentPort;
if (!port) throw new Error('extract-worker must run in a worker thread');

port.on('message', (job: ExtractJob) => {
  let reply: ExtractReply;
  try {
    const result = extractRolloutMetadata(job.path, job.options);
    reply = { id: job.id, ok: true, result };
  } catch (error) {
    reply = {
      id: job.id,
      ok: false,
      error: {
        code: isAgentStateError(error) ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
  port.postMessage(reply);
});
