import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';

const HELP = `
Shows everything the store knows about one thread: its metadata, its user-set name (from
session_index.jsonl), its rollout file, what it was forked from, the thread that spawned it (a
sub-agent: with its nickname and role) and the sub-agent threads it spawned. A thread the store
does not know yet is found among the rollouts and indexed. Exits 3 when no rollout has that id.

Examples:
  $ agent-state --home ~/.codex threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d --json | jq .rolloutPath
  $ agent-state threads show 01a249b9-5eba-7de0-b66b-0557cb848718 --json | jq '.subAgents[].id'
`;

/** `agent-state threads show <id>`: one thread, its name, rollout and sub-agents. */
export function registerThreadsShow(threads: Command, io: CliIo): void {
  threads
    .command('show')
    .description('show one thread: metadata, name and rollout file')
    .argument('<id>', 'the thread id (a UUID)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const { runThreadsShow } = await import('./threads-show.js');
      exitWith(await runThreadsShow({ home, id, json: options.json === true, io }));
    });
}
