/**
 * Runs async tasks one at a time, in the order they were accepted, holding at most `capacity`
 * accepted tasks that have not finished. {@link BoundedSerialQueue.submit} resolves when its task
 * is accepted: at once while there is room, otherwise when an earlier task finishes (backpressure;
 * callers that await it never let the queue grow beyond the bound). Tasks waiting for room are
 * accepted strictly first come, first served. A task that throws is reported to `onError` and
 * the queue goes on.
 *
 * @example
 * ```ts
 * const queue = new BoundedSerialQueue({ capacity: 256, onError: (error) => logger.error(String(error)) });
 * await queue.submit(() => appendLines(batch)); // accepted; written in order, later
 * await queue.idle(); // everything accepted so far has run
 * ```
 */
export class BoundedSerialQueue {
  readonly capacity: number;
  readonly #onError: (error: unknown) => void;
  #tail: Promise<void> = Promise.resolve();
  #active = 0;
  readonly #waiting: Array<{ task: () => Promise<void>; accept: () => void }> = [];

  /**
   * `capacity` is the most tasks accepted but not finished (at least 1).
   *
   * @example
   * ```ts
   * const queue = new BoundedSerialQueue({ capacity: 2, onError: () => undefined });
   * ```
   */
  constructor(options: { capacity: number; onError: (error: unknown) => void }) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, got ${options.capacity}`);
    }
    this.capacity = options.capacity;
    this.#onError = options.onError;
  }

  /**
   * Tasks accepted and not finished (the one running included).
   *
   * @example
   * ```ts
   * if (queue.pending >= queue.capacity) logger.debug('rollout writer is behind');
   * ```
   */
  get pending(): number {
    return this.#active;
  }

  /**
   * Callers blocked in {@link submit}, waiting for room.
   *
   * @example
   * ```ts
   * queue.waiting; // 0 unless the writer is behind
   * ```
   */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Queues `task`; resolves once it is accepted (not once it has run).
   *
   * @example
   * ```ts
   * await queue.submit(async () => handle.write(bytes));
   * ```
   */
  submit(task: () => Promise<void>): Promise<void> {
    if (this.#active < this.capacity && this.#waiting.length === 0) {
      this.#start(task);
      return Promise.resolve();
    }
    return new Promise((accept) => this.#waiting.push({ task, accept }));
  }

  /**
   * Resolves when every task accepted or waiting so far has run.
   *
   * @example
   * ```ts
   * await queue.idle();
   * ```
   */
  async idle(): Promise<void> {
    while (this.#active > 0 || this.#waiting.length > 0) await this.#tail;
  }

  #start(task: () => Promise<void>): void {
    this.#active += 1;
    this.#tail = this.#tail.then(() => this.#run(task));
  }

  async #run(task: () => Promise<void>): Promise<void> {
    try {
      await task();
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#active -= 1;
      // Hand the freed room to the callers that wait, in order; the task joins the chain now,
      // so nobody can overtake it.
      while (this.#active < this.capacity && this.#waiting.length > 0) {
        const next = this.#waiting.shift();
        if (!next) break;
        this.#start(next.task);
        next.accept();
      }
    }
  }
}
