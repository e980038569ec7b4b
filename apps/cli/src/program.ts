import { Command } from 'commander';

import { registerBackfill } from './commands/backfill/index.js';
import { registerDemo } from './commands/demo/index.js';
import { registerDoctor } from './commands/doctor/index.js';
import { registerLogs } from './commands/logs/index.js';
import { registerMemories } from './commands/memories/index.js';
import { registerGc } from './commands/gc/index.js';
import { registerReconcile } from './commands/reconcile/index.js';
import { registerWatch } from './commands/watch/index.js';
import { registerSandbox } from './commands/sandbox/index.js';
import { registerSearch } from './commands/search/index.js';
import { registerServe } from './commands/serve/index.js';
import { registerThreads } from './commands/threads/index.js';
import { registerSync } from './commands/sync/index.js';
import { registerUsage } from './commands/usage/index.js';
import { ExitCode, pointAtHelpOf, reportError } from './exit-codes.js';
import {
  type CliIo,
  type OutputStream,
  colorEnabled,
  colorsFor,
  terminalColumns,
} from './output.js';
import { type GlobalOptions, type RegisterCommand } from './registration.js';
import { CLI_VERSION } from './version.js';

const EXAMPLES = `
Examples:
  $ agent-state demo                                 see it work on a sample home (offline)
  $ agent-state --home ~/.codex backfill             index the sessions of a Codex home
  $ agent-state --home ~/.codex threads list         the newest 25 threads
  $ agent-state threads list --json --limit 100      the same as one JSON document
  $ agent-state threads show <id>                    everything about one thread
  $ agent-state threads rename <id> "Fix CI"         name a thread (Codex sees the name too)
  $ agent-state search '"state db"' migr*            search the conversations, best first
  $ agent-state serve --open                         browse threads, transcripts and usage
  $ agent-state reconcile --repair                   compare the store with the rollouts, fix it
  $ agent-state logs --level warn+ --since 10m       recent warnings and errors, then follow
  $ agent-state doctor                               check the store of the default home
  $ agent-state --home ~/.codex doctor --json        the same, as one JSON document

The home is --home, else $AGENT_STATE_HOME, else $CODEX_HOME, else ~/.codex.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 lease held by another process.
`;

/**
 * The commands, in the order of `--help`. Each registers its name, options and help text, and
 * loads its implementation only when it runs (`commands/<name>/index.ts`).
 */
const COMMANDS: readonly RegisterCommand[] = [
  registerDoctor,
  registerDemo,
  registerBackfill,
  registerThreads,
  registerSearch,
  registerUsage,
  registerServe,
  registerWatch,
  registerSync,
  registerReconcile,
  registerGc,
  registerLogs,
  registerMemories,
  registerSandbox,
];

/**
 * Builds the `agent-state` commander program writing to `io`, to embed or extend it. It never
 * exits the process: usage errors, help and version throw commander's `CommanderError` (see
 * `exitOverride`); {@link main} maps those, and every other error, to exit codes.
 *
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createProgram } from '@agent-state/cli';
 *
 * const program = createProgram({ stdout: process.stdout, stderr: process.stderr, env: process.env });
 * const home = join(tmpdir(), 'agent-state-home'); // any existing home directory
 * await program.parseAsync(['--home', home, 'doctor', '--json'], { from: 'user' });
 * ```
 */
export function createProgram(io: CliIo): Command {
  const program = new Command('agent-state');
  program
    .usage('[--home <dir>] [--verbose] <command>')
    .description('Index, list, repair and inspect the local state of AI coding agents.')
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .option(
      '--home <dir>',
      'the home directory (default: $AGENT_STATE_HOME, $CODEX_HOME, ~/.codex)',
    )
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Error messages are printed by `reportError`, the same way as every other error.
      outputError: () => undefined,
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
      getOutHasColors: () => colorEnabled(io.stdout, io.env),
      getErrHasColors: () => colorEnabled(io.stderr, io.env),
    })
    .addHelpText('after', EXAMPLES);

  // Subcommands inherit the output configuration and exit override set above.
  for (const register of COMMANDS) register(program, io);

  // A usage error of a subcommand points at that subcommand's help.
  const walk = (command: Command, path: string[]): void => {
    for (const sub of command.commands) {
      const subPath = [...path, sub.name()];
      sub.exitOverride((error) => {
        throw pointAtHelpOf(error, subPath.join(' '));
      });
      walk(sub, subPath);
    }
  };
  walk(program, []);
  return program;
}

/**
 * Runs `agent-state` with `argv` in the shape of `process.argv` (runtime, script, arguments…)
 * and resolves to the exit code (see {@link ExitCode}). It never throws and never exits the
 * process: errors are printed on `stderr` as `agent-state: <message>` and mapped to exit codes in
 * one place. Output goes to `io`'s streams (default: the process's); `io.env` (default
 * `process.env`) is read for the home and `NO_COLOR`.
 *
 * @example
 * ```ts
 * import { main } from '@agent-state/cli';
 *
 * const chunks: string[] = [];
 * const stdout = { write: (chunk: string) => chunks.push(chunk) };
 * const exitCode = await main(['node', 'agent-state', '--home', home, 'doctor', '--json'], { stdout });
 * const report = JSON.parse(chunks.join(''));
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const resolvedIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stdin: 'stdin' in io ? io.stdin : process.stdin,
    env: io.env ?? process.env,
  };
  const program = createProgram(resolvedIo);
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return ExitCode.Ok;
  } catch (error) {
    return reportError(error, {
      stderr: resolvedIo.stderr,
      colors: colorsFor(resolvedIo.stderr, resolvedIo.env),
      verbose: program.opts<GlobalOptions>().verbose === true,
    });
  }
}

/** The terminal's width for help text, or commander's usual 80 columns off a terminal. */
function helpWidth(stream: OutputStream): number {
  return terminalColumns(stream) ?? 80;
}
