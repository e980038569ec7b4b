import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

import { ErrorCode } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { ExtractPool } from './extract-pool.js';

// The pool starts test/extract-crash.worker.ts instead of the real worker: the same extraction,
// but it dies on rollouts under a folder named crash-throws, crash-exits or crash-oom.
const worker = vi.hoisted(() => ({ failAtStartup: false, started: 0 }));
vi.mock('./spawn-extract-worker.js', async () => {
  const { spawnTypeScriptWorker } = await import('@agent-state/test-utils');
  return {
    spawnExtractWorker: () => {
      worker.started += 1;
      return spawnTypeScriptWorker(new URL('../../test/extract-crash.worker.ts', import.meta.url), {
        workerData: { failAtStartup: worker.failAtStartup },
        // Small enough for crash-oom to exhaust quickly, large enough for tsx and the extraction.
        resourceLimits: { maxOldGenerationSizeMb: 64 },
      });
    },
  };
});

const temp = tempDirs();
const pools: ExtractPool[] = [];
afterEach(async () => {
  worker.failAtStartup = false;
  worker.started = 0;
  for (const pool of pools.splice(0)) await pool.close();
  temp.cleanup();
});

function pool(size: number): ExtractPool {
  // Only the workers extract: these tests are about what happens to them.
  const created = new ExtractPool({ size, callerHelps: false });
  pools.push(created);
  return created;
}

/** 40 good rollouts (three slices of 16), and a copy of one under each `markers` folder. */
function rollouts(markers: string[]): { good: string[]; bad: string[] } {
  const home = temp.make('home');
  const good = generateCorpus({ home, count: 40, seed: 12, archivedShare: 0 })
    .files.map((f) => f.path)
    .sort();
  const bad = markers.map((marker, n) => {
    const dir = join(home, 'sessions', marker);
    mkdirSync(dir, { recursive: true });
    const id = `01a1fca2-0000-7000-8000-${String(n).padStart(12, '0')}`;
    const path = join(dir, `rollout-2026-01-01T00-00-00-${id}.jsonl`);
    writeFileSync(
      path,
      `${JSON.stringify({ timestamp: '2026-01-01T00:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-01-01T00:00:00.000Z', cwd: '/w' } })}\n`,
    );
    return path;
  });
  return { good, bad };
}

function items(paths: string[]) {
  return paths.map((path) => ({ path, options: { defaultProvider: 'openai' } }));
}

// Each test starts worker threads through tsx, one more for each crash: seconds apiece on a busy
// machine, hence the long timeouts.
describe('ExtractPool with a worker that dies', () => {
  it.each([
    ['throws (error, then exit)', 'crash-throws', 'simulated crash'],
    ['exits without an error event', 'crash-exits', 'exited with code 7'],
    ['runs out of memory on it', 'crash-oom', 'ERR_WORKER_OUT_OF_MEMORY'],
  ])(
    'fails only the rollout whose worker %s, naming it, and extracts the rest',
    async (_label, marker, why) => {
      const { good, bad } = rollouts([marker]);
      // The bad rollout in the middle of the second slice.
      const paths = [...good.slice(0, 20), bad[0]!, ...good.slice(20)];
      const settled = await pool(2).extractAll(items(paths));

      expect(settled).toHaveLength(paths.length);
      const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [[i, s.reason]] : []));
      expect(failed).toHaveLength(1);
      const [index, error] = failed[0] as [number, unknown];
      expect(index).toBe(20);
      expect(error).toBeInstanceOf(RolloutFileError);
      expect(error).toMatchObject({ code: ErrorCode.RolloutUnreadable, path: bad[0] });
      expect((error as Error).message).toContain(`${bad[0]}: the extraction worker crashed`);
      expect((error as Error).message).toContain(why);
      const ids = settled.flatMap((s) =>
        s.status === 'fulfilled' ? [s.value.metadata.rolloutPath] : [],
      );
      expect(ids).toEqual([...good.slice(0, 20), ...good.slice(20)]);
    },
    90_000,
  );

  it('isolates several bad rollouts of one slice, and stays usable afterwards', async () => {
    const { good, bad } = rollouts(['crash-throws', 'crash-exits']);
    const extractor = pool(1);
    const settled = await extractor.extractAll(items([bad[0]!, ...good.slice(0, 5), bad[1]!]));
    expect(settled.map((s) => s.status)).toEqual([
      'rejected',
      ...Array<string>(5).fill('fulfilled'),
      'rejected',
    ]);
    const again = await extractor.extractAll(items(good));
    expect(again.every((s) => s.status === 'fulfilled')).toBe(true);
  }, 90_000);

  it('rejects the work when no worker can even start (a broken installation, not a bad file)', async () => {
    worker.failAtStartup = true;
    const { good } = rollouts([]);
    const extractor = pool(2);
    await expect(extractor.extractAll(items(good.slice(0, 3)))).rejects.toThrow(
      /cannot start the rollout extraction worker: simulated broken installation/,
    );
    await expect(extractor.extractAll(items(good.slice(0, 1)))).rejects.toThrow(
      /cannot start the rollout extraction worker/,
    );
  }, 90_000);
});

describe('ExtractPool sized by the work', () => {
  it('reads a small batch on the calling thread alone, starting no worker', async () => {
    const { good } = rollouts([]);
    const extractor = new ExtractPool({ expectedItems: good.length });
    pools.push(extractor);
    const settled = await extractor.extractAll(items(good));
    expect(settled.map((s) => s.status)).toEqual(Array<string>(good.length).fill('fulfilled'));
    expect(worker.started).toBe(0);
  }, 90_000);

  it('starts a worker per further core once the bytes left repay them, results in order', async () => {
    const { good } = rollouts([]);
    // Every byte repays a worker here: as many start as the pool may have.
    const extractor = new ExtractPool({ expectedItems: good.length, payoffBytes: 1 });
    pools.push(extractor);
    const settled = await extractor.extractAll(items(good));
    const paths = settled.map((s) => (s.status === 'fulfilled' ? s.value.metadata.rolloutPath : s));
    expect(paths).toEqual(good);
    expect(worker.started).toBe(extractor.size);
    expect(extractor.size).toBe(Math.min(Math.max(availableParallelism() - 1, 0), 8));
  }, 90_000);
});
