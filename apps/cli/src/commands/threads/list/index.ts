import { parseThreadCursor } from '@agent-state/rollout';
import { InvalidArgumentError, MAX_PAGE_SIZE } from '@agent-state/state';
import {
  type Command,
  InvalidArgumentError as CommanderInvalidArgumentError,
  Option,
} from 'commander';

import { collectSourceKind, integerArgument } from '../../../arguments.js';
import type { CliIo } from '../../../output.js';
import { collect, exitWith, homeOf } from '../../../registration.js';
import {
  type SharedStoreFlags,
  addSharedStoreOptions,
  sharedStoreOf,
} from '../../../remote-store-options.js';

const HELP = `
Lists threads newest first (by creation time, or by last update with --sort updated), from the
store once the backfill completed, otherwise straight from the rollouts. Threads without a user
message are not listed (as in Codex). --source takes Codex's source kinds: cli, vscode, exec,
appServer, subAgent (every sub-agent), subAgentReview, subAgentCompact, subAgentThreadSpawn,
subAgentOther, unknown (any case; sub-agent or sub-agent-review also work). Without --json: a table, and the next page's cursor on stderr.

Examples:
  $ agent-state --home ~/.codex threads list
  $ agent-state threads list --sort updated --limit 10
  $ agent-state threads list --source exec --source vscode --provider openai
  $ agent-state threads list --source subagent --json    # every sub-agent thread
  $ agent-state threads list --source subAgentThreadSpawn
  $ agent-state threads list --cwd ~/projects/repo-a
  $ agent-state threads list --archived --json
  $ agent-state threads list --cursor '2026-11-21T05:44:07Z|01a1fca2-27af-7a60-9946-c7f855b16184'
  $ agent-state threads list --store postgres://me@db.internal/agent_state --host laptop
`;

/** Threads per page unless `--limit` says otherwise. */
export const DEFAULT_LIST_LIMIT = 25;

/** The flags of `threads list`, as commander parsed them. */
interface ThreadsListFlags extends SharedStoreFlags {
  archived?: boolean;
  sort: 'created' | 'updated';
  source?: string[];
  provider?: string[];
  cwd?: string[];
  limit: number;
  cursor?: string;
  json?: boolean;
}

/** `agent-state threads list`: one page of threads, newest first. */
export function registerThreadsList(threads: Command, io: CliIo): void {
  const command = threads
    .command('list')
    .description('list threads, newest first, a page at a time')
    .option('--archived', 'list archived threads instead of active ones')
    .addOption(
      new Option('--sort <key>', 'order by creation or last update time')
        .choices(['created', 'updated'])
        .default('created'),
    )
    .option(
      '--source <kind>',
      'only this source kind (cli, vscode, exec, appServer, subagent, subAgentReview, …); repeatable',
      collectSourceKind,
    )
    .option('--provider <id>', 'only this model provider (openai, …); repeatable', collect)
    .option('--cwd <dir>', 'only threads whose working directory is <dir>; repeatable', collect)
    .option(
      '--limit <n>',
      'threads per page, 1 to 10000',
      integerArgument({ min: 1, max: MAX_PAGE_SIZE }),
      DEFAULT_LIST_LIMIT,
    )
    .option(
      '--cursor <cursor>',
      'where the page starts: the cursor printed by the previous page',
      parseCursor,
    )
    .option('--json', 'print one JSON document on stdout');
  addSharedStoreOptions(command)
    .addHelpText('after', HELP)
    .action(async (options: ThreadsListFlags, command: Command) => {
      const home = homeOf(command, io);
      const { runThreadsList } = await import('./threads-list.js');
      exitWith(
        await runThreadsList({
          home,
          json: options.json === true,
          io,
          archived: options.archived === true,
          sortKey: options.sort,
          sources: options.source ?? [],
          modelProviders: options.provider ?? [],
          cwds: options.cwd ?? [],
          limit: options.limit,
          cursor: options.cursor,
          shared: sharedStoreOf(io, options),
        }),
      );
    });
}

/**
 * Checks `--cursor` with the library's parser (so a bad cursor exits 2 naming the flag) and keeps
 * it as given.
 */
export function parseCursor(value: string): string {
  try {
    parseThreadCursor(value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      const problem = error.message.replace(/^invalid [^:]+:\s*/, '');
      throw new CommanderInvalidArgumentError(
        `${problem}; pass the cursor printed by the previous page.`,
      );
    }
    throw error;
  }
  return value;
}
