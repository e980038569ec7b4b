import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';

const HELP = `
Deletes a thread everywhere at once: its rollout (plain or compressed, active or archived) moves
to the home's trash, <home>/agent_state_trash/<time>-<id>/ (or is unlinked with --purge), and its
row, dynamic tools, search documents, usage records and stored memory go from the store in one
transaction. If a step fails, the rollouts go back and the thread is left whole (any rollout
that cannot go back is named, and kept in the trash). Codex's other files are not written. To
restore a thread, move its files back from the trash folder (deleted.json lists them) and run
\`agent-state reconcile --repair\`.

On a terminal it asks first; elsewhere it deletes only with --yes. Exits 3 when neither a rollout
nor a row has that id.

Examples:
  $ agent-state threads delete 01a1fca2-4d0c-7883-b67e-ad58b7675481
  $ agent-state threads delete 01a1fca2-4d0c-7883-b67e-ad58b7675481 --purge --yes --json
`;

/** The flags of `threads delete`, as commander parsed them. */
interface ThreadsDeleteFlags {
  purge?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** `agent-state threads delete <id>`: a thread's rollout to the trash, its rows out of the store. */
export function registerThreadsDelete(threads: Command, io: CliIo): void {
  threads
    .command('delete')
    .description('delete a thread: its rollout to the trash, its rows out of the store')
    .argument('<id>', 'the thread id (a UUID)')
    .option('--purge', 'unlink the rollout instead of moving it to the trash')
    .option('-y, --yes', 'do not ask before deleting')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (id: string, options: ThreadsDeleteFlags, command: Command) => {
      const home = homeOf(command, io);
      const { runThreadsDelete } = await import('./threads-delete.js');
      exitWith(
        await runThreadsDelete({
          home,
          id,
          io,
          purge: options.purge === true,
          yes: options.yes === true,
          json: options.json === true,
        }),
      );
    });
}
