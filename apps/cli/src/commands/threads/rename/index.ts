import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';

const HELP = `
Names a thread as Codex's \`thread/name/set\` does: appends an entry to session_index.jsonl, where
Codex reads it too. The name is trimmed and must not be empty. Exits 3 when no rollout has that id.

Examples:
  $ agent-state --home ~/.codex threads rename 01a1fca2-290e-7023-a2aa-62c446d63b1d "Fix CI"
  $ agent-state threads rename 01a1fca2-290e-7023-a2aa-62c446d63b1d "Fix CI" --json
`;

/** `agent-state threads rename <id> <name>`: name a thread where Codex reads it too. */
export function registerThreadsRename(threads: Command, io: CliIo): void {
  threads
    .command('rename')
    .description('name a thread (recorded in session_index.jsonl, where Codex reads it)')
    .argument('<id>', 'the thread id (a UUID)')
    .argument('<name>', 'the new name (quote it when it has spaces)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (id: string, name: string, options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const { runThreadsRename } = await import('./threads-rename.js');
      exitWith(await runThreadsRename({ home, id, name, json: options.json === true, io }));
    });
}
