import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { ErrorCode, isAgentStateError } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from '../extract/extract-rollout.js';

/** One rollout to extract. */
export interface ExtractItem {
  path: string;
  options: ExtractRolloutOptions;
}

/** What happened to one rollout: its metadata, or why it could not be read. */
export type ExtractOutcome =
  | { ok: true; result: ExtractedRollout }
  | { ok: false; error: { code: string | undefined; message: string } };

/** @internal A slice of rollouts sent to an extraction worker. */
export interface ExtractJob {
  id: number;
  items: ExtractItem[];
}

/** @internal A worker's answer: one outcome per item, in order. */
export interface ExtractReply {
  id: number;
  outcomes: ExtractOutcome[];
}

/** Rollouts per message to a worker: enough to amortize messaging, small enough to balance. */
const SLICE = 16;

/**
 * Extracts one slice of rollouts on the calling thread, catching per-file errors. The worker entry
 * runs exactly this.
 */
export function extractSlice(items: readonly ExtractItem[]): ExtractOutcome[] {
  return items.map((item) => {
    try {
      return { ok: true, result: extractRolloutMetadata(item.path, item.options) };
    } catch (error) {
      return {
        ok: false,
        error: {
          code: isAgentStateError(error) ? error.code : undefined,
          message: error instanceof Error ? error.message : String(error),
        },
      };
    }
  });
}

interface Slot {
  worker: Worker;
  busy: { id: number; reject: (error: unknown) => void } | undefined;
}

/**
 * Extracts rollout metadata on `size` worker threads (0: on the calling thread). Work goes out in
 * slices of a few files per message, to whichever worker is free; results come back in order.
 */
export class ExtractPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Array<{
    job: ExtractJob;
    resolve: (o: ExtractOutcome[]) => void;
    reject: (e: unknown) => void;
  }> = [];
  readonly #waiting = new Map<number, (outcomes: ExtractOutcome[]) => void>();
  #nextId = 0;
  #closed = false;

  constructor(options: { size?: number | undefined } = {}) {
    this.size = Math.max(0, options.size ?? defaultPoolSize());
    for (let i = 0; i < this.size; i += 1) this.#startWorker();
  }

  /**
   * Extracts every item; settles with one outcome per item, in order (a file that cannot be read
   * gives a rejected outcome with its `RolloutFileError`, never a rejected promise).
   */
  async extractAll(
    items: readonly ExtractItem[],
  ): Promise<Array<PromiseSettledResult<ExtractedRollout>>> {
    const slices: ExtractItem[][] = [];
    for (let start = 0; start < items.length; start += SLICE)
      slices.push(items.slice(start, start + SLICE));
    const outcomes =
      this.size === 0
        ? slices.map((slice) => extractSlice(slice))
        : await Promise.all(slices.map((slice) => this.#submit(slice)));
    return outcomes
      .flat()
      .map((outcome, index) =>
        outcome.ok
          ? { status: 'fulfilled', value: outcome.result }
          : { status: 'rejected', reason: toError(items[index]!.path, outcome.error) },
      );
  }

  /** Stops the workers; pending work is rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const { reject } of this.#queue.splice(0)) reject(new Error('extraction pool closed'));
    for (const slot of this.#slots) slot.busy?.reject(new Error('extraction pool closed'));
    await Promise.all(this.#slots.map(({ worker }) => worker.terminate()));
  }

  #submit(items: ExtractItem[]): Promise<ExtractOutcome[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job: { id: this.#nextId++, items }, resolve, reject });
      this.#dispatch();
    });
  }

  #startWorker(): void {
    const slot: Slot = { worker: spawnExtractWorker(), busy: undefined };
    slot.worker.on('message', (reply: ExtractReply) => {
      slot.busy = undefined;
      const resolve = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      resolve?.(reply.outcomes);
      this.#dispatch();
    });
    slot.worker.on('error', (error) => {
      // A crashed worker fails its slice and is replaced.
      const busy = slot.busy;
      slot.busy = undefined;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      if (busy) {
        this.#waiting.delete(busy.id);
        busy.reject(error);
      }
      if (!this.#closed) {
        this.#startWorker();
        this.#dispatch();
      }
    });
    slot.worker.unref();
    this.#slots.push(slot);
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      const next = this.#queue.shift();
      if (!next) break;
      slot.busy = { id: next.job.id, reject: next.reject };
      this.#waiting.set(next.job.id, next.resolve);
      slot.worker.ref();
      slot.worker.postMessage(next.job);
    }
    // Idle workers must not keep the process alive.
    for (const slot of this.#slots) if (!slot.busy) slot.worker.unref();
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
