import { cpSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runBackfill } from '@agent-state/rollout';
import { ManualClock, openStateStore } from '@agent-state/state';
import { forkScript, generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

import { recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import type { BackfillCrashArgs } from './backfill.worker.js';
import { killAt } from './crash-helpers.js';

const WORKER = fileURLToPath(new URL('./backfill.worker.ts', import.meta.url));
const MATRIX = 'crash/backfill';
const COUNT = 300;
const BATCH = 25;
const temp = tempDirs();
afterAll(() => temp.cleanup());

/**
 * The row of every corpus thread (rollout path relative to the home) and the store's row count,
 * which must match the corpus: no lost thread, no extra one.
 */
async function threadRows(home: string, ids: readonly string[]) {
  const store = await openStateStore({ home, clock: new ManualClock(Date.now()) });
  try {
    const rows = [];
    for (const id of ids) {
      const row = await store.threads.get(id);
      rows.push(row ? { ...row, rolloutPath: relative(home, row.rolloutPath) } : { lost: id });
    }
    return { rows, count: await store.threads.count() };
  } finally {
    await store.close();
  }
}

describe('crash matrix: backfill', () => {
  it('a backfill SIGKILLed at seeded points is resumed at once (its lease still live) and ends equal to a clean run', async () => {
    const matrixSeed = seed(MATRIX);
    const random = seededRandom(matrixSeed);
    const n = trials({ ci: 3, soak: 100 });
    let kills = 0;
    let checks = 0;
    let failures = 0;
    try {
      const template = temp.make('template');
      const ids = generateCorpus({ home: template, count: COUNT, seed: 8 }).files.map((f) => f.id);
      const cleanHome = temp.make('clean');
      cpSync(template, cleanHome, { recursive: true, preserveTimestamps: true });
      {
        const store = await openStateStore({ home: cleanHome });
        expect((await runBackfill({ store, workers: 0, batchSize: BATCH })).outcome).toBe(
          'complete',
        );
        await store.close();
      }
      const clean = await threadRows(cleanHome, ids);
      expect(clean.count).toBe(COUNT);
      expect(clean.rows.filter((r) => 'lost' in r)).toEqual([]);

      for (let trial = 0; trial < n; trial += 1) {
        // Kill after a seeded checkpoint (-1: right after opening the store), a seeded few ms
        // later: at a batch boundary or inside the next batch.
        const atDone = Math.floor(random() * (COUNT / BATCH + 1)) * BATCH - BATCH;
        const delayMs = random() < 0.3 ? 0 : Math.floor(random() * 40);
        const where = `seed ${matrixSeed}, trial ${trial}: kill at done>=${atDone} +${delayMs}ms`;
        const home = temp.make('crash');
        cpSync(template, home, { recursive: true, preserveTimestamps: true });
        const args: BackfillCrashArgs = { home, batchSize: BATCH };
        const child = forkScript(WORKER, args);
        const ended = await killAt(
          child,
          (m) => m.type === 'progress' && m.done >= atDone,
          delayMs,
        );
        if (ended === 'killed') kills += 1;

        // The next process runs at once, while the dead one's lease still runs (the clock does
        // not move past it): the dead holder is detected and its lease taken over.
        const store = await openStateStore({ home, clock: new ManualClock(Date.now()) });
        const before = await store.backfill.get();
        const result = await runBackfill({ store, workers: 0, batchSize: BATCH });
        const status = (await store.backfill.get()).status;
        await store.close();
        try {
          if (before.status === 'running') {
            expect(before.leaseUntil ?? 0, `${where}: lease still live`).toBeGreaterThan(
              Date.now() / 1000,
            );
            expect(before.holder?.pid, where).toBe(child.process.pid);
            expect(before.holderDead, `${where}: dead holder detected`).toBe(true);
            checks += 1;
          }
          expect(['complete', 'already-complete'], where).toContain(result.outcome);
          expect(result.failed ?? 0, where).toBe(0);
          expect(status, where).toBe('complete');
          const after = await threadRows(home, ids);
          expect(after.count, `${where}: lost or duplicate threads`).toBe(COUNT);
          expect(after.rows, `${where}: differs from the clean run`).toEqual(clean.rows);
          checks += 4;
        } catch (error) {
          failures += 1;
          process.stdout.write(`crash/backfill failed (${where})\n`);
          throw error;
        }
      }
    } finally {
      recordMatrix({ matrix: MATRIX, seed: matrixSeed, trials: n, kills, checks, failures });
    }
  });
});
