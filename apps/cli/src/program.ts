import {
  type LogsClientFlags,
  addLogsClientOptions,
  logsClientHelp,
  resolveLogsClientOptions,
  runLogs,
} from '@agent-state/logs-client';
import { resolveHome, systemClock } from '@agent-state/state';
import { Command, Option } from 'commander';

import { BACKFILL_HELP, parseWorkers, runBackfillCommand } from './commands/backfill.js';
import { DEMO_HELP } from './commands/demo-help.js';
import { runDoctor } from './commands/doctor.js';
import { MEMORIES_HELP } from './commands/memories-help.js';
import { RECONCILE_HELP, runReconcile } from './commands/reconcile.js';
import {
  SANDBOX_HELP,
  SANDBOX_SHOW_FORMATS,
  type SandboxPolicyFlags,
  runSandboxExec,
  runSandboxShow,
} from './commands/sandbox.js';
import {
  THREADS_ARCHIVE_HELP,
  THREADS_UNARCHIVE_HELP,
  runThreadsArchive,
} from './commands/threads-archive.js';
import {
  DEFAULT_LIST_LIMIT,
  THREADS_LIST_HELP,
  collect,
  collectSourceKind,
  parseCursor,
  parseLimit,
  runThreadsList,
} from './commands/threads-list.js';
import { THREADS_RENAME_HELP, runThreadsRename } from './commands/threads-rename.js';
import { THREADS_SHOW_HELP, runThreadsShow } from './commands/threads-show.js';
import { CommandExit, ExitCode, pointAtHelpOf, reportError } from './exit-codes.js';
import { type CliIo, type OutputStream, colorEnabled, colorsFor } from './output.js';
import { CLI_VERSION } from './version.js';

/** Options every command accepts (before or after the command name). */
interface GlobalOptions {
  home?: string | undefined;
  verbose?: boolean | undefined;
}

const EXAMPLES = `
Examples:
  $ agent-state demo                                 see it work on a sample home (offline)
  $ agent-state --home ~/.codex backfill             index the sessions of a Codex home
  $ agent-state --home ~/.codex threads list         the newest 25 threads
  $ agent-state threads list --json --limit 100      the same as one JSON document
  $ agent-state threads show <id>                    everything about one thread
  $ agent-state threads rename <id> "Fix CI"         name a thread (Codex sees the name too)
  $ agent-state reconcile --repair                   compare the store with the rollouts, fix it
  $ agent-state logs --level warn+ --since 10m       recent warnings and errors, then follow
  $ agent-state doctor                               check the store of the default home
  $ agent-state --home ~/.codex doctor --json        the same, as one JSON document

The home is --home, else $AGENT_STATE_HOME, else $CODEX_HOME, else ~/.codex.
Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 lease held by another process.
`;

const DOCTOR_HELP = `
Examples:
  $ agent-state doctor                               check the default home
  $ agent-state --home ~/.codex doctor --json        the same report as one JSON document

Each problem comes with what to do about it. Exits 1 for errors (a store that does not open or
fails its integrity check), 0 for warnings (an incomplete backfill, discrepancies, failed memories
jobs, dropped log entries).
`;

const THREADS_EXAMPLES = `
Examples:
  $ agent-state --home ~/.codex threads list --limit 10
  $ agent-state threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads rename 01a1fca2-290e-7023-a2aa-62c446d63b1d "Fix CI"

Run \`agent-state threads <command> --help\` for the options of each.
`;

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
  program
    .command('doctor')
    .description(
      'check the store: integrity, generation, schema, backfill state, thread counts, memories jobs, logs, and what to do about problems',
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', DOCTOR_HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runDoctor({ home, json: options.json === true, io });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  program
    .command('demo')
    .description(
      'see it work: index, list, reconcile and inspect a sample home of real Codex sessions (offline)',
    )
    .option('--base-url <url>', 'also run the memories pipeline against this Responses API')
    .option('--model <model>', 'the model of the memories pipeline')
    .addHelpText('after', DEMO_HELP)
    .action(async (options: { baseUrl?: string; model?: string }, command: Command) => {
      // Only an explicit --home: the demo never writes into the home of the environment.
      const { home } = command.optsWithGlobals<GlobalOptions>();
      const { runDemo } = await import('./commands/demo.js');
      const exitCode = await whileInterruptible((signal) =>
        runDemo({ home, baseUrl: options.baseUrl, model: options.model, io, signal }),
      );
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  program
    .command('backfill')
    .description(
      'index every rollout of the home into the store (resumable; waits for another process running it)',
    )
    .option('--json', 'print one JSON document on stdout')
    .option('--no-wait', 'exit 4 instead of waiting while another process runs the backfill')
    .option(
      '--workers <n>',
      'extraction worker threads, 0 to 64 (0: none; default: the number of cores, at most 8)',
      parseWorkers,
    )
    .addHelpText('after', BACKFILL_HELP)
    .action(
      async (options: { json?: boolean; wait: boolean; workers?: number }, command: Command) => {
        const home = homeOf(command, io);
        const exitCode = await whileInterruptible((signal) =>
          runBackfillCommand({
            home,
            json: options.json === true,
            wait: options.wait,
            workers: options.workers,
            io,
            signal,
          }),
        );
        if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
      },
    );

  const threads = program
    .command('threads')
    .description('list, show, archive, unarchive and rename threads (sessions)')
    .addHelpText('after', THREADS_EXAMPLES);

  threads
    .command('list')
    .description('list threads, newest first, a page at a time')
    .option('--archived', 'list archived threads instead of active ones')
    .addOption(
      new Option('--sort <key>', 'order by creation or last update time')
        .choices(['created', 'updated'])
        .default('created'),
    )
    .option(
      '--source <kind>',
      'only this source kind (cli, vscode, exec, appServer, subagent, subAgentReview, …); repeatable',
      collectSourceKind,
    )
    .option('--provider <id>', 'only this model provider (openai, …); repeatable', collect)
    .option('--cwd <dir>', 'only threads whose working directory is <dir>; repeatable', collect)
    .option('--limit <n>', 'threads per page, 1 to 10000', parseLimit, DEFAULT_LIST_LIMIT)
    .option(
      '--cursor <cursor>',
      'where the page starts: the cursor printed by the previous page',
      parseCursor,
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', THREADS_LIST_HELP)
    .action(async (options: ThreadsListFlags, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runThreadsList({
        home,
        json: options.json === true,
        io,
        archived: options.archived === true,
        sortKey: options.sort,
        sources: options.source ?? [],
        modelProviders: options.provider ?? [],
        cwds: options.cwd ?? [],
        limit: options.limit,
        cursor: options.cursor,
      });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  threads
    .command('show')
    .description('show one thread: metadata, name and rollout file')
    .argument('<id>', 'the thread id (a UUID)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', THREADS_SHOW_HELP)
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runThreadsShow({ home, id, json: options.json === true, io });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  for (const direction of ['archive', 'unarchive'] as const) {
    threads
      .command(direction)
      .description(
        direction === 'archive'
          ? 'archive a thread: move its rollout to archived_sessions/'
          : 'unarchive a thread: move its rollout back to sessions/',
      )
      .argument('<id>', 'the thread id (a UUID)')
      .option('--json', 'print one JSON document on stdout')
      .addHelpText('after', direction === 'archive' ? THREADS_ARCHIVE_HELP : THREADS_UNARCHIVE_HELP)
      .action(async (id: string, options: { json?: boolean }, command: Command) => {
        const home = homeOf(command, io);
        const exitCode = await runThreadsArchive({
          home,
          id,
          direction,
          json: options.json === true,
          io,
        });
        if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
      });
  }

  threads
    .command('rename')
    .description('name a thread (recorded in session_index.jsonl, where Codex reads it)')
    .argument('<id>', 'the thread id (a UUID)')
    .argument('<name>', 'the new name (quote it when it has spaces)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', THREADS_RENAME_HELP)
    .action(async (id: string, name: string, options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runThreadsRename({ home, id, name, json: options.json === true, io });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  program
    .command('reconcile')
    .description(
      'compare the store with the rollouts and report (and with --repair fix) the differences',
    )
    .option(
      '--repair',
      'fix what can be fixed: index missing rollouts, rewrite rows, delete stale rows',
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', RECONCILE_HELP)
    .action(async (options: { repair?: boolean; json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const exitCode = await runReconcile({
        home,
        repair: options.repair === true,
        json: options.json === true,
        io,
      });
      if (exitCode !== ExitCode.Ok) throw new CommandExit(exitCode);
    });

  // The same options and code as `logs_client` (@agent-state/logs-client).
  addLogsClientOptions(
    program
      .command('logs')
      .description(
        'print and follow the logs: agent-state’s, or Codex’s own (state_5.sqlite, logs_2.sqlite) read-only',
      ),
  )
    .addHelpText('after', logsClientHelp('agent-state logs'))
    .action(async (flags: LogsClientFlags, command: Command) => {
      // --codex-home wins over the global --home, which wins over the environment.
      const { home } = command.optsWithGlobals<GlobalOptions>();
      const options = resolveLogsClientOptions(flags, {
        env: io.env,
        clock: systemClock,
        stdout: io.stdout,
        home,
      });
      // Ctrl-C ends following: exit 0.
      await whileInterruptible((signal) =>
        runLogs(options, {
          stdout: io.stdout,
          stderr: { write: (line: string) => io.stderr.write(`agent-state: ${line}`) },
          signal,
        }),
      );
    });

  const memories = program
    .command('memories')
    .description(
      'extract memories from past threads and consolidate them (any OpenAI-compatible API)',
    )
    .addHelpText('after', MEMORIES_HELP);
  memories
    .command('run')
    .description('phase 1 over every eligible thread, then phase 2 if there is anything new')
    .option('--phase <phase>', 'which phases: 1, 2 or all', 'all')
    .option('--max <n>', 'at most this many threads in phase 1')
    .option(
      '--model <model>',
      'the model of both phases (default: config, then gpt-5-mini / gpt-5)',
    )
    .option('--base-url <url>', 'the Responses API base URL (default: $OPENAI_BASE_URL or OpenAI)')
    .option('--min-idle-hours <hours>', 'only threads idle at least this long (default 12)')
    .option('--max-age-days <days>', 'only threads updated within this many days (default 30)')
    .option(
      '--source <source>',
      'read threads of this source (default cli and vscode); repeatable',
      collect,
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', MEMORIES_HELP)
    .action(
      async (
        options: {
          phase: string;
          max?: string;
          model?: string;
          baseUrl?: string;
          minIdleHours?: string;
          maxAgeDays?: string;
          source?: string[];
          json?: boolean;
        },
        command: Command,
      ) => {
        // Loaded on use: the model client is not worth loading for every other command.
        const { runMemoriesRun } = await import('./commands/memories.js');
        await runMemoriesRun({
          home: homeOf(command, io),
          ...options,
          json: options.json === true,
          io,
        });
      },
    );
  memories
    .command('status')
    .description('stage-1 jobs, the phase-2 lock and the memory files')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', MEMORIES_HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runMemoriesStatus } = await import('./commands/memories.js');
      await runMemoriesStatus({ home: homeOf(command, io), json: options.json === true, io });
    });
  memories
    .command('show')
    .description('the memory summary a new session gets')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', MEMORIES_HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runMemoriesShow } = await import('./commands/memories.js');
      await runMemoriesShow({ home: homeOf(command, io), json: options.json === true, io });
    });

  const sandbox = program
    .command('sandbox')
    .description('show a sandbox policy, or run a command confined by one')
    .addHelpText('after', SANDBOX_HELP);
  const withPolicyFlags = (command: Command): Command =>
    command
      .option(
        '--mode <mode>',
        'read-only | workspace-write | danger-full-access (default read-only)',
      )
      .option('--read <access>', 'full | restricted (default full)')
      .option(
        '--readable-root <path>',
        'with --read restricted: a folder that may be read (repeatable)',
        collect,
      )
      .option(
        '--no-platform-defaults',
        'with --read restricted: do not add the platform’s default read roots',
      )
      .option(
        '--writable-root <path>',
        'with workspace-write: another folder that may be written (repeatable)',
        collect,
      )
      .option('--network', 'with workspace-write: allow network access')
      .option('--cwd <dir>', 'the working directory of the command (default: the current one)');
  withPolicyFlags(
    sandbox
      .command('show')
      .description(
        'print the policy (text, json, app-server-json) or how it is enforced (seatbelt, bwrap)',
      )
      .option('--format <format>', SANDBOX_SHOW_FORMATS.join(' | '), 'text')
      .option('--json', 'the same as --format json')
      .argument('[command...]', 'the command, for the seatbelt and bwrap formats')
      .addHelpText('after', SANDBOX_HELP),
  ).action(
    async (command: string[], options: SandboxPolicyFlags & { format: string; json?: boolean }) => {
      await runSandboxShow({
        flags: options,
        format: options.format,
        json: options.json,
        command,
        io,
      });
    },
  );
  withPolicyFlags(
    sandbox
      .command('exec')
      .description('run a command confined by the policy and exit with its status')
      .argument('<command...>', 'the command to run, after `--`')
      .addHelpText('after', SANDBOX_HELP),
  ).action(async (command: string[], options: SandboxPolicyFlags) => {
    await runSandboxExec({ flags: options, command, io });
  });

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

/** The flags of `threads list`, as commander parsed them. */
interface ThreadsListFlags {
  archived?: boolean;
  sort: 'created' | 'updated';
  source?: string[];
  provider?: string[];
  cwd?: string[];
  limit: number;
  cursor?: string;
  json?: boolean;
}

/**
 * Runs `work` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts, so a long command stops
 * cleanly (the backfill releases its lease after its current batch). A second signal is not
 * caught: it ends the process as usual.
 */
async function whileInterruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
