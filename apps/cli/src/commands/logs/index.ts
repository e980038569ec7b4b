import {
  LOGS_CLIENT_FLAGS,
  type LogsClientFlagSpec,
  type LogsClientFlags,
  logsClientHelp,
} from '@agent-state/logs-client';
import { type Command, Option } from 'commander';

import type { CliIo } from '../../output.js';
import { type GlobalOptions, collect, whileInterruptible } from '../../registration.js';

/**
 * `agent-state logs`: print and follow the logs, with the flags and help of `logs_client`
 * (@agent-state/logs-client), which owns them; they are registered with commander here.
 */
export function registerLogs(program: Command, io: CliIo): void {
  const logs = program
    .command('logs')
    .description(
      'print and follow the logs: agent-state’s, or Codex’s own (state_5.sqlite, logs_2.sqlite) read-only',
    );
  for (const spec of LOGS_CLIENT_FLAGS) logs.addOption(commanderOption(spec));
  logs
    .addHelpText('after', logsClientHelp('agent-state logs'))
    .action(async (flags: LogsClientFlags, command: Command) => {
      const { home } = command.optsWithGlobals<GlobalOptions>();
      const { runLogsCommand } = await import('./logs.js');
      // Ctrl-C ends following: exit 0.
      await whileInterruptible((signal) => runLogsCommand({ flags, home, io, signal }));
    });
}

/** A flag of `logs_client` as a commander option (a repeatable one collects its values). */
function commanderOption(spec: LogsClientFlagSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.repeatable === true) {
    option.argParser(collect);
  }
  if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
  if (spec.hidden === true) option.hideHelp();
  return option;
}
