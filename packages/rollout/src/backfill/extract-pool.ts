import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';

import { ErrorCode, isAgentStateError } from '@agent-state/state';

import { RolloutFileError } from '../errors.js';
import {
  type ExtractRolloutOptions,
  type ExtractedRollout,
  extractRolloutMetadata,
} from '../extract/extract-rollout.js';
import { spawnExtractWorker } from './spawn-extract-worker.js';

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

/**
 * @internal What an extraction worker posts: `ready` once it has loaded (work is sent only
 * then), and a `reply` per job with one outcome per item, in order.
 */
export type ExtractWorkerMessage =
  { kind: 'ready' } | { kind: 'reply'; id: number; outcomes: ExtractOutcome[] };

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

/** A job waiting for a worker, or being run by one. */
interface PendingJob {
  job: ExtractJob;
  resolve: (outcomes: ExtractOutcome[]) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded (said `ready`): only then is work sent to it. */
  ready: boolean;
  busy: PendingJob | undefined;
  /** It crashed or exited; its events are ignored from then on. */
  gone: boolean;
}

/**
 * Bytes of rollouts that a worker thread must have ahead of it to repay its start-up. A new worker
 * spends about 0.3 s of CPU loading the extraction code and warming its JIT before it reads at
 * full speed; in that time the calling thread, already warm, reads about this much. Measured with
 * the backfill of 2,000 and 10,000 rollouts on 2 cores: below it, extra threads made the backfill
 * slower, not faster.
 */
const WORKER_PAYOFF_BYTES = 256 * 1024 * 1024;

/** The longest the calling thread extracts without yielding to its event loop, ms. */
const HELP_SLICE_MS = 10;

/**
 * Extracts rollout metadata on the calling thread and on worker threads. Work goes out in slices
 * of a few files, to whichever thread is free; results come back in order.
 *
 * The calling thread extracts too, one slice at a time between its other work (it holds its event
 * loop for about 10 ms at a time). Workers start only when the work left repays their start-up (see
 * `WORKER_PAYOFF_BYTES`): the pool estimates it from the bytes per rollout seen so far and the
 * rollouts expected in all (`expectedItems`, else those queued). A small home is read on the calling
 * thread alone; a large one gets one worker per further core. A fixed `size` starts that many workers
 * at once instead.
 *
 * A worker that dies while reading a slice (it throws, runs out of memory on one huge line, or
 * exits) is replaced, and the files of its slice are retried one at a time: the file that
 * kills a worker on its own gets a per-file failure (`ROLLOUT_UNREADABLE`, naming it and the
 * crash) and every other file its result, so one bad rollout never fails a whole batch. A worker
 * that dies before it has even loaded is a broken installation, not a bad file: once no worker is
 * left, the pending work is rejected.
 */
export class ExtractPool {
  /** The most worker threads it starts. */
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: PendingJob[] = [];
  #nextId = 0;
  #closed = false;
  #broken: Error | undefined;
  /** Whether the calling thread extracts queued slices itself (see `extractAll`). */
  readonly #callerHelps: boolean;
  /** Workers start as the work warrants (no fixed `size` was given). */
  readonly #adaptive: boolean;
  readonly #expectedItems: number | undefined;
  readonly #payoffBytes: number;
  #workersStarted = 0;
  #itemsDone = 0;
  #bytesDone = 0;

  /**
   * `size`: a fixed number of worker threads, started at once (0: everything on the calling
   * thread); by default up to one per further core (at most 8), started as the work warrants.
   * `callerHelps` (default true): the calling thread extracts queued slices too; without it only
   * workers do (and all `size` of them start at once). `expectedItems`: how many rollouts the
   * caller will submit in all, over every `extractAll`, for the estimate of the work left.
   */
  constructor(
    options: {
      size?: number | undefined;
      callerHelps?: boolean | undefined;
      expectedItems?: number | undefined;
      /** @internal Bytes a worker must have ahead of it (default `WORKER_PAYOFF_BYTES`). */
      payoffBytes?: number | undefined;
    } = {},
  ) {
    this.size = Math.max(0, options.size ?? defaultPoolSize());
    this.#callerHelps = options.callerHelps ?? true;
    this.#adaptive = options.size === undefined && this.#callerHelps;
    this.#expectedItems = options.expectedItems;
    this.#payoffBytes = options.payoffBytes ?? WORKER_PAYOFF_BYTES;
    if (!this.#adaptive) this.#startWorkers(this.size);
  }

  /**
   * Extracts every item; settles with one outcome per item, in order (a file that cannot be read,
   * or that crashes a worker, gives a rejected outcome with its `RolloutFileError`). Rejects only
   * when no extraction worker can be started at all, or the pool is closed.
   */
  async extractAll(
    items: readonly ExtractItem[],
  ): Promise<Array<PromiseSettledResult<ExtractedRollout>>> {
    const slices: ExtractItem[][] = [];
    for (let start = 0; start < items.length; start += SLICE)
      slices.push(items.slice(start, start + SLICE));
    let outcomes: ExtractOutcome[][];
    if (this.size === 0) {
      outcomes = slices.map((slice) => extractSlice(slice));
    } else {
      const jobs = slices.map((slice) => this.#submit(slice));
      // Settle a rejected job at once (it is awaited below), not as an unhandled rejection.
      for (const job of jobs) job.catch(() => undefined);
      if (this.#callerHelps) await this.#help();
      outcomes = await Promise.all(jobs);
    }
    return outcomes
      .flat()
      .map((outcome, index) =>
        outcome.ok
          ? { status: 'fulfilled', value: outcome.result }
          : { status: 'rejected', reason: toError(items[index]!.path, outcome.error) },
      );
  }

  /**
   * The calling thread's share: while slices are queued it extracts one from the back of the queue
   * (workers take from the front), then yields so that worker messages and the caller's other work
   * are handled, and starts workers when the work left warrants them.
   */
  async #help(): Promise<void> {
    let yielded = performance.now();
    for (;;) {
      // Between slices the event loop runs while workers do (their replies) and at least every
      // HELP_SLICE_MS otherwise (timers, such as a lease's heartbeat); a yield per slice would cost
      // a small home more than its reading.
      if (this.#slots.length > 0 || performance.now() - yielded >= HELP_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
      if (this.#closed) return;
      const pending = this.#queue.pop();
      if (!pending) return;
      const outcomes = extractSlice(pending.job.items);
      pending.resolve(outcomes);
      this.#itemsDone += outcomes.length;
      for (const outcome of outcomes) if (outcome.ok) this.#bytesDone += outcome.result.bytes;
      if (this.#adaptive) this.#startWorkers(this.#workersWarranted());
      this.#dispatch();
    }
  }

  /** Workers that the estimated bytes left repay, with the calling thread extracting too. */
  #workersWarranted(): number {
    if (this.#itemsDone === 0) return 0;
    const queued = this.#queue.reduce((sum, pending) => sum + pending.job.items.length, 0);
    const itemsLeft = Math.max(queued, (this.#expectedItems ?? 0) - this.#itemsDone);
    const bytesLeft = (this.#bytesDone / this.#itemsDone) * itemsLeft;
    // With n workers each thread reads bytesLeft / (n + 1): each must get its payoff.
    return Math.min(this.size, Math.floor(bytesLeft / this.#payoffBytes) - 1);
  }

  /** Stops the workers; pending work is rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = new Error('extraction pool closed');
    for (const { reject } of this.#queue.splice(0)) reject(closed);
    for (const slot of this.#slots) slot.busy?.reject(closed);
    await Promise.all(this.#slots.map(({ worker }) => worker.terminate()));
  }

  #submit(items: ExtractItem[], first = false): Promise<ExtractOutcome[]> {
    if (this.#closed) return Promise.reject(new Error('extraction pool closed'));
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      const pending = { job: { id: this.#nextId++, items }, resolve, reject };
      if (first) this.#queue.unshift(pending);
      else this.#queue.push(pending);
      this.#dispatch();
    });
  }

  /** Starts workers until `count` have been started (replacements of crashed ones aside). */
  #startWorkers(count: number): void {
    for (; this.#workersStarted < count; this.#workersStarted += 1) this.#startWorker();
  }

  #startWorker(): void {
    const slot: Slot = { worker: spawnExtractWorker(), ready: false, busy: undefined, gone: false };
    slot.worker.on('message', (message: ExtractWorkerMessage) => {
      if (slot.gone) return;
      if (message.kind === 'ready') {
        slot.ready = true;
      } else if (slot.busy?.job.id === message.id) {
        const pending = slot.busy;
        slot.busy = undefined;
        pending.resolve(message.outcomes);
      }
      this.#dispatch();
    });
    slot.worker.on('error', (error: Error) =>
      this.#onWorkerGone(slot, describeCrash(error), error),
    );
    slot.worker.on('exit', (code: number) =>
      this.#onWorkerGone(slot, `the worker exited with code ${code}`),
    );
    slot.worker.unref();
    this.#slots.push(slot);
  }

  /** A worker crashed or exited: isolate the files of its slice, replace it. Idempotent. */
  #onWorkerGone(slot: Slot, reason: string, cause?: Error): void {
    if (slot.gone) return;
    slot.gone = true;
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    if (this.#closed) return;
    const pending = slot.busy;
    slot.busy = undefined;
    if (!slot.ready) {
      // It never loaded: no file is to blame, and a replacement would fail alike.
      if (this.#slots.length === 0) {
        this.#fail(new Error(`cannot start the rollout extraction worker: ${reason}`, { cause }));
      }
      return;
    }
    if (pending) this.#isolate(pending, reason);
    this.#startWorker();
    this.#dispatch();
  }

  /**
   * Settles a slice whose worker crashed: each of its files is retried alone (in whichever worker
   * is free, a fresh one at least for the next); a file that crashes a worker alone fails alone.
   */
  #isolate(pending: PendingJob, reason: string): void {
    const { items } = pending.job;
    if (items.length === 1) {
      pending.resolve([
        {
          ok: false,
          error: {
            code: ErrorCode.RolloutUnreadable,
            message: `the extraction worker crashed while reading it (${reason})`,
          },
        },
      ]);
      return;
    }
    // Ahead of the queue, so that the batch they belong to completes first.
    const retries = items.map((item) => this.#submit([item], true));
    Promise.all(retries).then((outcomes) => pending.resolve(outcomes.flat()), pending.reject);
  }

  /** No worker can run: rejects everything pending and everything submitted later. */
  #fail(error: Error): void {
    this.#broken = error;
    for (const { reject } of this.#queue.splice(0)) reject(error);
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.busy) continue;
      const next = this.#queue.shift();
      if (!next) break;
      slot.busy = next;
      slot.worker.postMessage(next.job);
    }
    // Busy workers, and loading ones while work waits, keep the process alive; idle ones must not.
    const waiting = this.#queue.length > 0;
    for (const slot of this.#slots) {
      if (slot.busy || (waiting && !slot.ready)) slot.worker.ref();
      else slot.worker.unref();
    }
  }
}

/** One worker per core beside the calling thread's, at most 8. */
function defaultPoolSize(): number {
  return Math.min(Math.max(availableParallelism() - 1, 0), 8);
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

/** Why a worker died: the error's code (`ERR_WORKER_OUT_OF_MEMORY`, …) and message. */
function describeCrash(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
