// What every command's registration (`commands/<name>/index.ts`) shares: the global options, the
// home, Ctrl-C, and the exit code of an implementation that already printed its outcome. Nothing
// here loads a command's implementation: each registration imports its own when it runs.

import { resolveHome } from '@agent-state/state';
import type { Command } from 'commander';

import { CommandExit, ExitCode } from './exit-codes.js';
import type { CliIo } from './output.js';

/** Options every command accepts (before or after the command name). */
export interface GlobalOptions {
  home?: string | undefined;
  verbose?: boolean | undefined;
}

/**
 * Adds a command (or a group of commands) to `parent`: its name, options, help text and an action
 * that loads the implementation with `import()` when the command runs.
 */
export type RegisterCommand = (parent: Command, io: CliIo) => void;

/** The home of this run: the one place where flags and environment become a home directory. */
export function homeOf(command: Command, io: CliIo): string {
  const { home } = command.optsWithGlobals<GlobalOptions>();
  return resolveHome({ home, env: io.env });
}

/** Ends the command with `exitCode` (its outcome is printed already): nothing to do for `Ok`. */
export function exitWith(exitCode: number): void {
  if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Runs `work` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts, so a long command stops
 * cleanly (the backfill releases its lease after its current batch). A second signal is not
 * caught: it ends the process as usual.
 */
export async function whileInterruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}
