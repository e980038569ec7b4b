// Child process of lease-holder.multiprocess.test.ts: on the parent's signal, tries to claim one
// lease (the backfill lease, a stage-1 job or the phase-2 lock) with a clock fixed by the parent,
// racing the other processes, and returns the outcome. A claimant that won stays alive until
// every claimant has tried (a barrier file): a winner that exited early would be a dead holder,
// rightly taken over by a slower claimant.
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { workerMain } from '@agent-state/test-utils';

import { ManualClock, type StateStore, openStateStore } from '../index.js';

/** The three leases of the store. */
export type LeaseKind = 'backfill' | 'stage1' | 'phase2';

/** Arguments of the worker. */
export interface LeaseClaimWorkerArgs {
  home: string;
  nowMs: number;
  kind: LeaseKind;
  threadId: string;
  sourceUpdatedAt: number;
  index: number;
  /** How many claimants race (the barrier's size). */
  count: number;
  /** A file of the race, one line per claimant that tried. */
  barrier: string;
}

async function claim(store: StateStore, args: LeaseClaimWorkerArgs): Promise<string> {
  const workerId = `claimant-${args.index}`;
  switch (args.kind) {
    case 'backfill':
      return (await store.backfill.tryClaim({ leaseSeconds: 120 })).outcome;
    case 'stage1':
      return (
        await store.stage1Jobs.tryClaim({
          threadId: args.threadId,
          workerId,
          sourceUpdatedAt: args.sourceUpdatedAt,
          leaseSeconds: 3600,
        })
      ).outcome;
    case 'phase2':
      return (await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 })).outcome;
  }
}

await workerMain<LeaseClaimWorkerArgs, StateStore, string>({
  prepare: (args) => openStateStore({ home: args.home, clock: new ManualClock(args.nowMs) }),
  body: async (store, args) => {
    const outcome = await claim(store, args);
    appendFileSync(args.barrier, `${args.index} ${outcome}\n`);
    while (readFileSync(args.barrier, 'utf8').split('\n').length <= args.count) await sleep(5);
    return outcome;
  },
  finish: (store) => store.close(),
});
