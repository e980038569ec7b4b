// Shared helpers of the crash matrix: kill points, waiting on a child, comparing memory roots.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { forkScript } from '@agent-state/test-utils';

/** A forked child (see `forkScript`). */
export type Child = ReturnType<typeof forkScript>;

/** Messages the crash workers send to the parent. */
export type CrashMessage =
  { type: 'progress'; done: number; info?: unknown } | { type: 'done'; value?: unknown };

/** Polls `probe` every 5 ms until it returns a value; fails after `timeoutMs`. */
export async function poll<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Kills `child` with SIGKILL once `when` accepts one of its progress messages, `delayMs` later
 * (0: at once). Resolves with how the child ended: `killed` when the signal hit it, `finished`
 * when it exited on its own first (the seeded point came after its last step).
 */
export async function killAt(
  child: Child,
  when: (message: CrashMessage) => boolean,
  delayMs: number,
): Promise<'killed' | 'finished'> {
  let armed = false;
  const kill = (): void => {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
    }
  };
  child.process.on('message', (message: CrashMessage) => {
    if (armed || !when(message)) return;
    armed = true;
    if (delayMs <= 0) kill();
    else setTimeout(kill, delayMs);
  });
  const exit = await child.exited;
  if (exit.signal === 'SIGKILL') return 'killed';
  if (exit.code !== 0) {
    throw new Error(`child failed (code ${exit.code ?? 'none'}): ${child.stderr()}`);
  }
  return 'finished';
}

/** Every file under `dir` (relative paths, sorted), hidden ones included. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** The library's temporary files (`.<name>.<12 hex>.tmp`): written, then renamed. */
export const TEMP_FILE = /(^|\/)\.[^/]*\.tmp$/;

/** Contents of every non-temporary file under `dir`, by relative path. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of filesUnder(dir)) {
    if (!TEMP_FILE.test(file)) out[file] = readFileSync(join(dir, file), 'utf8');
  }
  return out;
}

/** A small stable hash (FNV-1a) as 8 hex digits. */
export function fnv(text: string): string {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Sends a message to the parent and waits until it is handed to the channel. */
export function report(message: CrashMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}
