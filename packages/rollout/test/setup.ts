// Setup of this package's tests, which run from the TypeScript sources: there is no compiled
// `extract-worker.js` beside the extraction pool there, so the pool's workers start
// `extract-worker.ts` through tsx (a test-only helper). A test may replace this again with a
// worker of its own (extract-crash.worker.ts).
import type { WorkerOptions } from 'node:worker_threads';

import { vi } from 'vitest';

vi.mock('../src/backfill/spawn-extract-worker.js', async () => {
  const { spawnTypeScriptWorker } = await import('@agent-state/test-utils');
  const script = new URL('../src/backfill/extract-worker.ts', import.meta.url);
  return {
    spawnExtractWorker: (options?: WorkerOptions) => spawnTypeScriptWorker(script, options),
  };
});
