import { InvalidArgumentError, ManualClock } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { parseDurationArgument, parseTimeArgument } from './time.js';

// 2026-11-21T06:12:04Z, the first row of the Codex 0.100.0 fixture.
const T = 1_795_241_524;

describe('parseTimeArgument', () => {
  it.each([
    ['1795241524', T],
    ['+1795241524', T],
    ['0', 0],
    ['-86400', -86_400],
    [' 1795241524 ', T],
    ['2026-11-21T06:12:04Z', T],
    ['2026-11-21T06:12:04.999999999Z', T], // sub-seconds dropped, not rounded
    ['2026-11-21T06:12:04.552z', T],
    ['2026-11-21t06:12:04Z', T],
    ['2026-11-21 06:12:04Z', T],
    ['2026-11-21T07:12:04+01:00', T],
    ['2026-11-21T01:42:04-04:30', T],
    ['2026-11-21T06:12:04+00:00', T],
    ['2026-11-21T06:12:04-00:00', T],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59Z', -1],
    ['0001-01-01T00:00:00Z', -62_135_596_800],
    ['2024-02-29T00:00:00Z', 1_709_164_800],
    ['2016-12-31T23:59:60Z', 1_483_228_799], // a leap second counts as the second before
  ])('reads %j as %d (RFC 3339 or unix seconds)', (value, expected) => {
    expect(parseTimeArgument(value, { flag: '--from' })).toBe(expected);
  });

  it.each([
    ['30s', T - 30],
    ['10m', T - 600],
    ['2h', T - 7200],
    ['1d', T - 86_400],
    ['1w', T - 604_800],
    ['1h30m', T - 5400],
    ['-10m', T - 600],
    ['0s', T],
    ['now', T],
    ['NOW', T],
    ['1795241000', 1_795_241_000], // absolute values are still absolute
    ['2026-11-21T06:00:00Z', T - 724],
  ])('reads the relative %j as %d with a clock', (value, expected) => {
    // Milliseconds past the second are dropped: now is the current unix second.
    const clock = new ManualClock(T * 1000 + 999);
    expect(parseTimeArgument(value, { flag: '--since', clock })).toBe(expected);
  });

  it.each([
    [''],
    ['yesterday'],
    ['10x'],
    ['1.5'],
    ['1e9'],
    ['2026-11-21'],
    ['2026-11-21T06:12Z'],
    ['2026-11-21T06:12:04'],
    ['2026-11-21T06:12:04+0100'],
    ['2026-13-01T00:00:00Z'],
    ['2026-00-01T00:00:00Z'],
    ['2026-02-29T00:00:00Z'],
    ['2026-04-31T00:00:00Z'],
    ['2026-11-21T24:00:00Z'],
    ['2026-11-21T06:60:00Z'],
    ['2026-11-21T06:12:61Z'],
    ['2026-11-21T06:12:04+24:00'],
    ['99999999999999999999'],
  ])('rejects %j naming the flag', (value) => {
    const parse = () => parseTimeArgument(value, { flag: '--to' });
    expect(parse).toThrow(InvalidArgumentError);
    expect(parse).toThrow(/^invalid --to: /);
  });

  it('accepts relative times only with a clock', () => {
    expect(() => parseTimeArgument('10m', { flag: '--from' })).toThrow(
      'invalid --from: expected RFC 3339 (2026-11-21T06:12:04Z) or unix seconds, got "10m"',
    );
    expect(() => parseTimeArgument('now', { flag: '--from' })).toThrow(/^invalid --from: /);
  });

  it.each([['m10'], ['10 m'], ['10mm'], ['1y'], ['--10m'], ['99999999999999999999d']])(
    'rejects the relative time %j',
    (value) => {
      const clock = new ManualClock(T * 1000);
      expect(() => parseTimeArgument(value, { flag: '--since', clock })).toThrow(
        /^invalid --since: /,
      );
    },
  );

  it('reads a bare number as unix seconds even where relative times are accepted', () => {
    const clock = new ManualClock(T * 1000);
    expect(parseTimeArgument('10', { flag: '--since', clock })).toBe(10);
  });
});

describe('parseDurationArgument', () => {
  it('reads a whole number and a unit, or several', () => {
    expect(parseDurationArgument('45s', { flag: '--x' })).toBe(45);
    expect(parseDurationArgument('7d', { flag: '--x' })).toBe(604_800);
    expect(parseDurationArgument('1h30m', { flag: '--x' })).toBe(5400);
    expect(parseDurationArgument('0d', { flag: '--x' })).toBe(0);
  });

  it('refuses anything else, naming the flag', () => {
    for (const bad of ['7', '7 days', '-1d', 'd', '', '1.5h']) {
      expect(() => parseDurationArgument(bad, { flag: '--compress-after' })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => parseDurationArgument('soon', { flag: '--compress-after' })).toThrow(
      /^invalid --compress-after: expected a duration/,
    );
  });
});
