import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { extractRolloutMetadata, loadRollout, reconcile } from '@agent-state/rollout';
import { ManualClock, openStateStore } from '@agent-state/state';
import { forkScript, tempDirs } from '@agent-state/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

import { recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import { killAt } from './crash-helpers.js';
import { crashSessionItems } from './crash-session.js';
import type { RecorderCrashArgs, RecorderCrashInfo } from './recorder.worker.js';

const WORKER = fileURLToPath(new URL('./recorder.worker.ts', import.meta.url));
const MATRIX = 'crash/recorder';
const MAX_TURNS = 400;
const temp = tempDirs();
afterAll(() => temp.cleanup());

describe('crash matrix: recording session', () => {
  it('a recorder SIGKILLed at seeded points leaves a rollout that parses to its last complete line, and a store that agrees after reconcile', async () => {
    const matrixSeed = seed(MATRIX);
    const random = seededRandom(matrixSeed);
    const n = trials({ ci: 3, soak: 100 });
    let kills = 0;
    let checks = 0;
    let failures = 0;
    try {
      for (let trial = 0; trial < n; trial += 1) {
        const sessionSeed = Math.floor(random() * 2 ** 31);
        const atTurn = Math.floor(random() * 40);
        const delayMs = random() < 0.3 ? 0 : Math.floor(random() * 25);
        const where = `seed ${matrixSeed}, trial ${trial}: kill after turn ${atTurn} +${delayMs}ms`;
        const home = temp.make('rec');
        const args: RecorderCrashArgs = { home, sessionSeed, maxTurns: MAX_TURNS };
        const child = forkScript(WORKER, args);
        let info: RecorderCrashInfo | undefined;
        const ended = await killAt(
          child,
          (m) => {
            if (m.type === 'progress') info = m.info as RecorderCrashInfo;
            return m.type === 'progress' && m.done >= atTurn;
          },
          delayMs,
        );
        if (ended === 'killed') kills += 1;
        try {
          expect(info, where).toBeDefined();
          const path = info!.path;
          // Every complete line parses; only the very last line may be cut.
          const { entries, issues } = await loadRollout(path);
          const text = readFileSync(path, 'utf8');
          const lineCount = text.split('\n').length;
          expect(issues.length, where).toBeLessThanOrEqual(1);
          for (const issue of issues) {
            expect(issue.kind, where).toBe('truncated');
            expect(issue.line, where).toBe(lineCount);
          }
          if (issues.length === 0) expect(text === '' || text.endsWith('\n'), where).toBe(true);
          expect(entries[0]?.line.type, where).toBe('session_meta');
          // In order, no gap, nothing invented.
          const items = entries
            .slice(1)
            .map(({ line }) => ({ type: line.type, payload: line.payload }));
          expect(items, where).toEqual(crashSessionItems(sessionSeed, items.length));
          checks += 4;

          // The store agrees with the rollout after reconcile, and a second pass finds nothing.
          const store = await openStateStore({ home, clock: new ManualClock(Date.now()) });
          try {
            const repaired = await reconcile({ store, repair: true, workers: 0 });
            expect(repaired.counts.unreadable_rollout, where).toBe(0);
            expect(repaired.counts.duplicate_rollout, where).toBe(0);
            const { metadata } = extractRolloutMetadata(path, { defaultProvider: 'openai' });
            expect(await store.threads.get(info!.threadId), where).toEqual(metadata);
            expect(await store.threads.count(), where).toBe(1);
            const again = await reconcile({ store, repair: false, workers: 0 });
            expect(again.findings, where).toEqual([]);
            checks += 5;
          } finally {
            await store.close();
          }
        } catch (error) {
          failures += 1;
          process.stdout.write(`crash/recorder failed (${where})\n`);
          throw error;
        }
      }
    } finally {
      recordMatrix({ matrix: MATRIX, seed: matrixSeed, trials: n, kills, checks, failures });
    }
  });
});
