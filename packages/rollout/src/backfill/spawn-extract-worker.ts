import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the rollout extraction worker: the compiled `extract-worker.js` beside the module that
 * holds this code, as the package builds it (`dist/extract-worker.js`, also exported as
 * `@agent-state/rollout/extract-worker`) and as a bundler that bundles the package must place it
 * (beside the chunk holding the pool; see the CLI's tsup config). The package's own tests, which
 * run from the TypeScript sources, start `extract-worker.ts` through their setup instead.
 *
 * @example
 * ```ts
 * const worker = spawnExtractWorker();
 * worker.on('message', onMessage);
 * ```
 */
export function spawnExtractWorker(options: WorkerOptions = {}): Worker {
  return new Worker(new URL('./extract-worker.js', import.meta.url), options);
}
