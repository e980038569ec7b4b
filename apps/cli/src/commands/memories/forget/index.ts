import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';

const HELP = `
Forgets what the memories pipeline kept of threads: their stage-1 outputs and jobs leave the
store, their rollout summaries and sections of raw_memories.md leave <home>/memories, and they
are disabled so that phase 1 never extracts them again. What MEMORY.md, memory_summary.md and the
skills took from them cannot be picked out, so those files are removed too, and the next
\`agent-state memories run\` builds them again from the memories left. Rollouts are not touched.

On a terminal it asks first; elsewhere it forgets only with --yes. Exits 3 when a thread id is
unknown (nothing is forgotten then).

Examples:
  $ agent-state memories forget 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state memories forget --cwd ~/src/secret-project --yes --json
`;

/** `agent-state memories forget`: threads' memories out of the store and the memory files. */
export function registerMemoriesForget(memories: Command, io: CliIo): void {
  memories
    .command('forget')
    .description('forget what was remembered of threads (by id, or every thread of --cwd)')
    .argument('[thread-id...]', 'thread ids (UUIDs)')
    .option('--cwd <dir>', 'every thread whose working directory is exactly <dir>')
    .option('-y, --yes', 'do not ask before forgetting')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(
      async (
        ids: string[],
        options: { cwd?: string; yes?: boolean; json?: boolean },
        command: Command,
      ) => {
        const { runMemoriesForget } = await import('./memories-forget.js');
        exitWith(
          await runMemoriesForget({
            home: homeOf(command, io),
            threadIds: ids,
            cwd: options.cwd,
            yes: options.yes === true,
            json: options.json === true,
            io,
          }),
        );
      },
    );
}
