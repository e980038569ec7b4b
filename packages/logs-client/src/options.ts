import { isAbsolute, resolve } from 'node:path';

import { type Clock, InvalidArgumentError, type LogQuery, resolveHome } from '@agent-state/state';

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
 * The flags of `logs_client` (and `agent-state logs`) as a command-line parser gives them (the
 * keys of {@link LOGS_CLIENT_FLAGS}): strings, not yet validated.
 * {@link resolveLogsClientOptions} turns them into {@link LogsClientOptions}.
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
  /**
   * How many of the newest matching rows to print first (200 when `--backfill` is not given, as
   * Codex's client); `all` prints every matching row.
   */
  backfill: number | 'all';
  /** Milliseconds between two looks for new rows (500 when `--poll-ms` is not given). */
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

/**
 * One flag of `logs_client` (and `agent-state logs`), described for a command-line parser: the
 * program that has the flags registers them with its own parser (`logs_client` and
 * `@agent-state/cli` use commander), and {@link resolveLogsClientOptions} validates what it parsed.
 *
 * @example
 * ```ts
 * const level: LogsClientFlagSpec = LOGS_CLIENT_FLAGS.find((flag) => flag.key === 'level')!;
 * level.flags; // '--level <level>'
 * level.repeatable; // true: each value is appended to a list
 * ```
 */
export interface LogsClientFlagSpec {
  /**
   * The flag as commander spells it: `--level <level>` (takes a value), `--threadless` (a
   * switch), `--no-follow` (a switch that sets `follow` to `false`).
   */
  readonly flags: string;
  /** The help line. */
  readonly description: string;
  /** Where the parsed value goes in {@link LogsClientFlags}. */
  readonly key: keyof LogsClientFlags;
  /** Repeatable: every value is kept, in order, in a list. */
  readonly repeatable?: boolean | undefined;
  /** The value when the flag is not given. */
  readonly defaultValue?: string | undefined;
  /** Accepted but not shown in the help (an alias). */
  readonly hidden?: boolean | undefined;
}

/**
 * Every flag of `logs_client` (and `agent-state logs`), in help order. Values are kept as given;
 * {@link resolveLogsClientOptions} validates them.
 *
 * @example
 * ```ts
 * import { Command, Option } from 'commander';
 *
 * const logs = new Command('logs');
 * for (const spec of LOGS_CLIENT_FLAGS) {
 *   const option = new Option(spec.flags, spec.description).hideHelp(spec.hidden === true);
 *   if (spec.repeatable) option.argParser((value: string, previous: string[] = []) => [...previous, value]);
 *   if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
 *   logs.addOption(option);
 * }
 * logs.parse(['--level', 'warn+', '--since', '10m'], { from: 'user' });
 * const options = resolveLogsClientOptions(logs.opts<LogsClientFlags>(), {
 *   env: process.env,
 *   clock: systemClock,
 *   stdout: process.stdout,
 * });
 * ```
 */
export const LOGS_CLIENT_FLAGS: readonly LogsClientFlagSpec[] = Object.freeze([
  {
    flags: '--codex-home <dir>',
    description: 'the home whose logs to read (default: $AGENT_STATE_HOME, $CODEX_HOME, ~/.codex)',
    key: 'codexHome',
  },
  {
    flags: '--db <file>',
    description: 'read this SQLite file (read-only) instead of the home’s log database',
    key: 'db',
  },
  {
    flags: '--source <which>',
    description:
      'the home’s log database to read when it has both: agent-state (agent_logs_1.sqlite, the default) or codex (logs_<N>.sqlite, state_<N>.sqlite)',
    key: 'source',
  },
  {
    flags: '--level <level>',
    description:
      'only this level: trace, debug, info, warn, error; warn+ for warn and above (repeatable, or comma-separated)',
    key: 'level',
    repeatable: true,
  },
  {
    flags: '--from <time>',
    description: 'rows at or after this time: RFC 3339 or unix seconds',
    key: 'from',
  },
  {
    flags: '--to <time>',
    description: 'rows at or before this time: RFC 3339 or unix seconds',
    key: 'to',
  },
  {
    flags: '--since <time>',
    description: 'like --from, also relative: 30s, 10m, 2h, 1d ago',
    key: 'since',
  },
  {
    flags: '--until <time>',
    description: 'like --to, also relative: 30s, 10m, 2h, 1d ago',
    key: 'until',
  },
  {
    flags: '--module <text>',
    description: 'module path contains <text> (repeatable: any of them)',
    key: 'module',
    repeatable: true,
  },
  {
    flags: '--file <text>',
    description: 'source file path contains <text> (repeatable: any of them)',
    key: 'file',
    repeatable: true,
  },
  {
    flags: '--thread-id <id>',
    description: 'rows of this thread (repeatable: any of them)',
    key: 'threadId',
    repeatable: true,
  },
  {
    flags: '--threadless',
    description: 'also rows without a thread (alone: only rows without a thread)',
    key: 'threadless',
  },
  {
    flags: '--grep <text>',
    description: 'message contains <text> (case-sensitive)',
    key: 'grep',
  },
  { flags: '--search <text>', description: 'same as --grep', key: 'search', hidden: true },
  {
    flags: '--backfill <n>',
    description: `print the newest <n> matching rows first, or all (default: ${DEFAULT_BACKFILL})`,
    key: 'backfill',
  },
  {
    flags: '--poll-ms <ms>',
    description: `look for new rows every <ms> milliseconds (default: ${DEFAULT_POLL_MS})`,
    key: 'pollMs',
  },
  {
    flags: '--no-follow',
    description: 'exit after printing the backfill instead of following',
    key: 'follow',
  },
  { flags: '--compact', description: 'print only the time, level and message', key: 'compact' },
  { flags: '--json', description: 'print one JSON object per row, one per line', key: 'json' },
  {
    flags: '--color <when>',
    description: 'color the output: auto (on a terminal without NO_COLOR), always, never',
    key: 'color',
    defaultValue: 'auto',
  },
] satisfies LogsClientFlagSpec[]);

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
