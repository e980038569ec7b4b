import { isAbsolute, resolve } from 'node:path';

import { type Clock, InvalidArgumentError, type LogQuery, resolveHome } from '@agent-state/state';
import { type Command, Option } from 'commander';

import type { LogsDatabaseSource } from './database.js';
import type { LogFormat } from './format.js';
import type { OutputStream } from './io.js';
import { parseLevelFilter } from './levels.js';
import { parseTimeArgument } from './time.js';

/**
 * Rows printed before following when `--backfill` is not given (as Codex's client).
 *
 * @example
 * ```ts
 * resolveLogsClientOptions({}, context).backfill === DEFAULT_BACKFILL; // 200
 * ```
 */
export const DEFAULT_BACKFILL = 200;

/**
 * Milliseconds between two looks for new rows when `--poll-ms` is not given (as Codex's client).
 *
 * @example
 * ```ts
 * resolveLogsClientOptions({}, context).pollMs === DEFAULT_POLL_MS; // 500
 * ```
 */
export const DEFAULT_POLL_MS = 500;
/** The largest `--poll-ms` (what a timer can wait). */
const MAX_POLL_MS = 2_147_483_647;

/**
 * The flags of `logs_client` (and `agent-state logs`) as commander parses them: strings, not yet
 * validated. {@link resolveLogsClientOptions} turns them into {@link LogsClientOptions}.
 *
 * @example
 * ```ts
 * const flags: LogsClientFlags = { level: ['warn+'], since: '10m', threadId: [id], follow: false };
 * ```
 */
export interface LogsClientFlags {
  codexHome?: string | undefined;
  db?: string | undefined;
  /** `agent-state` or `codex`: which log database of the home, when it has both. */
  source?: string | undefined;
  level?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  module?: string[] | undefined;
  file?: string[] | undefined;
  threadId?: string[] | undefined;
  threadless?: boolean | undefined;
  grep?: string | undefined;
  /** Codex's name of `--grep` (March 2026 client); accepted, not shown in the help. */
  search?: string | undefined;
  backfill?: string | undefined;
  pollMs?: string | undefined;
  compact?: boolean | undefined;
  json?: boolean | undefined;
  /** `false` with `--no-follow`. */
  follow?: boolean | undefined;
  color?: string | undefined;
}

/**
 * Where the logs are read from: one file (`--db`), or the log database of a home (see
 * `locateLogsDatabase`): agent-state's or Codex's as `database` says (`--source`), else
 * agent-state's when there is one.
 *
 * @example
 * ```ts
 * const source: LogsSource = { kind: 'home', home: '/home/me/.codex', database: 'codex' };
 * ```
 */
export type LogsSource =
  | { kind: 'db'; path: string }
  | { kind: 'home'; home: string; database?: LogsDatabaseSource | undefined };

/**
 * Validated options of a logs_client run.
 *
 * @example
 * ```ts
 * const options: LogsClientOptions = {
 *   source: { kind: 'db', path: '/home/me/.codex/logs_2.sqlite' },
 *   query: { levels: ['WARN', 'ERROR'] },
 *   backfill: 200,
 *   pollMs: 500,
 *   follow: false,
 *   format: 'json',
 *   color: false,
 * };
 * ```
 */
export interface LogsClientOptions {
  source: LogsSource;
  /** The filters (no `afterId`, `limit` or `descending`: the tail sets those). */
  query: LogQuery;
  /** How many of the newest matching rows to print first; `all` prints every matching row. */
  backfill: number | 'all';
  pollMs: number;
  /** Keep printing new rows until stopped (`--no-follow`: `false`). */
  follow: boolean;
  format: LogFormat;
  color: boolean;
}

/**
 * What {@link resolveLogsClientOptions} needs besides the flags.
 *
 * @example
 * ```ts
 * const context: ResolveOptionsContext = { env: process.env, clock: systemClock, stdout: process.stdout };
 * ```
 */
export interface ResolveOptionsContext {
  /** Read for the home (`$AGENT_STATE_HOME`, `$CODEX_HOME`) and `NO_COLOR`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Now, for relative times (`--since 10m`). */
  clock: Clock;
  /** Where the rows go: `--color auto` colors only on a terminal. */
  stdout: Pick<OutputStream, 'isTTY'>;
  /** The home when `--codex-home` is not given and before the environment (`agent-state --home`). */
  home?: string | undefined;
  /** Base of relative paths (default `process.cwd()`). */
  cwd?: string | undefined;
}

/** Appends a repeatable flag's value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Adds the options of `logs_client` to a commander command, so that `agent-state logs` and
 * `logs_client` share them. Values are kept as given; {@link resolveLogsClientOptions} validates
 * them.
 *
 * @example
 * ```ts
 * import { Command } from 'commander';
 *
 * const logs = addLogsClientOptions(new Command('logs'));
 * logs.parse(['--level', 'warn+', '--since', '10m'], { from: 'user' });
 * const options = resolveLogsClientOptions(logs.opts<LogsClientFlags>(), {
 *   env: process.env,
 *   clock: systemClock,
 *   stdout: process.stdout,
 * });
 * ```
 */
export function addLogsClientOptions(command: Command): Command {
  return command
    .option(
      '--codex-home <dir>',
      'the home whose logs to read (default: $AGENT_STATE_HOME, $CODEX_HOME, ~/.codex)',
    )
    .option('--db <file>', 'read this SQLite file (read-only) instead of the home’s log database')
    .option(
      '--source <which>',
      'the home’s log database to read when it has both: agent-state (agent_logs_1.sqlite, the default) or codex (logs_<N>.sqlite, state_<N>.sqlite)',
    )
    .option(
      '--level <level>',
      'only this level: trace, debug, info, warn, error; warn+ for warn and above (repeatable, or comma-separated)',
      collect,
    )
    .option('--from <time>', 'rows at or after this time: RFC 3339 or unix seconds')
    .option('--to <time>', 'rows at or before this time: RFC 3339 or unix seconds')
    .option('--since <time>', 'like --from, also relative: 30s, 10m, 2h, 1d ago')
    .option('--until <time>', 'like --to, also relative: 30s, 10m, 2h, 1d ago')
    .option('--module <text>', 'module path contains <text> (repeatable: any of them)', collect)
    .option('--file <text>', 'source file path contains <text> (repeatable: any of them)', collect)
    .option('--thread-id <id>', 'rows of this thread (repeatable: any of them)', collect)
    .option('--threadless', 'also rows without a thread (alone: only rows without a thread)')
    .option('--grep <text>', 'message contains <text> (case-sensitive)')
    .addOption(new Option('--search <text>', 'same as --grep').hideHelp())
    .option(
      '--backfill <n>',
      `print the newest <n> matching rows first, or all (default: ${DEFAULT_BACKFILL})`,
    )
    .option(
      '--poll-ms <ms>',
      `look for new rows every <ms> milliseconds (default: ${DEFAULT_POLL_MS})`,
    )
    .option('--no-follow', 'exit after printing the backfill instead of following')
    .option('--compact', 'print only the time, level and message')
    .option('--json', 'print one JSON object per row, one per line')
    .addOption(
      new Option(
        '--color <when>',
        'color the output: auto (on a terminal without NO_COLOR), always, never',
      ).default('auto'),
    );
}

/**
 * Validates the flags and turns them into {@link LogsClientOptions}. A bad value throws an
 * `InvalidArgumentError` naming its flag (`invalid --since: expected a relative time …`), which
 * the command line reports in one line and exits 2 for.
 *
 * @example
 * ```ts
 * const options = resolveLogsClientOptions(
 *   { level: ['warn+'], since: '10m', json: true },
 *   { env: process.env, clock: systemClock, stdout: process.stdout },
 * );
 * options.query; // { levels: ['WARN', 'ERROR'], from: <ten minutes ago>, … }
 * ```
 */
export function resolveLogsClientOptions(
  flags: LogsClientFlags,
  context: ResolveOptionsContext,
): LogsClientOptions {
  const cwd = context.cwd ?? process.cwd();
  const from = timeBound(flags, 'from', 'since', context.clock);
  const to = timeBound(flags, 'to', 'until', context.clock);
  if (from !== undefined && to !== undefined && from > to) {
    throw new InvalidArgumentError(
      flags.from === undefined ? '--since' : '--from',
      `is after ${flags.to === undefined ? '--until' : '--to'} (${from} > ${to} unix seconds)`,
    );
  }
  if (flags.grep !== undefined && flags.search !== undefined) {
    throw new InvalidArgumentError('--grep', 'give either --grep or --search, not both');
  }
  const search = flags.grep ?? flags.search;
  if (search === '') {
    throw new InvalidArgumentError(flags.grep === undefined ? '--search' : '--grep', 'is empty');
  }
  if (flags.compact === true && flags.json === true) {
    throw new InvalidArgumentError('--compact', 'cannot be combined with --json');
  }

  const threadIds = nonEmpty(flags.threadId);
  const query: LogQuery = {
    ...(flags.level === undefined ? {} : { levels: parseLevelFilter(flags.level) }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...optionalList('modules', nonEmpty(flags.module)),
    ...optionalList('files', nonEmpty(flags.file)),
    ...optionalList('threadIds', threadIds),
    ...(flags.threadless === true ? { includeThreadless: true } : {}),
    ...(search === undefined ? {} : { search }),
  };

  const format: LogFormat =
    flags.json === true ? 'json' : flags.compact === true ? 'compact' : 'normal';
  const color = colorEnabled(flags.color ?? 'auto', context);
  return {
    source: sourceOf(flags, context, cwd),
    query,
    backfill: parseBackfill(flags.backfill),
    pollMs: parsePollMs(flags.pollMs),
    follow: flags.follow !== false,
    format,
    color: format !== 'json' && color,
  };
}

function sourceOf(flags: LogsClientFlags, context: ResolveOptionsContext, cwd: string): LogsSource {
  const database = parseSource(flags.source);
  if (flags.db !== undefined) {
    if (database !== undefined) {
      throw new InvalidArgumentError('--source', 'cannot be combined with --db (one file is read)');
    }
    if (flags.db.trim() === '') throw new InvalidArgumentError('--db', 'is empty');
    if (flags.db.includes('\0')) throw new InvalidArgumentError('--db', 'contains a NUL byte');
    return { kind: 'db', path: isAbsolute(flags.db) ? resolve(flags.db) : resolve(cwd, flags.db) };
  }
  if (flags.codexHome !== undefined && flags.codexHome.trim() === '') {
    throw new InvalidArgumentError('--codex-home', 'is empty');
  }
  const home = flags.codexHome ?? context.home;
  try {
    const resolved = resolveHome({ home, env: context.env, cwd });
    return database === undefined
      ? { kind: 'home', home: resolved }
      : { kind: 'home', home: resolved, database };
  } catch (error) {
    // resolveHome names `--home`; this command's flag is --codex-home.
    if (error instanceof InvalidArgumentError && error.argument === '--home') {
      throw new InvalidArgumentError(
        flags.codexHome === undefined ? '--home' : '--codex-home',
        error.message.replace(/^invalid --home: /, ''),
      );
    }
    throw error;
  }
}

function parseSource(value: string | undefined): LogsDatabaseSource | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'agent-state' || text === 'codex') return text;
  throw new InvalidArgumentError(
    '--source',
    `expected agent-state or codex, got ${JSON.stringify(value)}`,
  );
}

function timeBound(
  flags: LogsClientFlags,
  absolute: 'from' | 'to',
  relative: 'since' | 'until',
  clock: Clock,
): number | undefined {
  const absoluteValue = flags[absolute];
  const relativeValue = flags[relative];
  if (absoluteValue !== undefined && relativeValue !== undefined) {
    throw new InvalidArgumentError(
      `--${relative}`,
      `give either --${absolute} or --${relative}, not both`,
    );
  }
  if (absoluteValue !== undefined)
    return parseTimeArgument(absoluteValue, { flag: `--${absolute}` });
  if (relativeValue !== undefined)
    return parseTimeArgument(relativeValue, { flag: `--${relative}`, clock });
  return undefined;
}

function parseBackfill(value: string | undefined): number | 'all' {
  if (value === undefined) return DEFAULT_BACKFILL;
  const text = value.trim();
  if (text.toLowerCase() === 'all') return 'all';
  const rows = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(rows)) {
    throw new InvalidArgumentError(
      '--backfill',
      `expected a number of rows (0 or more) or all, got ${JSON.stringify(value)}`,
    );
  }
  return rows;
}

function parsePollMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_POLL_MS;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_POLL_MS) {
    throw new InvalidArgumentError(
      '--poll-ms',
      `expected milliseconds from 1 to ${MAX_POLL_MS}, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function colorEnabled(when: string, context: ResolveOptionsContext): boolean {
  switch (when) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'auto': {
      const noColor = context.env['NO_COLOR'];
      return context.stdout.isTTY === true && (noColor === undefined || noColor === '');
    }
    default:
      throw new InvalidArgumentError(
        '--color',
        `expected auto, always or never, got ${JSON.stringify(when)}`,
      );
  }
}

/** The values that are not empty (Codex's client drops empty `--module`, `--file`, `--thread-id`). */
function nonEmpty(values: readonly string[] | undefined): string[] {
  return (values ?? []).filter((value) => value.trim() !== '');
}

function optionalList<K extends 'modules' | 'files' | 'threadIds'>(
  key: K,
  values: string[],
): Partial<Record<K, string[]>> {
  return values.length === 0 ? {} : ({ [key]: values } as Partial<Record<K, string[]>>);
}
