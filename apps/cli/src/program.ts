import { resolveHome } from '@agent-state/state';
import { Command } from 'commander';

import { runDoctor } from './commands/doctor.js';
import { CommandExit, ExitCode, reportError } from './exit-codes.js';
import { type CliIo, type OutputStream, colorEnabled, colorsFor } from './output.js';
import { CLI_VERSION } from './version.js';

/** Options every command accepts (before or after the command name). */
interface GlobalOptions {
  home?: string | undefined;
  verbose?: boolean | undefined;
}

const EXAMPLES = `
Examples:
  $ agent-state doctor                          check the store of the default home
  $ agent-state --home ~/.codex doctor          check the store of another home
  $ agent-state --home ~/.codex doctor --json   the same, as one JSON document

The home is --home, else $AGENT_STATE_HOME, else $CODEX_HOME, else ~/.codex.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 lease held by another process.
`;

/**
 * Builds the `agent-state` commander program writing to `io`, to embed or extend it. It never
 * exits the process: usage errors, help and version throw commander's `CommanderError` (see
 * `exitOverride`); {@link main} maps those, and every other error, to exit codes.
 *
 * @example
 * ```ts
 * import { createProgram } from '@agent-state/cli';
 *
 * const program = createProgram({ stdout: process.stdout, stderr: process.stderr, env: process.env });
 * await program.parseAsync(['--home', '/tmp/home', 'doctor', '--json'], { from: 'user' });
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
  program
    .command('doctor')
    .description(
      'check the store: integrity, generation, schema, backfill state, thread counts, and what to do about problems',
    )
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runDoctor({ home, json: options.json === true, io });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

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
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<ExitCode> {
  const resolvedIo: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
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

/** The home of this run: the one place where flags and environment become a home directory. */
function homeOf(command: Command, io: CliIo): string {
  const { home } = command.optsWithGlobals<GlobalOptions>();
  return resolveHome({ home, env: io.env });
}

/** The terminal's width for help text, or commander's usual 80 columns off a terminal. */
function helpWidth(stream: OutputStream): number {
  return stream.isTTY === true && stream.columns !== undefined ? stream.columns : 80;
}
