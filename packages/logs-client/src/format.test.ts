import type { LogRow } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { formatLogRow, formatLogTime, toJsonLogRow } from './format.js';
import { originalFixtureDb, runClient } from './test-support/harness.js';

/** Row 1 of the Codex 0.100.0 fixture. */
const ROW: LogRow = {
  id: 1,
  ts: 1795241524,
  tsNanos: 552220384,
  level: 'INFO',
  target: 'codex_core::models_manager::manager',
  message: 'models cache: evaluating cache eligibility',
  modulePath: 'codex_core::models_manager::manager',
  file: 'core/src/models_manager/manager.rs',
  line: 291,
  threadId: null,
  processUuid: null,
};

const THREADED: LogRow = {
  ...ROW,
  id: 36,
  ts: 1795241530,
  tsNanos: 834439044,
  level: 'DEBUG',
  target: 'codex_core::codex',
  message: 'Submission',
  threadId: '01a1fcbb-d5bd-7c10-8f82-4bc10bb44c66',
  processUuid: 'pid:24267:80085631-1d6b-4a30-9c37-d7deeb7d9c0c',
};

const ESC = '\x1b';

describe('formatLogTime', () => {
  it.each([
    [1795241524, 552220384, 'milliseconds', '2026-11-21T06:12:04.552Z'],
    [1795241524, 552220384, 'nanoseconds', '2026-11-21T06:12:04.552220384Z'],
    [1795241524, 552220384, 'time-of-day', '06:12:04'],
    [1795241524, 999999999, 'milliseconds', '2026-11-21T06:12:04.999Z'], // truncated
    [1795241524, 0, 'milliseconds', '2026-11-21T06:12:04.000Z'],
    [1795241524, 5, 'nanoseconds', '2026-11-21T06:12:04.000000005Z'],
    [0, 0, 'milliseconds', '1970-01-01T00:00:00.000Z'],
    [-1, 500_000_000, 'milliseconds', '1969-12-31T23:59:59.500Z'],
    [253402300799, 0, 'milliseconds', '9999-12-31T23:59:59.000Z'],
    [-2, -1, 'milliseconds', '1969-12-31T23:59:58.000Z'], // negative nanos: 0, as Codex
  ] as const)('formats %d s %d ns (%s) as %s', (ts, nanos, precision, expected) => {
    expect(formatLogTime(ts, nanos, precision)).toBe(expected);
  });

  it.each([
    [253402300800, 0, '253402300800.000000000Z'],
    [-62167219201, 7, '-62167219201.000000007Z'],
    [1795241524, 1_000_000_000, '1795241524.1000000000Z'],
  ])('falls back to <ts>.<nanos>Z for %d s %d ns, as Codex', (ts, nanos, expected) => {
    expect(formatLogTime(ts, nanos, 'milliseconds')).toBe(expected);
  });
});

describe('formatLogRow without colors', () => {
  it('prints "{ts} {level} [{thread}] {target} - {message}"', () => {
    expect(formatLogRow(ROW, { format: 'normal', color: false })).toBe(
      '2026-11-21T06:12:04.552Z INFO  [-] codex_core::models_manager::manager - models cache: evaluating cache eligibility',
    );
    expect(formatLogRow(THREADED, { format: 'normal', color: false })).toBe(
      '2026-11-21T06:12:10.834Z DEBUG [01a1fcbb-d5bd-7c10-8f82-4bc10bb44c66] codex_core::codex - Submission',
    );
  });

  it('pads the level to 5 and prints a missing message as ""', () => {
    for (const level of ['WARN', 'INFO', 'ERROR', 'TRACE', 'X']) {
      const line = formatLogRow(
        { ...ROW, level, message: null },
        { format: 'normal', color: false },
      );
      expect(line).toBe(
        `2026-11-21T06:12:04.552Z ${level.padEnd(5)} [-] codex_core::models_manager::manager - `,
      );
    }
  });

  it('prints compact "{HH:MM:SS} {level} {message}"', () => {
    expect(formatLogRow(ROW, { format: 'compact', color: false })).toBe(
      '06:12:04 INFO  models cache: evaluating cache eligibility',
    );
    expect(formatLogRow({ ...ROW, message: null }, { format: 'compact', color: false })).toBe(
      '06:12:04 INFO  ',
    );
  });

  it('keeps a multi-line message as logged', () => {
    const line = formatLogRow({ ...ROW, message: 'a\nb' }, { format: 'compact', color: false });
    expect(line).toBe('06:12:04 INFO  a\nb');
  });

  it('prints one JSON object with the snake_case columns and nanosecond times', () => {
    const line = formatLogRow(THREADED, { format: 'json', color: true });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      id: 36,
      ts: '2026-11-21T06:12:10.834439044Z',
      level: 'DEBUG',
      target: 'codex_core::codex',
      message: 'Submission',
      module_path: 'codex_core::models_manager::manager',
      file: 'core/src/models_manager/manager.rs',
      line: 291,
      thread_id: '01a1fcbb-d5bd-7c10-8f82-4bc10bb44c66',
      process_uuid: 'pid:24267:80085631-1d6b-4a30-9c37-d7deeb7d9c0c',
    });
    expect(Object.keys(toJsonLogRow(ROW))).toEqual([
      'id',
      'ts',
      'level',
      'target',
      'message',
      'module_path',
      'file',
      'line',
      'thread_id',
      'process_uuid',
    ]);
    expect(toJsonLogRow({ ...ROW, message: null, line: null }).message).toBeNull();
  });

  it('escapes newlines and control characters in JSON, keeping one row per line', () => {
    const line = formatLogRow(
      { ...ROW, message: 'a\nb\u001b[31m' },
      { format: 'json', color: false },
    );
    expect(line).toContain('"message":"a\\nb\\u001b[31m"');
  });
});

describe('formatLogRow with colors', () => {
  it('uses Codex’s escapes: dim time and target, bold colored level, dim blue thread, bold message', () => {
    expect(formatLogRow(THREADED, { format: 'normal', color: true })).toBe(
      `${ESC}[2m2026-11-21T06:12:10.834Z${ESC}[0m ` +
        `${ESC}[1m${ESC}[34mDEBUG${ESC}[39m${ESC}[0m ` +
        `[${ESC}[2m${ESC}[34m01a1fcbb-d5bd-7c10-8f82-4bc10bb44c66${ESC}[39m${ESC}[0m] ` +
        `${ESC}[2mcodex_core::codex${ESC}[0m - ${ESC}[1mSubmission${ESC}[0m`,
    );
  });

  it.each([
    ['ERROR', 31],
    ['WARN', 33],
    ['INFO', 32],
    ['DEBUG', 34],
    ['TRACE', 35],
    ['warn', 33],
  ])('colors %s with %d', (level, code) => {
    const line = formatLogRow({ ...ROW, level }, { format: 'compact', color: true });
    expect(line).toBe(
      `${ESC}[2m06:12:04${ESC}[0m ${ESC}[1m${ESC}[${code}m${level.padEnd(5)}${ESC}[39m${ESC}[0m ` +
        `${ESC}[1mmodels cache: evaluating cache eligibility${ESC}[0m`,
    );
  });

  it('makes an unknown level bold only', () => {
    const line = formatLogRow({ ...ROW, level: 'FATAL' }, { format: 'compact', color: true });
    expect(line).toContain(`${ESC}[1mFATAL${ESC}[0m`);
  });

  it('colors the diff of an apply_patch call: + green, - red, the rest bold', () => {
    const message = 'ToolCall: apply_patch {"input":"x"}\n+added\n-removed\n context';
    const line = formatLogRow({ ...ROW, message }, { format: 'compact', color: true });
    expect(line.split('\n').slice(1)).toEqual([
      `${ESC}[1m${ESC}[32m+added${ESC}[39m${ESC}[0m`,
      `${ESC}[1m${ESC}[31m-removed${ESC}[39m${ESC}[0m`,
      `${ESC}[1m context${ESC}[0m`,
    ]);
    expect(line.split('\n')[0]).toContain(`${ESC}[1mToolCall: apply_patch {"input":"x"}${ESC}[0m`);
  });

  it('leaves other diffs and every message alone without colors', () => {
    const message = 'ToolCall: apply_patch\n+added\n-removed';
    expect(formatLogRow({ ...ROW, message }, { format: 'compact', color: false })).toBe(
      `06:12:04 INFO  ${message}`,
    );
    const other = formatLogRow({ ...ROW, message: 'a\n+b' }, { format: 'compact', color: true });
    expect(other).toBe(
      `${ESC}[2m06:12:04${ESC}[0m ${ESC}[1m${ESC}[32mINFO ${ESC}[39m${ESC}[0m ${ESC}[1ma\n+b${ESC}[0m`,
    );
  });
});

describe('colors of a run', () => {
  const db = originalFixtureDb('v0.100.0');
  const args = ['--db', db, '--no-follow', '--backfill', '5'];

  it.each([
    ['a terminal', [], true, {}, true],
    ['a pipe', [], false, {}, false],
    ['a terminal with NO_COLOR', [], true, { NO_COLOR: '1' }, false],
    ['a pipe with --color always', ['--color', 'always'], false, {}, true],
    ['a terminal with --color never', ['--color', 'never'], true, {}, false],
    ['a terminal with --json', ['--json'], true, {}, false],
  ] as const)('on %s', async (_where, more, tty, env, colored) => {
    const run = await runClient([...args, ...more], { tty, env });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(5);
    expect(run.stdout.includes(ESC)).toBe(colored);
  });
});
