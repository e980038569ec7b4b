import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';

const ARCHIVE_HELP = `
Moves the thread's rollout to archived_sessions/ (as Codex's \`thread/archive\` does) and marks it
archived in the store. Exits 3 when no rollout has that id, 1 when the thread is already archived.

Examples:
  $ agent-state --home ~/.codex threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d --json
`;

const UNARCHIVE_HELP = `
Moves an archived thread's rollout back to sessions/YYYY/MM/DD/ (as Codex's \`thread/unarchive\`
does) and marks it active in the store. Exits 3 when no archived rollout has that id, 1 when the
thread is not archived.

Examples:
  $ agent-state --home ~/.codex threads unarchive 01a1fca2-22e1-7283-8765-3dcfddf60544
  $ agent-state threads unarchive 01a1fca2-22e1-7283-8765-3dcfddf60544 --json
`;

const COMMANDS = [
  {
    direction: 'archive',
    description: 'archive a thread: move its rollout to archived_sessions/',
    help: ARCHIVE_HELP,
  },
  {
    direction: 'unarchive',
    description: 'unarchive a thread: move its rollout back to sessions/',
    help: UNARCHIVE_HELP,
  },
] as const;

/**
 * `agent-state threads archive <id>` and `threads unarchive <id>`: move a thread's rollout between
 * `sessions/` and `archived_sessions/` (one implementation, two directions).
 */
export function registerThreadsArchive(threads: Command, io: CliIo): void {
  for (const { direction, description, help } of COMMANDS) {
    threads
      .command(direction)
      .description(description)
      .argument('<id>', 'the thread id (a UUID)')
      .option('--json', 'print one JSON document on stdout')
      .addHelpText('after', help)
      .action(async (id: string, options: { json?: boolean }, command: Command) => {
        const home = homeOf(command, io);
        const { runThreadsArchive } = await import('./threads-archive.js');
        exitWith(await runThreadsArchive({ home, id, direction, json: options.json === true, io }));
      });
  }
}
