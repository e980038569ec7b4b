import type { Command } from 'commander';

import { integerArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf, whileInterruptible } from '../../registration.js';

const HELP = `
Indexes every rollout of the home (sessions/ and archived_sessions/) into the store, resumably:
an interrupted backfill continues after its last checkpoint. One process at a time runs it; by
default another invocation says which process (pid, host) runs it, shows its progress and waits
for it, --no-wait exits 4. A backfill that was killed is resumed at once by the next one on the
same host (on another host sharing the home, once its 2-minute lease runs out).

Rollouts that cannot be read are skipped and listed with their paths; the backfill still completes
and exits 0 (a warning goes to stderr). Fix them, then run \`agent-state reconcile --repair\`.

Examples:
  $ agent-state --home ~/.codex backfill              index with a progress bar (on a terminal)
  $ agent-state --home ~/.codex backfill --json       {status, scanned, upserted, failed, …}
  $ agent-state backfill --no-wait || echo "busy"     exit 4 if another process runs it
  $ agent-state backfill --workers 0                  extract on the main thread only
`;

/** Parses `--workers`: an integer from 0 to 64 (else a usage error naming the flag). */
export const parseWorkers = integerArgument({ min: 0, max: 64 });

/** `agent-state backfill`: index every rollout of the home (resumable, one process at a time). */
export function registerBackfill(program: Command, io: CliIo): void {
  program
    .command('backfill')
    .description(
      'index every rollout of the home into the store (resumable; waits for another process running it)',
    )
    .option('--json', 'print one JSON document on stdout')
    .option('--no-wait', 'exit 4 instead of waiting while another process runs the backfill')
    .option(
      '--workers <n>',
      'extraction worker threads, 0 to 64 (0: none; default: as many as the work repays, up to one per further core)',
      parseWorkers,
    )
    .addHelpText('after', HELP)
    .action(
      async (options: { json?: boolean; wait: boolean; workers?: number }, command: Command) => {
        const home = homeOf(command, io);
        const { runBackfillCommand } = await import('./backfill.js');
        exitWith(
          await whileInterruptible((signal) =>
            runBackfillCommand({
              home,
              json: options.json === true,
              wait: options.wait,
              workers: options.workers,
              io,
              signal,
            }),
          ),
        );
      },
    );
}
