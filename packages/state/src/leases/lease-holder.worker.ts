// Child process of lease-holder.multiprocess.test.ts: takes one lease (the backfill lease, a
// stage-1 job or the phase-2 lock) with a clock fixed by the parent, reports it, and then holds
// it without ever renewing it, until the parent kills it.
import { ManualClock, openStateStore } from '../index.js';
import type { LeaseKind } from './lease-claim.worker.js';

/** Arguments of the worker. */
export interface LeaseHolderWorkerArgs {
  home: string;
  nowMs: number;
  kind: LeaseKind;
  /** The stage-1 job's thread. */
  threadId: string;
  sourceUpdatedAt: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as LeaseHolderWorkerArgs;
const store = await openStateStore({ home: args.home, clock: new ManualClock(args.nowMs) });
let outcome: string;
switch (args.kind) {
  case 'backfill':
    outcome = (await store.backfill.tryClaim({ leaseSeconds: 120 })).outcome;
    break;
  case 'stage1':
    outcome = (
      await store.stage1Jobs.tryClaim({
        threadId: args.threadId,
        workerId: `holder:${process.pid}`,
        sourceUpdatedAt: args.sourceUpdatedAt,
        leaseSeconds: 3600,
      })
    ).outcome;
    break;
  case 'phase2':
    outcome = (
      await store.phase2Lock.tryClaim({ workerId: `holder:${process.pid}`, leaseSeconds: 3600 })
    ).outcome;
    break;
}
process.send?.({ type: 'held', outcome });
// Hold the lease (and the store) until killed.
setInterval(() => undefined, 60_000);
