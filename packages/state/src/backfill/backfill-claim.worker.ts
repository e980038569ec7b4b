// Child process of backfill-claim.multiprocess.test.ts: opens the store of a shared home with a
// clock fixed by the parent, then, on the parent's signal, races the others.
import { workerMain } from '@agent-state/test-utils';

import {
  ManualClock,
  type StateStore,
  buildThreadMetadata,
  openStateStore,
  systemLeaseHolderProbe,
  timeBasedLeaseHolderProbe,
} from '../index.js';

export interface ClaimWorkerArgs {
  home: string;
  nowMs: number;
  mode: 'claim' | 'churn';
  index: number;
  iterations?: number;
  /**
   * `time-based`: leases run out by time only, so a winner that exited keeps its lease (what this
   * test checks: the lease's deadline); default `system` (a dead holder loses it at once).
   */
  probe?: 'system' | 'time-based';
}

export type ClaimWorkerResult =
  | { outcome: 'claimed'; token: string; leaseUntil: number }
  | { outcome: 'held' | 'complete' }
  | { claims: number; upserts: number };

await workerMain<ClaimWorkerArgs, StateStore, ClaimWorkerResult>({
  prepare: (args) =>
    openStateStore({
      home: args.home,
      clock: new ManualClock(args.nowMs),
      holderProbe: args.probe === 'time-based' ? timeBasedLeaseHolderProbe : systemLeaseHolderProbe,
    }),
  body: async (store, args) => {
    if (args.mode === 'claim') {
      const claim = await store.backfill.tryClaim({ leaseSeconds: 60 });
      return claim.outcome === 'claimed'
        ? { outcome: 'claimed', token: claim.lease.token, leaseUntil: claim.lease.leaseUntil }
        : { outcome: claim.outcome };
    }
    // Churn: claims, checkpoints, releases and thread writes interleaved with seven other
    // processes doing the same. Any SQLITE_BUSY reaching us fails the worker.
    let claims = 0;
    let upserts = 0;
    for (let i = 0; i < (args.iterations ?? 100); i += 1) {
      const claim = await store.backfill.tryClaim({ leaseSeconds: 60 });
      if (claim.outcome === 'claimed') {
        claims += 1;
        const lease = await store.backfill.checkpoint(
          claim.lease,
          `sessions/w${args.index}/${i}.jsonl`,
        );
        await store.backfill.release(lease);
      }
      const id = `01a1fca2-0000-7000-8${args.index.toString(16).padStart(3, '0')}-${i.toString(16).padStart(12, '0')}`;
      await store.threads.upsert({
        ...buildThreadMetadata(
          { id, rolloutPath: `/r/${id}`, createdAt: i, source: 'cli' },
          { defaultProvider: 'p' },
        ),
        firstUserMessage: 'hi',
      });
      upserts += 1;
      await store.threads.list({ pageSize: 25 });
    }
    return { claims, upserts };
  },
  finish: (store) => store.close(),
});
