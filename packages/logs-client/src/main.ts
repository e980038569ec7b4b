import { type Clock, type ErrorCategory, errorCategory, systemClock } from '@agent-state/state';
import { Command, CommanderError } from 'commander';

import { addLogsClientFlags } from './commander-flags.js';
import { locateLogsDatabase } from './database.js';
import { logsClientHelp } from './help.js';
import type { LogsClientIo, OutputStream } from './io.js';
import {
  type LogsClientFlags,
  type LogsClientOptions,
  resolveLogsClientOptions,
} from './options.js';
import { type TailResult, tailLogs } from './tail.js';
import { LOGS_CLIENT_VERSION } from './version.js';

/**
 * Reads the logs `options` describe (finding the home's log database unless `--db` was given) and
 * prints them to `io.stdout`, following until `io.signal` aborts unless `options.follow` is false
 * (see `tailLogs` for the other ends). When the home has both agent-state's and Codex's log
 * databases and `--source` did not choose, one line on `io.stderr` (if given) says which is read.
 * This is `logs_client` (and `agent-state logs`) after its options were parsed; errors are thrown,
 * typed (`NOT_FOUND` when there is no log database).
 *
 * @example
 * ```ts
 * const options = resolveLogsClientOptions({ db: path, level: ['error'], follow: false }, context);
 * const { printed } = await runLogs(options, { stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function runLogs(
  options: LogsClientOptions,
  io: {
    stdout: OutputStream;
    /** Where the line saying which of two log databases is read goes (default: nowhere). */
    stderr?: OutputStream | undefined;
    signal?: AbortSignal | undefined;
    /** Now, to stop following once `--to`/`--until` is past (default: the system clock). */
    clock?: Clock | undefined;
  },
): Promise<TailResult> {
  let path: string;
  if (options.source.kind === 'db') {
    path = options.source.path;
  } else {
    const found = locateLogsDatabase(options.source.home, { source: options.source.database });
    path = found.path;
    if (found.other !== undefined) {
      io.stderr?.write(
        `reading agent-state's logs, ${found.path}; Codex's are in ${found.other} (--source codex reads them)\n`,
      );
    }
  }
  return tailLogs({
    path,
    query: options.query,
    backfill: options.backfill,
    pollMs: options.pollMs,
    follow: options.follow,
    format: { format: options.format, color: options.color },
    stdout: io.stdout,
    signal: io.signal,
    clock: io.clock,
  });
}

/**
 * Runs `logs_client` with `argv` (the arguments after the program name, as in
 * `process.argv.slice(2)`) and resolves to its exit code: 0 when done (after the backfill with
 * `--no-follow`, when `io.signal` aborts, or when the reader of stdout went away), 1 on a failure,
 * 2 on a usage error (one line on stderr naming the flag), 3 when there is no log database. It
 * never throws and never exits the process. Every part of `io` defaults to the process's.
 *
 * @example
 * ```ts
 * import { runLogsClient } from '@agent-state/logs-client';
 *
 * const chunks: string[] = [];
 * const exitCode = await runLogsClient(
 *   ['--db', '/home/me/.codex/logs_2.sqlite', '--level', 'warn+', '--no-follow', '--json'],
 *   { stdout: { write: (chunk: string) => chunks.push(chunk) } },
 * );
 * const rows = chunks.join('').trim().split('\n').map((line) => JSON.parse(line));
 * ```
 */
export async function runLogsClient(
  argv: readonly string[],
  io: Partial<LogsClientIo> = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const program = addLogsClientFlags(new Command('logs_client'))
    .description(
      'Print and follow the logs of agent-state or OpenAI Codex (state_5.sqlite, logs_2.sqlite), read-only.',
    )
    .version(LOGS_CLIENT_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: () => undefined,
    })
    .addHelpText('after', logsClientHelp('logs_client'));
  try {
    program.parse([...argv], { from: 'user' });
    const options = resolveLogsClientOptions(program.opts<LogsClientFlags>(), {
      env,
      clock: io.clock ?? systemClock,
      stdout,
      cwd: io.cwd,
    });
    await runLogs(options, {
      stdout,
      stderr: { write: (line: string) => stderr.write(`logs_client: ${line}`) },
      signal: io.signal,
      clock: io.clock,
    });
    return EXIT_OK;
  } catch (error) {
    const { exitCode, message } = describeError(error);
    if (message !== undefined) stderr.write(`logs_client: ${message}\n`);
    return exitCode;
  }
}

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_NOT_FOUND = 3;

/** Commander's outcomes that are not failures: help and version were printed as asked. */
const COMMANDER_SUCCESS_CODES: ReadonlySet<string> = new Set([
  'commander.helpDisplayed',
  'commander.version',
  'commander.help',
]);

/** The exit code for `error` and the one line to print for it (none after help or version). */
function describeError(error: unknown): { exitCode: number; message?: string } {
  if (error instanceof CommanderError) {
    if (COMMANDER_SUCCESS_CODES.has(error.code)) {
      return { exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
    }
    const message = oneLine(error.message.replace(/^error:\s*/, ''));
    return { exitCode: EXIT_USAGE, message: `${message} (see \`logs_client --help\`)` };
  }
  const exitCode = EXIT_CODE_OF_CATEGORY[errorCategory(error)];
  return { exitCode, message: oneLine(error instanceof Error ? error.message : String(error)) };
}

/** The exit code of each category of agent-state's error table (bugs are `internal`). */
const EXIT_CODE_OF_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  'invalid-argument': EXIT_USAGE,
  'not-found': EXIT_NOT_FOUND,
  lease: EXIT_FAILURE,
  store: EXIT_FAILURE,
  aborted: EXIT_FAILURE,
  'input-data': EXIT_FAILURE,
  unsupported: EXIT_FAILURE,
  'external-service': EXIT_FAILURE,
  internal: EXIT_FAILURE,
};

/** Folds a (possibly multi-line) message into one line. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}
