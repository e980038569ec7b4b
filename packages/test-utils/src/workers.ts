import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

type ParentMessage = { type: 'go' };
type ChildMessage =
  { type: 'ready' } | { type: 'result'; value: unknown } | { type: 'error'; error: string };

/** Options of {@link runWorkers}. */
export interface RunWorkersOptions {
  /** Absolute path of a TypeScript or JavaScript file that calls {@link workerMain}. */
  script: string;
  /** How many processes to start. */
  count: number;
  /** Arguments for worker `index` (default: none). */
  args?: (index: number) => unknown;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** What one worker process returned. */
export interface WorkerOutcome<T> {
  index: number;
  pid: number;
  value: T;
  stderr: string;
}

/**
 * Starts `count` real child processes running `script` (TypeScript through tsx), waits until all
 * of them are ready, then releases them at the same instant, so they really race. Resolves with
 * each worker's result; rejects when a worker throws, crashes or times out.
 *
 * @example
 * ```ts
 * const outcomes = await runWorkers<string>({
 *   script: fileURLToPath(new URL('./claim.worker.ts', import.meta.url)),
 *   count: 8,
 *   args: () => ({ home, nowMs }),
 * });
 * expect(outcomes.filter((o) => o.value === 'claimed')).toHaveLength(1);
 * ```
 */
export async function runWorkers<T>(options: RunWorkersOptions): Promise<Array<WorkerOutcome<T>>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const workers = Array.from({ length: options.count }, (_, index) =>
    startWorker<T>(options, index),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`workers timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(workers.map((w) => w.ready)), timeout]);
    for (const worker of workers) worker.child.send({ type: 'go' } satisfies ParentMessage);
    return await Promise.race([Promise.all(workers.map((w) => w.done)), timeout]);
  } finally {
    clearTimeout(timer);
    for (const { child } of workers) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

interface StartedWorker<T> {
  child: ChildProcess;
  /** Resolves when the worker has prepared and waits for the start signal. */
  ready: Promise<void>;
  /** Resolves with the worker's result once it has exited. */
  done: Promise<WorkerOutcome<T>>;
}

function startWorker<T>(options: RunWorkersOptions, index: number): StartedWorker<T> {
  const child = fork(options.script, [JSON.stringify(options.args?.(index) ?? null)], {
    execArgv: ['--import', TSX_LOADER],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let reported: { ok: true; value: unknown } | { ok: false; error: string } | undefined;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) =>
      resolve(`exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`),
    );
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'result') reported = { ok: true, value: message.value };
      else reported = { ok: false, error: message.error };
    });
    void exited.then((status) => {
      const why = reported && !reported.ok ? reported.error : status;
      reject(new Error(`worker ${index} exited before it was ready (${why})\n${stderr}`));
    });
  });
  const done = exited.then((status): WorkerOutcome<T> => {
    if (reported?.ok) return { index, pid: child.pid ?? -1, value: reported.value as T, stderr };
    throw new Error(`worker ${index} failed: ${reported ? reported.error : status}\n${stderr}`);
  });
  // Either may settle while the caller still awaits the other phase: never leave them unhandled.
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return { child, ready, done };
}

/**
 * The worker side of {@link runWorkers}: parses the arguments, runs `prepare` (open stores, …),
 * reports ready, waits for the start signal, runs `body`, and reports its result.
 *
 * @example
 * ```ts
 * // claim.worker.ts
 * await workerMain<{ home: string }, Store, string>({
 *   prepare: (args) => openStateStore({ home: args.home }),
 *   body: async (store) => (await store.backfill.tryClaim({ leaseSeconds: 60 })).outcome,
 * });
 * ```
 */
export async function workerMain<A, S, R>(worker: {
  prepare: (args: A) => Promise<S> | S;
  body: (state: S, args: A) => Promise<R> | R;
  finish?: (state: S) => Promise<void> | void;
}): Promise<void> {
  const send = (message: ChildMessage): Promise<void> =>
    new Promise((resolve) => process.send?.(message, undefined, undefined, () => resolve()));
  try {
    const args = JSON.parse(process.argv[2] ?? 'null') as A;
    const state = await worker.prepare(args);
    const go = new Promise<void>((resolve) => {
      process.once('message', (message: ParentMessage) => {
        if (message.type === 'go') resolve();
      });
    });
    await send({ type: 'ready' });
    await go;
    const value = await worker.body(state, args);
    await worker.finish?.(state);
    await send({ type: 'result', value });
  } catch (error) {
    await send({
      type: 'error',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  } finally {
    process.disconnect?.();
  }
}

/**
 * Starts one TypeScript script (through tsx) as a child process with JSON arguments, for tests
 * that kill it: unlike {@link runWorkers} nothing is awaited. Its stderr is collected in
 * `stderr()` for failure messages.
 *
 * @example
 * ```ts
 * const child = forkScript(script, { home });
 * child.process.kill('SIGKILL');
 * const { code, signal } = await child.exited;
 * ```
 */
export function forkScript(
  script: string,
  args: unknown,
  options: { env?: NodeJS.ProcessEnv } = {},
): {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
} {
  const child = fork(script, [JSON.stringify(args)], {
    execArgv: ['--import', TSX_LOADER],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, exited, stderr: () => stderr };
}
