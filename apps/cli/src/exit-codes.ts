import { type ErrorCategory, errorCategory } from '@agent-state/state';
import { CommanderError } from 'commander';

import { type Colors, type OutputStream, oneLine, writeLines } from './output.js';

/**
 * The exit codes of `agent-state` (design §9), as returned by `main`.
 *
 * @example
 * ```ts
 * import { ExitCode, main } from '@agent-state/cli';
 *
 * if ((await main(process.argv)) === ExitCode.LeaseHeld) console.error('try again later');
 * ```
 */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Something went wrong (a damaged store, an I/O error, a failed check, a bug). */
  Failure: 1,
  /** The command line or an argument is unusable. */
  Usage: 2,
  /** What was asked for does not exist. */
  NotFound: 3,
  /** A lease (the backfill, a job) is held by another live process. */
  LeaseHeld: 4,
} as const;

/**
 * One of the values of {@link ExitCode}.
 *
 * @example
 * ```ts
 * const exitCode: number = await main(process.argv);
 * ```
 */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Thrown by a command that has already printed its outcome (a report, a JSON document) and only
 * needs the process to exit with `exitCode`: nothing more is printed for it.
 */
export class CommandExit extends Error {
  /** One of {@link ExitCode}, or a command's own status (`sandbox exec` exits with its command's). */
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CommandExit';
    this.exitCode = exitCode;
  }
}

/** Commander's outcomes that are not failures: help and version were printed as asked. */
const COMMANDER_SUCCESS_CODES: ReadonlySet<string> = new Set([
  'commander.helpDisplayed',
  'commander.version',
]);

/**
 * The exit code of each category of agent-state's error table (`ERROR_CATEGORIES` of
 * `@agent-state/state`): what the CLI does with every registered code, and with anything else
 * (`internal`).
 */
export const EXIT_CODE_OF_CATEGORY: Readonly<Record<ErrorCategory, ExitCode>> = {
  'invalid-argument': ExitCode.Usage,
  'not-found': ExitCode.NotFound,
  lease: ExitCode.LeaseHeld,
  store: ExitCode.Failure,
  aborted: ExitCode.Failure,
  'input-data': ExitCode.Failure,
  unsupported: ExitCode.Failure,
  'external-service': ExitCode.Failure,
  internal: ExitCode.Failure,
};

/**
 * The one mapping from what went wrong to an exit code: commander's usage errors exit 2 (help and
 * version exit 0), everything else by its category ({@link EXIT_CODE_OF_CATEGORY}).
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommandExit) return error.exitCode;
  if (error instanceof CommanderError) {
    if (COMMANDER_SUCCESS_CODES.has(error.code)) return ExitCode.Ok;
    // `help` (the command) exits 0; help shown because a command is missing exits non-zero.
    if (error.code === 'commander.help') return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    return ExitCode.Usage;
  }
  return EXIT_CODE_OF_CATEGORY[errorCategory(error)];
}

/** The command (`threads list`) whose help explains a usage error. */
const HELP_OF = new WeakMap<CommanderError, string>();

/**
 * Marks a usage error with the command it happened in, so its message points at that command's
 * help rather than the whole program's. Returns the error.
 */
export function pointAtHelpOf(error: CommanderError, commandPath: string): CommanderError {
  HELP_OF.set(error, commandPath);
  return error;
}

/**
 * The one line to print for `error`, or `undefined` when there is nothing to add (help, version,
 * a command that already reported, or help printed because the command was missing).
 */
export function errorMessage(error: unknown): string | undefined {
  if (error instanceof CommandExit) return undefined;
  if (error instanceof CommanderError) {
    if (COMMANDER_SUCCESS_CODES.has(error.code) || error.code === 'commander.help') {
      return undefined;
    }
    // Commander prefixes its messages with `error: ` and may add a `(Did you mean …?)` line.
    const message = oneLine(error.message.replace(/^error:\s*/, ''));
    const path = HELP_OF.get(error);
    return `${message} (see \`agent-state ${path === undefined ? '' : `${path} `}--help\`)`;
  }
  if (error instanceof Error) return oneLine(error.message) || error.name;
  return oneLine(String(error));
}

/**
 * Maps `error` to its exit code and prints it on `stderr` as `agent-state: <message>`; with
 * `verbose`, the stack (and the causes' stacks) follow.
 */
export function reportError(
  error: unknown,
  options: { stderr: OutputStream; colors: Colors; verbose: boolean },
): number {
  const exitCode = exitCodeFor(error);
  const message = errorMessage(error);
  if (message === undefined) return exitCode;
  const lines = [`${options.colors.red('agent-state:')} ${message}`];
  if (options.verbose) {
    let cause: unknown = error;
    for (let depth = 0; cause instanceof Error && depth < MAX_CAUSES; depth += 1) {
      if (depth > 0) lines.push('caused by:');
      lines.push(options.colors.dim(cause.stack ?? `${cause.name}: ${cause.message}`));
      cause = cause.cause;
    }
  }
  writeLines(options.stderr, lines);
  return exitCode;
}

/** How many links of an error's `cause` chain `--verbose` prints at most. */
const MAX_CAUSES = 8;
