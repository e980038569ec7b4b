import { InvalidArgumentError } from '@agent-state/state';
import { type Command, Option } from 'commander';

import { integerArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';
import { syncTarget } from '../../remote-store-options.js';

const HELP = `
Pushes this home's threads, their search documents and usage records to a shared store on a
PostgreSQL server, so that \`threads list\`, \`search\`, \`usage\` and \`serve\` with --store answer
over every home and machine that pushes there. Incremental: only threads changed since the last
push go, and threads deleted here are removed there. Safe to run from many machines at once (each
home writes only its own rows) and to stop at any time (the next sync goes on). Rollouts stay on
this machine; --redact takes secrets out of the text pushed.

The URL is postgres://user[:password]@host[:port]/database[?sslmode=require]; without --to,
AGENT_STATE_STORE_URL. A password may also come from PGPASSWORD or ~/.pgpass. It is never
printed. The schema is created (or migrated) on first use.

--remove takes this home (or --home-id's: a machine gone, a home pushed by mistake) and every
row of it out of the shared store, once no sync of it runs; it asks first on a terminal, and needs
--yes elsewhere. Nothing on any machine changes: the home's next sync pushes it again (stop its
\`watch --sync\` first).

Examples:
  $ agent-state sync --to postgres://me@db.internal/agent_state
  $ AGENT_STATE_STORE_URL=postgres://me@db.internal/agent_state agent-state sync --redact
  $ agent-state watch --sync postgres://me@db.internal/agent_state   # push continuously
  $ agent-state sync --remove --yes                                  # take this home out again
`;

/** The flags of `sync`, as commander parsed them. */
interface SyncFlags {
  to?: string;
  redact?: boolean;
  full?: boolean;
  batchSize?: number;
  remove?: boolean;
  homeId?: string;
  yes?: boolean;
  json?: boolean;
}

/** `agent-state sync`: push this home to a shared PostgreSQL store. */
export function registerSync(program: Command, io: CliIo): void {
  program
    .command('sync')
    .description("push this home's threads, search and usage to a shared PostgreSQL store")
    .addOption(
      new Option(
        '--to <url>',
        'the server: postgres://user@host/database (default: $AGENT_STATE_STORE_URL)',
      ),
    )
    .option('--redact', 'redact secrets (keys, tokens, passwords) in the text pushed')
    .option('--full', 'push every thread, even those unchanged since the last push')
    .option(
      '--batch-size <n>',
      'threads pushed per transaction (default 200)',
      integerArgument({ min: 1, max: 10_000 }),
    )
    .option('--remove', "remove this home's rows from the shared store instead of pushing")
    .option('--home-id <id>', "with --remove: remove this home instead (another machine's)")
    .option('-y, --yes', 'with --remove: do not ask first')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: SyncFlags, command: Command) => {
      const home = homeOf(command, io);
      if (options.remove === true) {
        const target = syncTarget(io, options.to);
        for (const [flag, given] of [
          ['--redact', options.redact],
          ['--full', options.full],
          ['--batch-size', options.batchSize !== undefined],
        ] as const) {
          if (given === true)
            throw new InvalidArgumentError(flag, 'is for pushing: it goes without --remove');
        }
        const { runSyncRemove } = await import('./sync-remove.js');
        exitWith(
          await runSyncRemove({
            home,
            io,
            target,
            homeId: options.homeId,
            yes: options.yes === true,
            json: options.json === true,
          }),
        );
        return;
      }
      for (const [flag, given] of [
        ['--home-id', options.homeId !== undefined],
        ['--yes', options.yes === true],
      ] as const) {
        if (given) throw new InvalidArgumentError(flag, 'goes with --remove only');
      }
      const { runSync } = await import('./sync.js');
      exitWith(
        await runSync({
          home,
          io,
          to: options.to,
          redact: options.redact === true,
          full: options.full === true,
          batchSize: options.batchSize,
          json: options.json === true,
        }),
      );
    });
}
