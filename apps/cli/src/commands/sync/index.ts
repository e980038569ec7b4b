import { type Command, Option } from 'commander';

import { integerArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

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

Examples:
  $ agent-state sync --to postgres://me@db.internal/agent_state
  $ AGENT_STATE_STORE_URL=postgres://me@db.internal/agent_state agent-state sync --redact
  $ agent-state watch --sync postgres://me@db.internal/agent_state   # push continuously
`;

/** The flags of `sync`, as commander parsed them. */
interface SyncFlags {
  to?: string;
  redact?: boolean;
  full?: boolean;
  batchSize?: number;
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
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: SyncFlags, command: Command) => {
      const home = homeOf(command, io);
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
