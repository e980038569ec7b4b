// Child process of rollout.bench.ts: backfills the rollouts of one home into a fresh store in
// another and prints, as one JSON line, the outcome, the time and the process's peak RSS (which
// includes the extraction worker threads: they share the process).
//
// rollout.bench.ts builds it with the package and runs
// `node bench/dist/backfill-child.js <store-home> <rollout-home>`;
// from the sources: `node --import tsx bench/backfill-child.ts <store-home> <rollout-home>`.
import { performance } from 'node:perf_hooks';

import { openStateStore } from '@agent-state/state';

import { runBackfill } from '../src/index.js';

const [storeHome, rolloutHome] = process.argv.slice(2);
if (!storeHome || !rolloutHome) {
  throw new Error('usage: backfill-child.ts <store-home> <rollout-home>');
}

const store = await openStateStore({ home: storeHome });
const t0 = performance.now();
const result = await runBackfill({ store, home: rolloutHome });
const seconds = (performance.now() - t0) / 1000;
await store.close();

// `maxRSS` is in kilobytes.
const maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(
  `${JSON.stringify({
    outcome: result.outcome,
    upserted: result.upserted,
    failed: result.failed,
    seconds,
    maxRssMB,
  })}\n`,
);
