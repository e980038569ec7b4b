import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ManualClock, type ThreadMetadata, openStateStore } from '@agent-state/state';
import { forkScript, generateCorpus, runWorkers, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import type { BackfillWorkerArgs } from '../../test/backfill.worker.js';
import { runBackfill } from './run-backfill.js';

const WORKER = fileURLToPath(new URL('../../test/backfill.worker.ts', import.meta.url));
const COUNT = 600;
const SEED = 21;
const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Every row of the corpus's threads (all have the same ids for one seed), paths made relative. */
async function rows(
  home: string,
  ids: readonly string[],
): Promise<Array<ThreadMetadata & { rel: string }>> {
  const store = await openStateStore({ home });
  try {
    const out = [];
    for (const id of ids) {
      const m = await store.threads.get(id);
      if (m) out.push({ ...m, rolloutPath: '', rel: relative(home, m.rolloutPath) });
    }
    return out;
  } finally {
    await store.close();
  }
}

let corpusIds: string[] = [];

async function cleanBackfill(): Promise<Awaited<ReturnType<typeof rows>>> {
  const home = temp.make('clean');
  corpusIds = generateCorpus({ home, count: COUNT, seed: SEED }).files.map((f) => f.id);
  const store = await openStateStore({ home });
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  await store.close();
  return rows(home, corpusIds);
}

/**
 * Resumes on `home` as the next process would, at once: the dead process's lease still runs (the
 * clock is the one the dead process used), but its holder is gone, so it is taken over.
 */
async function resume(home: string): Promise<void> {
  const store = await openStateStore({ home, clock: new ManualClock(Date.now()) });
  const before = await store.backfill.get();
  if (before.status === 'running') {
    expect(before.leaseUntil).toBeGreaterThan(Date.now() / 1000);
    expect(before.holderDead).toBe(true);
  }
  const result = await runBackfill({ store, workers: 0 });
  await store.close();
  expect(result).toMatchObject({ outcome: 'complete', failed: 0 });
}

/**
 * Each test spawns several processes that index a corpus: seconds alone, but many times that on a
 * loaded machine running every package's tests at once.
 */
const PROCESS_TEST_TIMEOUT_MS = 180_000;

describe('backfill across real processes', () => {
  it(
    'a SIGKILLed backfill is resumed at once after its checkpoint and ends equal to a clean run',
    async () => {
      const clean = await cleanBackfill();
      expect(clean).toHaveLength(COUNT);

      const scenarios: Array<{ name: string; killAtDone?: number; killAfterMs?: number }> = [
        { name: 'right after the claim, before any batch', killAtDone: 0 },
        { name: 'between batches, after the second checkpoint', killAtDone: 100 },
        // Seeded delays: the kill lands wherever the child is, usually mid-batch.
        { name: 'at a random moment (seed 1)', killAfterMs: 150 },
        { name: 'at a random moment (seed 2)', killAfterMs: 420 },
      ];
      for (const scenario of scenarios) {
        const home = temp.make('crash');
        generateCorpus({ home, count: COUNT, seed: SEED });
        const args: BackfillWorkerArgs = {
          home,
          batchSize: 50,
          killAtDone: scenario.killAtDone ?? COUNT + 1,
        };
        const child = forkScript(WORKER, args);
        if (scenario.killAfterMs !== undefined) {
          setTimeout(() => child.process.kill('SIGKILL'), scenario.killAfterMs);
        }
        const exit = await child.exited;
        if (exit.signal !== 'SIGKILL') {
          // The random kill came after the child finished: still a valid run, nothing to resume.
          expect(exit.code, child.stderr()).toBe(0);
        }
        await resume(home);
        expect(await rows(home, corpusIds), scenario.name).toEqual(clean);
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'four processes starting at once: one does the work, the others skip, all see it complete',
    async () => {
      const home = temp.make('race');
      generateCorpus({ home, count: 300, seed: 3 });
      const outcomes = await runWorkers<string>({
        script: WORKER,
        count: 4,
        args: (): BackfillWorkerArgs => ({ home, batchSize: 50 }),
        timeoutMs: 90_000,
      });
      const values = outcomes.map((o) => o.value).sort();
      expect(values.filter((v) => v === 'complete')).toHaveLength(1);
      expect(values.every((v) => ['complete', 'held', 'already-complete'].includes(v))).toBe(true);
      const store = await openStateStore({ home });
      expect(await store.threads.count()).toBe(300);
      expect((await store.backfill.get()).status).toBe('complete');
      await store.close();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
