// Child process of backfill.test.ts: another `agent-state backfill` as the command sees it. It
// takes the backfill lease of a home (for 10 minutes), reports how far it got, tells the parent,
// and then holds the lease without ever renewing it, until the parent kills it.
import { openStateStore } from '@agent-state/state';

/** Arguments of the worker. */
export interface BackfillHolderArgs {
  home: string;
  progress: { done: number; total: number };
}

const args = JSON.parse(process.argv[2] ?? '{}') as BackfillHolderArgs;
const store = await openStateStore({ home: args.home });
const claim = await store.backfill.tryClaim({ leaseSeconds: 600 });
if (claim.outcome === 'claimed') {
  await store.backfill.heartbeat(claim.lease, { progress: args.progress });
}
process.send?.({ type: 'held', outcome: claim.outcome });
setInterval(() => undefined, 60_000);
