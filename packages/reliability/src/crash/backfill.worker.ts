// Child process of the backfill crash matrix: runs a backfill on a home and reports each
// checkpoint to the parent, which SIGKILLs it at a seeded point.
import { runBackfill } from '@agent-state/rollout';
import { openStateStore } from '@agent-state/state';

import { report } from './crash-helpers.js';

/** Arguments of the worker. */
export interface BackfillCrashArgs {
  home: string;
  batchSize: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as BackfillCrashArgs;
const store = await openStateStore({ home: args.home });
await report({ type: 'progress', done: -1 });
const result = await runBackfill({
  store,
  workers: 0,
  batchSize: args.batchSize,
  onProgress: (p) => {
    process.send?.({ type: 'progress', done: p.done });
  },
});
await store.close();
await report({ type: 'done', value: result.outcome });
process.disconnect?.();
