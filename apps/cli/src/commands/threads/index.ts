import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { registerThreadsArchive } from './archive/index.js';
import { registerThreadsDelete } from './delete/index.js';
import { registerThreadsExport } from './export/index.js';
import { registerThreadsList } from './list/index.js';
import { registerThreadsRename } from './rename/index.js';
import { registerThreadsShow } from './show/index.js';

const HELP = `
Examples:
  $ agent-state --home ~/.codex threads list --limit 10
  $ agent-state threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads rename 01a1fca2-290e-7023-a2aa-62c446d63b1d "Fix CI"
  $ agent-state threads export 01a1fca2-290e-7023-a2aa-62c446d63b1d --output session.html
  $ agent-state threads delete 01a1fca2-290e-7023-a2aa-62c446d63b1d

Run \`agent-state threads <command> --help\` for the options of each.
`;

/** `agent-state threads`: list, show, export, archive, unarchive, rename and delete threads. */
export function registerThreads(program: Command, io: CliIo): void {
  const threads = program
    .command('threads')
    .description('list, show, export, archive, unarchive, rename and delete threads (sessions)')
    .addHelpText('after', HELP);
  registerThreadsList(threads, io);
  registerThreadsShow(threads, io);
  registerThreadsExport(threads, io);
  registerThreadsArchive(threads, io);
  registerThreadsRename(threads, io);
  registerThreadsDelete(threads, io);
}
