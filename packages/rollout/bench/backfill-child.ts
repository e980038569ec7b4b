// Child process of rollout.bench.ts: backfills the rollouts of one home into a fresh store in
// another and prints, as one JSON line, the outcome, the time, the process's peak RSS (which
// includes the extraction worker threads: they share the process; see `peakRss` for how it is
// read) and whether the native zstd
// decoder (the optional `zstd-napi`) can be loaded from where this script runs; when it cannot,
// compressed rollouts are decoded by the `fzstd` fallback.
//
// rollout.bench.ts builds it with the package and runs
// `node bench/dist/backfill-child.js <store-home> <rollout-home>`: built, because the backfill's
// worker threads start the compiled `extract-worker.js` beside the pool (there is none beside the
// TypeScript sources).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

import { openStateStore } from '@agent-state/state';

import { runBackfill } from '../src/index.js';

const [storeHome, rolloutHome] = process.argv.slice(2);
if (!storeHome || !rolloutHome) {
  throw new Error('usage: backfill-child.ts <store-home> <rollout-home>');
}

/** Whether `zstd-napi` resolves from here, as the decoder (bundled beside this file) asks it. */
function nativeZstdResolves(): boolean {
  try {
    createRequire(import.meta.url).resolve('zstd-napi/binding');
    return true;
  } catch {
    return false;
  }
}

/**
 * This process's peak RSS, MB, and where it was read: `VmHWM` of /proc/self/status (Linux: the
 * high-water mark of this program's memory since it was exec'd), else `process.resourceUsage()`'s
 * `maxRSS`. Not `maxRSS` on Linux: it also counts the forked copy of the parent that became this
 * process (its peak carries over `exec`), so a child of a large bench process would report the
 * bench's size rather than its own.
 */
function peakRss(): { mb: number; source: 'VmHWM' | 'maxRSS' } {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return { mb: Number(match[1]) / 1024, source: 'VmHWM' };
  } catch {
    // No /proc: not Linux.
  }
  // `maxRSS` is in kilobytes.
  return { mb: process.resourceUsage().maxRSS / 1024, source: 'maxRSS' };
}

const store = await openStateStore({ home: storeHome });
const t0 = performance.now();
const result = await runBackfill({ store, home: rolloutHome });
const seconds = (performance.now() - t0) / 1000;
await store.close();

const peak = peakRss();
process.stdout.write(
  `${JSON.stringify({
    outcome: result.outcome,
    upserted: result.upserted,
    failed: result.failed,
    seconds,
    maxRssMB: peak.mb,
    maxRssSource: peak.source,
    zstdDecoder: nativeZstdResolves() ? 'native' : 'js',
  })}\n`,
);
