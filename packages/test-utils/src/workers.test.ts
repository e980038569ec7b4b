import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { tempDirs } from './temp-dirs.js';
import { runWorkers } from './workers.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const WORKERS_MODULE = JSON.stringify(new URL('./workers.ts', import.meta.url).href);

function script(body: string): string {
  const path = join(temp.make('worker'), 'worker.mts');
  writeFileSync(path, `import { workerMain } from ${WORKERS_MODULE};\n${body}\n`);
  return path;
}

describe('runWorkers', () => {
  it('releases all workers together and collects their results', async () => {
    const path = script(
      `await workerMain<{ n: number }, number, number>({ prepare: (a) => a.n * 10, body: (s, a) => s + a.n });`,
    );
    const outcomes = await runWorkers<number>({ script: path, count: 4, args: (i) => ({ n: i }) });
    expect(outcomes.map((o) => o.value)).toEqual([0, 11, 22, 33]);
    expect(new Set(outcomes.map((o) => o.pid)).size).toBe(4);
  });

  it('rejects with the worker error when a worker throws', async () => {
    const path = script(
      `await workerMain({ prepare: () => 1, body: () => { throw new Error('boom in worker'); } });`,
    );
    await expect(runWorkers({ script: path, count: 2 })).rejects.toThrowError(/boom in worker/);
  });

  it('rejects when a worker dies before it is ready', async () => {
    const path = script(`process.exit(3);`);
    await expect(runWorkers({ script: path, count: 1 })).rejects.toThrowError(
      /exited before it was ready/,
    );
  });
});
