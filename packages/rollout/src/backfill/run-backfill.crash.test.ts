import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ErrorCode, openStateStore } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type * as ExtractPoolModule from './extract-pool.js';
import { runBackfill } from './run-backfill.js';

// The backfill's workers run test/extract-crash.worker.ts: the real extraction, except that a
// worker runs out of memory (a real ERR_WORKER_OUT_OF_MEMORY, under a small heap limit) on any
// rollout under a folder named crash-oom, as on a rollout with one gigantic line.
vi.mock('./spawn-extract-worker.js', async () => {
  const { spawnTypeScriptWorker } = await import('@agent-state/test-utils');
  return {
    spawnExtractWorker: () =>
      spawnTypeScriptWorker(new URL('../../test/extract-crash.worker.ts', import.meta.url), {
        resourceLimits: { maxOldGenerationSizeMb: 64 },
      }),
  };
});

// Only the workers extract (the calling thread does not help): the poisoned
// rollout must reach a worker.
vi.mock('./extract-pool.js', async (importOriginal) => {
  const actual = await importOriginal<typeof ExtractPoolModule>();
  class WorkersOnlyPool extends actual.ExtractPool {
    constructor(options: ConstructorParameters<typeof actual.ExtractPool>[0] = {}) {
      super({ ...options, callerHelps: false });
    }
  }
  return { ...actual, ExtractPool: WorkersOnlyPool };
});

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('backfill with a rollout that crashes its extraction worker', () => {
  it('completes, counting that rollout as failed with its path, and indexes all the others', async () => {
    const home = temp.make('home');
    const corpus = generateCorpus({ home, count: 30, seed: 21, archivedShare: 0 });
    const id = '01a1fca2-0000-7000-8000-0000000000aa';
    const poison = join(home, 'sessions', 'crash-oom', `rollout-2026-01-01T00-00-00-${id}.jsonl`);
    mkdirSync(join(home, 'sessions', 'crash-oom'), { recursive: true });
    writeFileSync(
      poison,
      `${JSON.stringify({ timestamp: '2026-01-01T00:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-01-01T00:00:00.000Z', cwd: '/w' } })}\n`,
    );
    const store = await openStateStore({ home });
    try {
      const result = await runBackfill({ store, workers: 1, batchSize: 200 });
      expect(result).toMatchObject({
        outcome: 'complete',
        scanned: 31,
        upserted: 30,
        failed: 1,
      });
      expect(result.failures).toEqual([
        {
          kind: 'rollout',
          path: poison,
          code: ErrorCode.RolloutUnreadable,
          message: expect.stringMatching(
            /: the extraction worker crashed while reading it \(ERR_WORKER_OUT_OF_MEMORY/,
          ) as string,
        },
      ]);
      expect(await store.threads.count()).toBe(corpus.files.length);
      expect(await store.backfill.get()).toMatchObject({ status: 'complete' });
    } finally {
      await store.close();
    }
  }, 60_000);
});
