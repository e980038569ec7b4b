// Child process of the backfill multi-process tests: runs a backfill on a shared home; in crash
// mode it SIGKILLs itself at a chosen point, like a process dying mid-run.
import { ManualClock, openStateStore } from '@agent-state/state';
import { workerMain } from '@agent-state/test-utils';

import { runBackfill } from '../src/backfill/run-backfill.js';

export interface BackfillWorkerArgs {
  home: string;
  /** Kill this process when progress reaches `done` (0: right after the claim). */
  killAtDone?: number;
  batchSize?: number;
  workers?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as BackfillWorkerArgs;

if (args.killAtDone !== undefined) {
  // Crash mode: no parent handshake, the parent only waits for the exit.
  const store = await openStateStore({ home: args.home });
  await runBackfill({
    store,
    workers: args.workers ?? 0,
    batchSize: args.batchSize,
    onProgress: (p) => {
      if (p.done >= args.killAtDone!) process.kill(process.pid, 'SIGKILL');
    },
  });
  await store.close();
} else {
  await workerMain<BackfillWorkerArgs, Awaited<ReturnType<typeof openStateStore>>, string>({
    prepare: (a) => openStateStore({ home: a.home, clock: new ManualClock(Date.now()) }),
    body: async (store, a) =>
      (await runBackfill({ store, workers: a.workers ?? 0, batchSize: a.batchSize })).outcome,
    finish: (store) => store.close(),
  });
}
