import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { ErrorCode } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from '../extract/extract-rollout.js';

/** @internal A job sent to an extraction worker. */
export interface ExtractJob {
  id: number;
  path: string;
  options: ExtractRolloutOptions;
}

/** @internal A worker's answer. */
export type ExtractReply =
  | { id: number; ok: true; result: ExtractedRollout }
  | { id: number; ok: false; error: { code: string | undefined; message: string } };

interface Pending {
  resolve: (result: ExtractedRollout) => void;
  reject: (error: unknown) => void;
  path: string;
}

/**
 * Extracts rollout metadata on `size` worker threads (0: on the calling thread). Jobs are handed
 * to whichever worker is free; results come back per job, so callers keep their own order.
 */
export class ExtractPool {
  readonly size: number;
  readonly #workers: Array<{ worker: Worker; busy: number | undefined }> = [];
  readonly #queue: ExtractJob[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(options: { size?: number | undefined } = {}) {
    this.size = Math.max(0, options.size ?? defaultPoolSize());
    for (let i = 0; i < this.size; i += 1) this.#startWorker();
  }

  /** Extracts one rollout (see `extractRolloutMetadata`); rejects with its `RolloutFileError`. */
  extract(path: string, options: ExtractRolloutOptions): Promise<ExtractedRollout> {
    if (this.size === 0) {
      try {
        return Promise.resolve(extractRolloutMetadata(path, options));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, reject, path });
      this.#queue.push({ id, path, options });
      this.#dispatch();
    });
  }

  /** Stops the workers; pending jobs are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [, pending] of this.#pending) pending.reject(new Error('extraction pool closed'));
    this.#pending.clear();
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }

  #startWorker(): void {
    const worker = spawnExtractWorker();
    const slot: { worker: Worker; busy: number | undefined } = { worker, busy: undefined };
    worker.on('message', (reply: ExtractReply) => {
      slot.busy = undefined;
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (pending) {
        if (reply.ok) pending.resolve(reply.result);
        else pending.reject(toError(pending.path, reply.error));
      }
      this.#dispatch();
    });
    worker.on('error', (error) => {
      // A crashed worker fails its job and is replaced.
      const id = slot.busy;
      slot.busy = undefined;
      const index = this.#workers.indexOf(slot);
      if (index !== -1) this.#workers.splice(index, 1);
      if (id !== undefined) {
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        pending?.reject(error);
      }
      if (!this.#closed) {
        this.#startWorker();
        this.#dispatch();
      }
    });
    worker.unref();
    this.#workers.push(slot);
  }

  #dispatch(): void {
    for (const slot of this.#workers) {
      if (slot.busy !== undefined) continue;
      const job = this.#queue.shift();
      if (!job) return;
      slot.busy = job.id;
      slot.worker.ref();
      slot.worker.postMessage(job);
    }
    if (this.#queue.length === 0 && this.#pending.size === 0) {
      for (const { worker } of this.#workers) worker.unref();
    }
  }
}

function defaultPoolSize(): number {
  return Math.min(Math.max(availableParallelism(), 1), 8);
}

function toError(path: string, error: { code: string | undefined; message: string }): Error {
  if (error.code === ErrorCode.RolloutInvalid || error.code === ErrorCode.RolloutUnreadable) {
    // The message already names the path.
    const prefix = `${path}: `;
    const problem = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    return new RolloutFileError(error.code, path, problem);
  }
  return new Error(`${path}: ${error.message}`);
}

/**
 * Starts the extraction worker: the compiled `extract-worker.js` next to this module in the built
 * package; when running from TypeScript sources (tests), the `.ts` file through tsx.
 */
function spawnExtractWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./extract-worker.js', here));
  const require = createRequire(here);
  const tsxApi = pathToFileURL(
    join(dirname(require.resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
  ).href;
  const target = new URL('./extract-worker.ts', here).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`,
    { eval: true },
  );
}
