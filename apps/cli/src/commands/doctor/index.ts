import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';
import {
  type SharedStoreFlags,
  addSharedStoreOptions,
  sharedStoreOf,
} from '../../remote-store-options.js';

const HELP = `
Examples:
  $ agent-state doctor                               check the default home
  $ agent-state --home ~/.codex doctor --json        the same report as one JSON document
  $ agent-state doctor --store postgres://me@db.internal/agent_state
                                                     and the shared store this home is pushed to

With --store <url> (or $AGENT_STATE_STORE_URL), it also reads the shared PostgreSQL store across
its homes (read-only): its schema and size, its threads and indexes, each home with its machine
and last sync, and whether this home was ever pushed there.

Each problem comes with what to do about it. Exits 1 for errors (a store that does not open or
fails its integrity check, a shared store named by --store that cannot be read), 0 for warnings
(an incomplete backfill, discrepancies, failed memories jobs, dropped log entries, a home never
pushed, a shared store named only by $AGENT_STATE_STORE_URL that cannot be read).
`;

/** The flags of `doctor`, as commander parsed them. */
interface DoctorFlags extends SharedStoreFlags {
  json?: boolean;
}

/** `agent-state doctor`: inspect the home and print the report with what to do about problems. */
export function registerDoctor(program: Command, io: CliIo): void {
  const command = program
    .command('doctor')
    .description(
      'check the store: integrity, generation, schema, backfill state, thread counts, memories jobs, logs, and what to do about problems',
    )
    .option('--json', 'print one JSON document on stdout');
  addSharedStoreOptions(command)
    .addHelpText('after', HELP)
    .action(async (options: DoctorFlags, command: Command) => {
      const home = homeOf(command, io);
      const shared = sharedStoreOf(io, options);
      const { runDoctor } = await import('./doctor.js');
      exitWith(await runDoctor({ home, json: options.json === true, shared, io }));
    });
}
