// Child process of lease-takeover.bench.ts, on the real clock and the default holder probe, as a
// production process. `hold`: claims one lease of a home (see lease-kinds.ts), tells the parent
// (`{ type: 'held' }` over IPC), and then blocks, holding the lease and the open store, until it
// is killed. `claim`: claims the lease as soon as it can, trying again every `retryMs`, and tells
// the parent (`{ type: 'claimed', attempts }`).
//
// lease-takeover.bench.ts builds it into bench/dist/ and forks
// `node bench/dist/lease-child.js '<json args>'`.
import { setTimeout as sleep } from 'node:timers/promises';

import { openStateStore } from '../src/index.js';
import { type LeaseKind, tryClaimLease } from './lease-kinds.js';

/** Arguments of the child (JSON, its first argument). */
export interface LeaseChildArgs {
  mode: 'hold' | 'claim';
  home: string;
  kind: LeaseKind;
  /** `claim`: pause between attempts, ms. */
  retryMs?: number;
  /** `claim`: give up after this long, ms (default 30 s). */
  timeoutMs?: number;
}

/** What the child sends its parent. */
export type LeaseChildMessage =
  | { type: 'held'; pid: number }
  | { type: 'claimed'; attempts: number }
  | { type: 'error'; error: string };

const args = JSON.parse(process.argv[2] ?? '{}') as LeaseChildArgs;
const send = (message: LeaseChildMessage): Promise<void> =>
  new Promise((resolve) => process.send?.(message, undefined, undefined, () => resolve()));

const store = await openStateStore({ home: args.home });
const workerId = `${args.mode}:${process.pid}`;
if (args.mode === 'hold') {
  const outcome = await tryClaimLease({ store, kind: args.kind, workerId });
  if (outcome !== 'claimed') {
    await send({
      type: 'error',
      error: `the holder could not claim the ${args.kind} lease: ${outcome}`,
    });
    process.exit(1);
  }
  await send({ type: 'held', pid: process.pid });
  // Hold the lease (and the store) until killed; never renew it.
  setInterval(() => undefined, 60_000);
} else {
  const deadline = Date.now() + (args.timeoutMs ?? 30_000);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const outcome = await tryClaimLease({ store, kind: args.kind, workerId });
    if (outcome === 'claimed') break;
    if (Date.now() > deadline) {
      await send({ type: 'error', error: `still ${outcome} after ${attempts} attempts` });
      process.exit(1);
    }
    await sleep(args.retryMs ?? 5);
  }
  await send({ type: 'claimed', attempts });
  await store.close();
  process.disconnect?.();
}
