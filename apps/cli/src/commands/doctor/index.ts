import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

const HELP = `
Examples:
  $ agent-state doctor                               check the default home
  $ agent-state --home ~/.codex doctor --json        the same report as one JSON document

Each problem comes with what to do about it. Exits 1 for errors (a store that does not open or
fails its integrity check), 0 for warnings (an incomplete backfill, discrepancies, failed memories
jobs, dropped log entries).
`;

/** `agent-state doctor`: inspect the home and print the report with what to do about problems. */
export function registerDoctor(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description(
      'check the store: integrity, generation, schema, backfill state, thread counts, memories jobs, logs, and what to do about problems',
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const { runDoctor } = await import('./doctor.js');
      exitWith(await runDoctor({ home, json: options.json === true, io }));
    });
}
