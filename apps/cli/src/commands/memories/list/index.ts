import type { Command } from 'commander';

import { integerArgument } from '../../../arguments.js';
import type { CliIo } from '../../../output.js';
import { homeOf } from '../../../registration.js';

const HELP = `
Lists what phase 1 extracted from threads (the stage-1 outputs phase 2 consolidates), newest
first: when, the thread, its slug and working directory, and the rollout summary. Threads whose
memory is disabled are listed too, marked; phase 2 leaves them out.

Examples:
  $ agent-state memories list --cwd .             # the memories of this project
  $ agent-state memories list --limit 5 --json
`;

/** `agent-state memories list`: the newest stage-1 outputs, of every thread or of one cwd. */
export function registerMemoriesList(memories: Command, io: CliIo): void {
  memories
    .command('list')
    .description('the newest memories extracted from threads, of every project or of one')
    .option('--cwd <dir>', 'only threads whose working directory is exactly <dir>')
    .option('--limit <n>', 'at most n memories (default 20)', integerArgument({ min: 1 }))
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: { cwd?: string; limit?: number; json?: boolean }, command: Command) => {
      const { runMemoriesList } = await import('./memories-list.js');
      await runMemoriesList({
        home: homeOf(command, io),
        cwd: options.cwd,
        limit: options.limit ?? 20,
        json: options.json === true,
        io,
      });
    });
}
