import { MAX_SEARCH_LIMIT, SEARCH_ROLES, type SearchRole } from '@agent-state/state';
import {
  type Command,
  InvalidArgumentError as CommanderInvalidArgumentError,
  Option,
} from 'commander';

import { collectSourceKind, integerArgument, timeArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { collect, exitWith, homeOf } from '../../registration.js';
import {
  type SharedStoreFlags,
  addSharedStoreOptions,
  sharedStoreOf,
} from '../../remote-store-options.js';

const HELP = `
Searches what was said and done in the conversations the store holds: user and agent messages,
reasoning summaries, tool calls with their output, compaction summaries (never Codex's own
instructions or injected context). Threads come best first, each with its best snippets and their
rollout lines: \`agent-state threads show <id> --at <line>\` shows the conversation around one.

The words are joined by spaces and must all match. "Quoted phrases", prefixes (migr*), OR, NOT
(upper case), -word to exclude and parentheses work as in search boxes; paths, identifiers
(useStateDbOnly) and error text are found by the words they hold. The quotes of a phrase must
reach agent-state, so quote them for the shell: '"state db"'.

Active threads only unless --archived or --all. --source takes the source kinds of
\`threads list\`; --since and --until take 10m, 2h, 1d, 1w, now, RFC 3339 or unix seconds and
apply to when the matching message was written. A home never indexed is indexed first (as
\`agent-state backfill\` does). A store indexed by an older release searches only the threads it
has indexed for search (stderr says so): --reindex indexes the others; --rebuild indexes every
thread again (needed only when \`doctor\` reports the search index out of step).

Examples:
  $ agent-state search migration sqlite
  $ agent-state search '"state db"' migr*                 a phrase and a prefix
  $ agent-state search ENOENT --role tool --since 1w      errors in tool output this week
  $ agent-state search 'retry OR backoff' --cwd . --all
  $ agent-state search flaky test --json | jq '.hits[].thread.id'
  $ agent-state search --reindex                          index threads of an older release
  $ agent-state search --rebuild                          index every thread for search again
`;

/** Threads shown unless `--limit` says otherwise. */
export const DEFAULT_SEARCH_LIMIT = 20;

/** The flags of `search`, as commander parsed them. */
interface SearchFlags extends SharedStoreFlags {
  cwd?: string[];
  since?: number;
  until?: number;
  source?: string[];
  role?: SearchRole[];
  archived?: boolean;
  all?: boolean;
  limit: number;
  json?: boolean;
  reindex?: boolean;
  rebuild?: boolean;
}

/** `agent-state search <query...>`: full-text search over the conversations, best first. */
export function registerSearch(program: Command, io: CliIo): void {
  const command = program
    .command('search')
    .description('search the conversations: threads best first, with snippets and their lines')
    .argument('[query...]', 'the words to search for (joined by spaces)')
    .option('--cwd <dir>', 'only threads whose working directory is <dir>; repeatable', collect)
    .option(
      '--since <time>',
      'only what was written since <time> (10m, 2h, 1d, RFC 3339, …)',
      timeArgument('--since'),
    )
    .option('--until <time>', 'only what was written before <time>', timeArgument('--until'))
    .option(
      '--source <kind>',
      'only this source kind (cli, vscode, exec, appServer, subagent, …); repeatable',
      collectSourceKind,
    )
    .option(
      '--role <role>',
      `only what this role said or ran (${SEARCH_ROLES.join(', ')}); repeatable`,
      collectRole,
    )
    .addOption(
      new Option('--archived', 'search archived threads instead of active ones').conflicts('all'),
    )
    .addOption(new Option('--all', 'search active and archived threads').conflicts('archived'))
    .option(
      '--limit <n>',
      `threads shown, 1 to ${MAX_SEARCH_LIMIT}`,
      integerArgument({ min: 1, max: MAX_SEARCH_LIMIT }),
      DEFAULT_SEARCH_LIMIT,
    )
    .option('--json', 'print one JSON document on stdout')
    .option(
      '--reindex',
      'first index for search the threads the index does not cover (indexed by an older release)',
    )
    .option('--rebuild', 'first index every thread for search again (after a change of the index)');
  addSharedStoreOptions(command)
    .addHelpText('after', HELP)
    .action(async (words: string[], options: SearchFlags, command: Command) => {
      const query = words.join(' ');
      if (query.trim() === '' && options.reindex !== true && options.rebuild !== true) {
        command.error("error: missing required argument 'query'");
      }
      const home = homeOf(command, io);
      const { runSearch } = await import('./search.js');
      exitWith(
        await runSearch({
          home,
          io,
          json: options.json === true,
          query: query.trim() === '' ? undefined : query,
          reindex: options.reindex === true,
          rebuild: options.rebuild === true,
          archived: options.all === true ? 'all' : options.archived === true,
          cwds: options.cwd ?? [],
          sources: options.source ?? [],
          roles: options.role ?? [],
          sinceMs: options.since,
          untilMs: options.until,
          limit: options.limit,
          shared: sharedStoreOf(io, options),
        }),
      );
    });
}

/**
 * Collects a repeatable `--role`: one of {@link SEARCH_ROLES}. Throws commander's
 * `InvalidArgumentError` (exit 2, naming the flag and the roles) otherwise.
 */
export function collectRole(value: string, previous: SearchRole[] | undefined): SearchRole[] {
  const role = SEARCH_ROLES.find((candidate) => candidate === value.toLowerCase());
  if (role === undefined) {
    throw new CommanderInvalidArgumentError(`expected one of ${SEARCH_ROLES.join(', ')}.`);
  }
  return [...(previous ?? []), role];
}
