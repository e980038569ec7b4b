import { join } from 'node:path';

import { InvalidArgumentError, ManualClock } from '@agent-state/state';
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';

import { addLogsClientFlags } from './commander-flags.js';
import { parseLevelFilter } from './levels.js';
import {
  DEFAULT_BACKFILL,
  DEFAULT_POLL_MS,
  LOGS_CLIENT_FLAGS,
  type LogsClientFlags,
  type ResolveOptionsContext,
  resolveLogsClientOptions,
} from './options.js';
import { runClient } from './test-support/harness.js';

const T = 1_795_241_524;
const context = (more: Partial<ResolveOptionsContext> = {}): ResolveOptionsContext => ({
  env: {},
  clock: new ManualClock(T * 1000),
  stdout: { isTTY: false },
  cwd: '/home/me/src',
  ...more,
});

/** Parses `args` with the registered options, then resolves them. */
function resolveArgs(args: string[], more: Partial<ResolveOptionsContext> = {}) {
  const command = addLogsClientFlags(new Command('logs')).exitOverride();
  command.parse(args, { from: 'user' });
  return resolveLogsClientOptions(command.opts<LogsClientFlags>(), context(more));
}

describe('parseLevelFilter', () => {
  it.each([
    [['error'], ['ERROR']],
    [['WARN'], ['WARN']],
    [['Info'], ['INFO']],
    [['warn+'], ['WARN', 'ERROR']],
    [['trace+'], ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']],
    [['error+'], ['ERROR']],
    [['debug,error'], ['DEBUG', 'ERROR']],
    [
      ['error', 'debug'],
      ['DEBUG', 'ERROR'],
    ],
    [
      ['info', 'warn+', 'error'],
      ['INFO', 'WARN', 'ERROR'],
    ],
    [[' warn + '], ['WARN', 'ERROR']],
    [[], []],
  ])('reads %j as %j', (values, expected) => {
    expect(parseLevelFilter(values)).toEqual(expected);
  });

  it.each([['fatal'], [''], ['warn,'], ['+'], ['warning'], ['warn++']])(
    'rejects %j naming --level',
    (value) => {
      expect(() => parseLevelFilter([value])).toThrow(InvalidArgumentError);
      expect(() => parseLevelFilter([value])).toThrow(/^invalid --level: expected trace, debug/);
    },
  );
});

describe('LOGS_CLIENT_FLAGS', () => {
  it('names, for each flag, the key a parser stores its value under', () => {
    for (const spec of LOGS_CLIENT_FLAGS) {
      expect(new Option(spec.flags).attributeName(), spec.flags).toBe(spec.key);
    }
    expect(new Set(LOGS_CLIENT_FLAGS.map((spec) => spec.key)).size).toBe(LOGS_CLIENT_FLAGS.length);
  });
});

describe('resolveLogsClientOptions', () => {
  it('has the defaults of Codex’s client', () => {
    expect(resolveArgs([], { env: { CODEX_HOME: '/codex' } })).toEqual({
      source: { kind: 'home', home: '/codex' },
      query: {},
      backfill: DEFAULT_BACKFILL,
      pollMs: DEFAULT_POLL_MS,
      follow: true,
      format: 'normal',
      color: false,
    });
    expect(DEFAULT_BACKFILL).toBe(200);
    expect(DEFAULT_POLL_MS).toBe(500);
  });

  it('turns every filter into the query', () => {
    const options = resolveArgs([
      '--level',
      'warn+',
      '--from',
      '2026-11-21T06:12:04Z',
      '--to',
      String(T + 60),
      '--module',
      'codex_core',
      '--module',
      '',
      '--module',
      'codex_otel',
      '--file',
      'core/src',
      '--thread-id',
      'a',
      '--thread-id',
      '',
      '--thread-id',
      'b',
      '--threadless',
      '--grep',
      'apply_patch',
    ]);
    expect(options.query).toEqual({
      levels: ['WARN', 'ERROR'],
      from: T,
      to: T + 60,
      modules: ['codex_core', 'codex_otel'],
      files: ['core/src'],
      threadIds: ['a', 'b'],
      includeThreadless: true,
      search: 'apply_patch',
    });
  });

  it('drops empty --module, --file and --thread-id values, as Codex’s client does', () => {
    const options = resolveArgs(['--module', '', '--file', ' ', '--thread-id', '']);
    expect(options.query).toEqual({});
  });

  it('counts --since and --until back from the clock', () => {
    const options = resolveArgs(['--since', '10m', '--until', '1m']);
    expect(options.query).toEqual({ from: T - 600, to: T - 60 });
  });

  it('accepts --search, Codex’s name of --grep', () => {
    expect(resolveArgs(['--search', 'x']).query).toEqual({ search: 'x' });
  });

  it('reads --db as the exact file, relative to the working directory', () => {
    expect(resolveArgs(['--db', 'logs.sqlite']).source).toEqual({
      kind: 'db',
      path: join('/home/me/src', 'logs.sqlite'),
    });
    expect(resolveArgs(['--db', '/x/y.sqlite', '--codex-home', '/h']).source).toEqual({
      kind: 'db',
      path: '/x/y.sqlite',
    });
  });

  it('finds the home in --codex-home, else the caller’s home, else $AGENT_STATE_HOME, else $CODEX_HOME', () => {
    const env = { AGENT_STATE_HOME: '/agent', CODEX_HOME: '/codex' };
    expect(resolveArgs(['--codex-home', 'h'], { env, home: '/cli' }).source).toEqual({
      kind: 'home',
      home: join('/home/me/src', 'h'),
    });
    expect(resolveArgs([], { env, home: '/cli' }).source).toEqual({ kind: 'home', home: '/cli' });
    expect(resolveArgs([], { env }).source).toEqual({ kind: 'home', home: '/agent' });
    expect(resolveArgs([], { env: { CODEX_HOME: '/codex' } }).source).toEqual({
      kind: 'home',
      home: '/codex',
    });
  });

  it.each([
    [['--backfill', '0'], 0],
    [['--backfill', '5000'], 5000],
    [['--backfill', 'all'], 'all'],
    [['--backfill', 'ALL'], 'all'],
  ])('reads %j', (args, backfill) => {
    expect(resolveArgs(args).backfill).toBe(backfill);
  });

  it('reads --source, agent-state or codex (any case), for a home only', () => {
    expect(resolveArgs(['--codex-home', '/h', '--source', 'codex']).source).toEqual({
      kind: 'home',
      home: '/h',
      database: 'codex',
    });
    expect(resolveArgs(['--codex-home', '/h', '--source', 'Agent-State']).source).toEqual({
      kind: 'home',
      home: '/h',
      database: 'agent-state',
    });
    expect(resolveArgs(['--codex-home', '/h']).source).toEqual({ kind: 'home', home: '/h' });
  });

  it('reads --poll-ms, --no-follow, --compact and --json', () => {
    expect(resolveArgs(['--poll-ms', '25', '--no-follow'])).toMatchObject({
      pollMs: 25,
      follow: false,
    });
    expect(resolveArgs(['--compact']).format).toBe('compact');
    expect(resolveArgs(['--json']).format).toBe('json');
  });

  it.each([
    [[], false, {}, false],
    [[], true, {}, true],
    [[], true, { NO_COLOR: '1' }, false],
    [[], true, { NO_COLOR: '' }, true],
    [['--color', 'auto'], true, {}, true],
    [['--color', 'always'], false, { NO_COLOR: '1' }, true],
    [['--color', 'never'], true, {}, false],
    [['--json', '--color', 'always'], true, {}, false],
  ])('colors %j on a TTY: %s, env %j → %s', (args, isTTY, env, color) => {
    expect(resolveArgs(args, { stdout: { isTTY }, env }).color).toBe(color);
  });
});

describe('bad arguments', () => {
  it.each([
    [['--level', 'fatal'], '--level'],
    [['--level', 'warn,'], '--level'],
    [['--from', 'yesterday'], '--from'],
    [['--from', '10m'], '--from'],
    [['--to', '2026-02-30T00:00:00Z'], '--to'],
    [['--since', 'last week'], '--since'],
    [['--until', '10 minutes'], '--until'],
    [['--from', '1', '--since', '1'], '--since'],
    [['--to', '1', '--until', '1'], '--until'],
    [['--from', '20', '--to', '10'], '--from'],
    [['--since', '1m', '--until', '10m'], '--since'],
    [['--backfill', '-1'], '--backfill'],
    [['--backfill', 'lots'], '--backfill'],
    [['--backfill', '1.5'], '--backfill'],
    [['--poll-ms', '0'], '--poll-ms'],
    [['--poll-ms', 'fast'], '--poll-ms'],
    [['--poll-ms', '9999999999'], '--poll-ms'],
    [['--color', 'sometimes'], '--color'],
    [['--source', 'claude'], '--source'],
    [['--source', ''], '--source'],
    [['--source'], '--source'],
    [['--source', 'codex', '--db', 'x.sqlite'], '--source'],
    [['--json', '--color', 'sometimes'], '--color'],
    [['--compact', '--json'], '--compact'],
    [['--grep', ''], '--grep'],
    [['--grep', 'a', '--search', 'b'], '--grep'],
    [['--db', ''], '--db'],
    [['--codex-home', ''], '--codex-home'],
    [['--level'], '--level'],
    [['--db'], '--db'],
    [['--poll'], '--poll'],
    [['--thread', 'x'], '--thread'],
  ])('%j exits 2 with one line naming %s', async (args, flag) => {
    const run = await runClient(args, { env: { CODEX_HOME: '/nonexistent' } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith('logs_client: ')).toBe(true);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(flag);
  });

  it('names an unexpected argument', async () => {
    const run = await runClient(['warn']);
    expect(run).toEqual({
      exitCode: 2,
      stdout: '',
      stderr:
        'logs_client: too many arguments. Expected 0 arguments but got 1. (see `logs_client --help`)\n',
    });
  });

  it('prints the help with examples on stdout and exits 0', async () => {
    const run = await runClient(['--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Usage: logs_client [options]');
    for (const flag of [
      '--codex-home',
      '--db',
      '--level',
      '--from',
      '--to',
      '--since',
      '--until',
      '--module',
      '--file',
      '--thread-id',
      '--threadless',
      '--backfill',
      '--poll-ms',
      '--compact',
      '--no-follow',
      '--grep',
      '--json',
      '--color',
      '--source',
    ]) {
      expect(run.stdout).toContain(`  ${flag} `);
    }
    expect(run.stdout).toContain('$ logs_client --codex-home ~/.codex --level warn+ --since 10m');
    expect(run.stdout).toContain(
      '$ logs_client --codex-home ~/.codex --source codex --level warn+',
    );
  });
});
