import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/**
 * Starts a worker thread running a TypeScript module from the sources, through tsx: what tests
 * need where the package, once built, starts its compiled JavaScript worker. (Node 20 does not
 * pass a `--import` loader on to worker threads, so the worker registers tsx itself before
 * importing the module.) A `.js` module is started as it is.
 *
 * @example
 * ```ts
 * const worker = spawnTypeScriptWorker(new URL('../src/backfill/extract-worker.ts', import.meta.url), {
 *   resourceLimits: { maxOldGenerationSizeMb: 64 },
 * });
 * worker.on('message', onMessage);
 * ```
 */
export function spawnTypeScriptWorker(script: URL, options: WorkerOptions = {}): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, options);
  const tsxApi = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`,
    { ...options, eval: true },
  );
}
