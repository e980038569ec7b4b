import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the rollout extraction worker: the compiled `extract-worker.js` next to this module in
 * the built package; when running from TypeScript sources (tests), `extract-worker.ts` through
 * tsx.
 *
 * @example
 * ```ts
 * const worker = spawnExtractWorker();
 * worker.on('message', onMessage);
 * ```
 */
export function spawnExtractWorker(): Worker {
  const here = import.meta.url;
  return spawnWorkerModule(
    new URL(here.endsWith('.ts') ? './extract-worker.ts' : './extract-worker.js', here),
  );
}

/**
 * Starts a worker thread running the module at `script`; a `.ts` module is loaded through tsx
 * (a development dependency, there only when running from sources).
 *
 * @example
 * ```ts
 * const worker = spawnWorkerModule(new URL('./extract-worker.ts', import.meta.url), {
 *   resourceLimits: { maxOldGenerationSizeMb: 64 },
 * });
 * ```
 */
export function spawnWorkerModule(script: URL, options: WorkerOptions = {}): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, options);
  const require = createRequire(import.meta.url);
  const tsxApi = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`,
    { ...options, eval: true },
  );
}
