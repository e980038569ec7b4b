import type { Clock } from '@agent-state/state';

/**
 * Where logs_client writes: a Node writable (`process.stdout`) or anything with the same `write`.
 * `once('drain')` is used to respect back-pressure, and `on('error')` (EPIPE), `on('close')` and
 * `destroyed` / `writableEnded` / `writable` (looked at on every poll) to stop quietly when the
 * reader goes away or the stream is closed, when the stream has them.
 *
 * @example
 * ```ts
 * const chunks: string[] = [];
 * const stdout: OutputStream = { write: (chunk) => chunks.push(chunk) };
 * ```
 */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True on a terminal (`--color auto` colors only then). */
  readonly isTTY?: boolean | undefined;
  /** `false` once the stream takes no more writes (Node streams). */
  readonly writable?: boolean | undefined;
  /** `true` once the stream was destroyed (Node streams). */
  readonly destroyed?: boolean | undefined;
  /** `true` once the stream was ended (Node streams). */
  readonly writableEnded?: boolean | undefined;
  once?(event: 'drain', listener: () => void): unknown;
  on?(event: 'error' | 'close', listener: (error: Error) => void): unknown;
  off?(event: 'drain' | 'error' | 'close', listener: (error: Error) => void): unknown;
}

/**
 * The process-facing surface of {@link runLogsClient}, injectable so that it runs in-process (tests,
 * embedding). Every field has a default: the process's streams and environment, the system clock,
 * no abort signal.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const io: LogsClientIo = {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   env: process.env,
 *   clock: systemClock,
 *   signal: controller.signal, // abort to stop following
 * };
 * ```
 */
export interface LogsClientIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Read for the home (`$AGENT_STATE_HOME`, `$CODEX_HOME`) and `NO_COLOR`, nothing else. */
  env: Readonly<Record<string, string | undefined>>;
  /** The time `--since 10m` counts back from. */
  clock: Clock;
  /** Stops the tail (and `runLogsClient` resolves with 0) when aborted. */
  signal?: AbortSignal | undefined;
  /** Base of relative paths (`--db`, `--codex-home`); default `process.cwd()`. */
  cwd?: string | undefined;
}
