import type { Command } from 'commander';

import { integerArgument } from '../../../arguments.js';
import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';
import {
  type SharedStoreFlags,
  addSharedStoreOptions,
  sharedStoreOf,
} from '../../../remote-store-options.js';

const HELP = `
Shows everything the store knows about one thread: its metadata, its user-set name (from
session_index.jsonl), its rollout file, what it was forked from, the thread that spawned it (a
sub-agent: with its nickname and role) and the sub-agent threads it spawned. A thread the store
does not know yet is found among the rollouts and indexed. Exits 3 when no rollout has that id.

With --at <line> (a rollout line, as \`agent-state search\` prints them), the conversation around
it follows: the message, reasoning summary or tool call at that line (or the last one starting
before it), marked with >, and up to 3 before and after it (--context changes 3), in full.

Examples:
  $ agent-state --home ~/.codex threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d --json | jq .rolloutPath
  $ agent-state threads show 01a249b9-5eba-7de0-b66b-0557cb848718 --json | jq '.subAgents[].id'
  $ agent-state threads show 01a1fca2-4fed-7240-b63a-7bbeef5ab15d --at 12
  $ agent-state threads show 01a1fca2-4fed-7240-b63a-7bbeef5ab15d --at 12 --context 1 --json | jq .documents
  $ agent-state threads show 01a1fca2-4fed-7240-b63a-7bbeef5ab15d --store postgres://me@db.internal/agent_state
`;

/** The flags of `threads show`, as commander parsed them. */
interface ThreadsShowFlags extends SharedStoreFlags {
  json?: boolean;
  at?: number;
  context?: number;
}

/** `agent-state threads show <id>`: one thread, its name, rollout and sub-agents. */
export function registerThreadsShow(threads: Command, io: CliIo): void {
  const command = threads
    .command('show')
    .description('show one thread: metadata, name and rollout file')
    .argument('<id>', 'the thread id (a UUID)')
    .option('--json', 'print one JSON document on stdout')
    .option(
      '--at <line>',
      'also show the conversation around this rollout line',
      integerArgument({ min: 1 }),
    )
    .option(
      '--context <k>',
      'with --at: messages shown before and after it (default 3)',
      integerArgument({ min: 0 }),
    );
  addSharedStoreOptions(command)
    .addHelpText('after', HELP)
    .action(async (id: string, options: ThreadsShowFlags, command: Command) => {
      if (options.context !== undefined && options.at === undefined) {
        command.error("error: option '--context <k>' needs --at <line>");
      }
      const home = homeOf(command, io);
      const { runThreadsShow } = await import('./threads-show.js');
      exitWith(
        await runThreadsShow({
          home,
          id,
          json: options.json === true,
          io,
          at: options.at,
          context: options.context,
          shared: sharedStoreOf(io, options),
        }),
      );
    });
}
