import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { collect } from '../../registration.js';
import type { SandboxPolicyFlags } from './sandbox.js';
import { SANDBOX_SHOW_FORMATS } from './show-formats.js';

const HELP = `
Examples:
  $ agent-state sandbox show --mode workspace-write --network
  $ agent-state sandbox show --mode read-only --read restricted --readable-root ~/src --format bwrap -- ls
  $ agent-state sandbox exec --mode workspace-write -- npm test
  $ agent-state sandbox exec --mode read-only --read restricted --readable-root "$PWD" -- cat README.md

Policy flags: --mode read-only|workspace-write|danger-full-access (default read-only),
--read full|restricted (default full), --readable-root P…, --no-platform-defaults,
--writable-root P…, --network (workspace-write), --cwd DIR (default: the current directory).
\`exec\` runs the command confined (bubblewrap on Linux, sandbox-exec on macOS) and exits with its
status; a policy the platform cannot enforce is refused (exit 1), never run with a broader sandbox.
`;

/** The policy flags of `sandbox show` and `sandbox exec`. */
function withPolicyFlags(command: Command): Command {
  return command
    .option('--mode <mode>', 'read-only | workspace-write | danger-full-access (default read-only)')
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
}

/** `agent-state sandbox show|exec`: print a sandbox policy, or run a command confined by one. */
export function registerSandbox(program: Command, io: CliIo): void {
  const sandbox = program
    .command('sandbox')
    .description('show a sandbox policy, or run a command confined by one')
    .addHelpText('after', HELP);
  withPolicyFlags(
    sandbox
      .command('show')
      .description(
        'print the policy (text, json, app-server-json) or how it is enforced (seatbelt, bwrap)',
      )
      .option('--format <format>', SANDBOX_SHOW_FORMATS.join(' | '), 'text')
      .option('--json', 'the same as --format json')
      .argument('[command...]', 'the command, for the seatbelt and bwrap formats')
      .addHelpText('after', HELP),
  ).action(
    async (command: string[], options: SandboxPolicyFlags & { format: string; json?: boolean }) => {
      const { runSandboxShow } = await import('./sandbox.js');
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
      .addHelpText('after', HELP),
  ).action(async (command: string[], options: SandboxPolicyFlags) => {
    const { runSandboxExec } = await import('./sandbox.js');
    await runSandboxExec({ flags: options, command, io });
  });
}
