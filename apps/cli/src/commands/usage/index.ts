import { type Command, InvalidArgumentError as CommanderInvalidArgumentError } from 'commander';

import { normalizeThreadId } from '@agent-state/state';

import { optionArgument, timeArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { collect, exitWith, homeOf } from '../../registration.js';
import {
  type SharedStoreFlags,
  addSharedStoreOptions,
  sharedStoreOf,
} from '../../remote-store-options.js';

const HELP = `
Tokens and their cost, summed from the store's usage index: one record per model call, read from
Codex's token_count lines (and token_usage_record lines of Codex 0.169) when rollouts are indexed.
Every call counts once: the repeats Codex writes before each request and after a resume, the
token_count twin of a 0.169 record, and the calls a fork copied from its parent are left out
(--explain <thread> lists each record of a thread with its rollout line, and why it does not count
when it does not). Archived threads count: their tokens were spent.

Reports: daily (default), weekly (from Monday), monthly, session (one row per thread), model,
project (the thread's working directory). Days are those of --timezone (default: this machine's).
--since and --until take a day (2026-11-21 or 20261121, both included) or a time (10m, 2h, 1d,
RFC 3339, unix seconds).

Cost comes from the OpenAI prices shipped with agent-state (their date is printed with --json);
--pricing FILE uses yours: {"asOf": "2026-12-01", "source": "…", "models": {"gpt-5.5":
{"input": 2, "cachedInput": 0.2, "output": 16}}}, US dollars per million tokens. A model without a
price shows its tokens and an unknown cost (?), never $0; a total that includes one shows what is
known (>= $1.23). Input includes cached input; output includes reasoning.

A home never indexed is indexed first. A store indexed by an older release counts only the
threads it has indexed for usage (stderr says so): --reindex indexes the others.

Examples:
  $ agent-state usage
  $ agent-state usage monthly --breakdown
  $ agent-state usage session --since 2026-11-01 --cwd .
  $ agent-state usage model --timezone UTC --json | jq '.totals.totalTokens'
  $ agent-state usage --explain 01a1fca2-4bd1-7ad3-bb16-62ea7a26679e
`;

/**
 * The reports `usage` prints: `USAGE_REPORT_KINDS` of the rollout package, which this
 * registration does not load (a test keeps the two equal).
 */
export const REPORTS = ['daily', 'weekly', 'monthly', 'session', 'model', 'project'] as const;
type Report = (typeof REPORTS)[number];

/** The flags of `usage`, as commander parsed them. */
interface UsageFlags extends SharedStoreFlags {
  since?: DayOrTime;
  until?: DayOrTime;
  cwd?: string[];
  model?: string[];
  timezone?: string;
  breakdown?: boolean;
  pricing?: string;
  explain?: string;
  json?: boolean;
  reindex?: boolean;
}

/** A `--since`/`--until` value: a day of the report's time zone, or a time (unix ms). */
export type DayOrTime = { day: string } | { ms: number };

/** `agent-state usage [report]`: tokens and cost per day, week, month, thread, model or project. */
export function registerUsage(program: Command, io: CliIo): void {
  const command = program
    .command('usage')
    .description('tokens and cost per day, week, month, thread, model or project')
    .argument('[report]', `${REPORTS.join(', ')} (default daily)`, reportArgument)
    .option(
      '--since <day|time>',
      'only calls since <day> (2026-11-21, included) or <time> (10m, 2h, 1d, RFC 3339, …)',
      dayOrTimeArgument('--since'),
    )
    .option(
      '--until <day|time>',
      'only calls until <day> (included) or before <time>',
      dayOrTimeArgument('--until'),
    )
    .option('--cwd <dir>', 'only threads whose working directory is <dir>; repeatable', collect)
    .option('--model <model>', 'only calls of this model; repeatable', collect)
    .option(
      '--timezone <zone>',
      "the days' IANA time zone (default: this machine's)",
      timeZoneArgument,
    )
    .option('--breakdown', "each row's models on rows of their own")
    .option('--pricing <file>', 'prices from this JSON file instead of the shipped ones')
    .option(
      '--explain <thread>',
      'every usage record of a thread, counted or not, and why',
      optionArgument((value) => normalizeThreadId(value)),
    )
    .option('--json', 'print one JSON document on stdout')
    .option('--reindex', 'first index for usage the threads the index does not cover');
  addSharedStoreOptions(command)
    .addHelpText('after', HELP)
    .action(async (report: Report | undefined, options: UsageFlags, command: Command) => {
      const home = homeOf(command, io);
      const { runUsage } = await import('./usage.js');
      exitWith(
        await runUsage({
          home,
          io,
          json: options.json === true,
          report: report ?? 'daily',
          since: options.since,
          until: options.until,
          cwds: options.cwd ?? [],
          models: options.model ?? [],
          timeZone: options.timezone,
          breakdown: options.breakdown === true,
          pricingFile: options.pricing,
          explain: options.explain,
          reindex: options.reindex === true,
          shared: sharedStoreOf(io, options),
        }),
      );
    });
}

function reportArgument(value: string): Report {
  const report = REPORTS.find((candidate) => candidate === value.toLowerCase());
  if (report === undefined) {
    throw new CommanderInvalidArgumentError(`expected one of ${REPORTS.join(', ')}.`);
  }
  return report;
}

/**
 * A parser of `--since`/`--until`: a day (`2026-11-21`, or `20261121` as ccusage takes it), or
 * any time `timeArgument` takes. Throws commander's `InvalidArgumentError` (exit 2) otherwise.
 */
export function dayOrTimeArgument(flag: string): (value: string) => DayOrTime {
  const time = timeArgument(flag);
  return (value) => {
    const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value.trim());
    if (!match) return { ms: time(value) };
    const day = `${match[1]}-${match[2]}-${match[3]}`;
    const date = new Date(`${day}T00:00:00Z`);
    if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day) {
      throw new CommanderInvalidArgumentError(`${day} is not a day of the calendar.`);
    }
    return { day };
  };
}

/**
 * A parser of `--timezone`: an IANA time zone name this Node.js knows (`Europe/Paris`, `UTC`).
 * Throws commander's `InvalidArgumentError` (exit 2) otherwise.
 */
export function timeZoneArgument(value: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new CommanderInvalidArgumentError(
      'expected an IANA time zone such as Europe/Paris or UTC.',
    );
  }
}
