import {
  type LogsClientFlags,
  addLogsClientOptions,
  logsClientHelp,
} from '@agent-state/logs-client';
import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { type GlobalOptions, whileInterruptible } from '../../registration.js';

/**
 * `agent-state logs`: print and follow the logs, with the options and help of `logs_client`
 * (@agent-state/logs-client), which owns them.
 */
export function registerLogs(program: Command, io: CliIo): void {
  addLogsClientOptions(
    program
      .command('logs')
      .description(
        'print and follow the logs: agent-state’s, or Codex’s own (state_5.sqlite, logs_2.sqlite) read-only',
      ),
  )
    .addHelpText('after', logsClientHelp('agent-state logs'))
    .action(async (flags: LogsClientFlags, command: Command) => {
      const { home } = command.optsWithGlobals<GlobalOptions>();
      const { runLogsCommand } = await import('./logs.js');
      // Ctrl-C ends following: exit 0.
      await whileInterruptible((signal) => runLogsCommand({ flags, home, io, signal }));
    });
}
