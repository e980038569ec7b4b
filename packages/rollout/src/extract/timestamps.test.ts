import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { parseThreadCursor } from '../listing/thread-cursor.js';
import { extractRolloutMetadata } from './extract-rollout.js';
import { parseRolloutTimestamp } from './timestamps.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';

/** Unix seconds of a valid UTC time, for expectations (years 100 and later only). */
function utc(iso: string): number {
  return Date.parse(iso) / 1000;
}

describe('parseRolloutTimestamp', () => {
  it('reads RFC 3339 (any fraction, Z or an offset) and the file-name form, to whole seconds', () => {
    expect(parseRolloutTimestamp('2026-11-21T05:44:05.123Z')).toBe(utc('2026-11-21T05:44:05Z'));
    expect(parseRolloutTimestamp('2026-11-21T05:44:05.123456789Z')).toBe(
      utc('2026-11-21T05:44:05Z'),
    );
    expect(parseRolloutTimestamp('2026-11-21T06:44:05+01:00')).toBe(utc('2026-11-21T05:44:05Z'));
    expect(parseRolloutTimestamp('2026-11-20T23:14:05-06:30')).toBe(utc('2026-11-21T05:44:05Z'));
    expect(parseRolloutTimestamp('2026-11-21t05:44:05z')).toBe(utc('2026-11-21T05:44:05Z'));
    // chrono's parse_from_rfc3339 (Codex's session_meta parser) takes a space as the separator.
    expect(parseRolloutTimestamp('2026-11-21 05:44:05Z')).toBe(utc('2026-11-21T05:44:05Z'));
    expect(parseRolloutTimestamp('2026-11-21T05-44-05')).toBe(1_795_239_845);
    // Before 1970, a fraction still rounds toward the start of its second.
    expect(parseRolloutTimestamp('1969-12-31T23:59:59.5Z')).toBe(-1);
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseRolloutTimestamp('2024-02-29T00:00:00Z')).toBe(utc('2024-02-29T00:00:00Z'));
    expect(parseRolloutTimestamp('2000-02-29T00-00-00')).toBe(utc('2000-02-29T00:00:00Z'));
    expect(parseRolloutTimestamp('2025-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRolloutTimestamp('1900-02-29T00-00-00')).toBeUndefined();
  });

  it.each([
    ['30 February (Date.parse reads 2 March)', '2026-02-30T00:00:00Z'],
    ['31 April', '2026-04-31T12:00:00.000Z'],
    ['31 June in the file-name form', '2026-06-31T12-00-00'],
    ['day 0', '2026-01-00T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['month 13', '2026-13-01T00-00-00'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['second 60 (a leap second)', '2026-01-01T23:59:60Z'],
    ['offset hour 24', '2026-01-01T00:00:00+24:00'],
    ['offset minute 60', '2026-01-01T00:00:00+01:60'],
    ['no zone', '2026-01-01T00:00:00'],
    ['empty fraction', '2026-01-01T00:00:00.Z'],
    ['3-digit year', '999-01-01T00:00:00Z'],
    ['5-digit year', '12026-01-01T00:00:00Z'],
    ['signed year', '+2026-01-01T00:00:00Z'],
    ['1-digit month', '2026-1-01T00:00:00Z'],
    ['mixed forms', '2026-01-01T00-00:00Z'],
    ['date only', '2026-01-01'],
    ['trailing text', '2026-01-01T00:00:00Zjunk'],
    ['unix seconds', '1795239845'],
    ['empty', ''],
  ])('refuses %s', (_label, value) => {
    expect(parseRolloutTimestamp(value)).toBeUndefined();
  });

  it('reads 4-digit years below 100 as such, not as 1900–1999', () => {
    const year99 = new Date(0);
    year99.setUTCFullYear(99, 0, 1); // unlike Date.UTC, setUTCFullYear keeps years below 100
    const seconds = year99.getTime() / 1000;
    expect(seconds).toBeLessThan(utc('0100-01-01T00:00:00Z'));
    expect(parseRolloutTimestamp('0099-01-01T00-00-00')).toBe(seconds);
    expect(parseRolloutTimestamp('0099-01-01T00:00:00Z')).toBe(seconds);
    expect(parseRolloutTimestamp('0000-01-01T00:00:00Z')).toBe(-62_167_219_200);
    expect(parseRolloutTimestamp('9999-12-31T23:59:59Z')).toBe(253_402_300_799);
  });

  it('is the parser of listing cursors, so both accept and refuse the same times', () => {
    for (const time of ['2026-02-30T00:00:00Z', '2026-02-28T24:00:00Z', '0099-01-01T00-00-00']) {
      const parsed = parseRolloutTimestamp(time);
      if (parsed === undefined) expect(() => parseThreadCursor(`${time}|${ID}`)).toThrow();
      else expect(parseThreadCursor(`${time}|${ID}`)).toEqual({ ts: parsed, id: ID });
    }
  });
});

describe('a rollout whose session_meta time is not a calendar date', () => {
  it('takes its creation time from the file name, as Codex does when chrono refuses the time', () => {
    const path = join(temp.make('home'), `rollout-2026-02-27T10-00-00-${ID}.jsonl`);
    writeFileSync(
      path,
      `${JSON.stringify({
        timestamp: '2026-02-27T10:00:00.000Z',
        type: 'session_meta',
        payload: {
          id: ID,
          timestamp: '2026-02-30T10:00:00.000Z',
          cwd: '/w',
          originator: 'codex_exec',
          cli_version: '0.100.0',
          source: 'exec',
          model_provider: 'mock',
          base_instructions: null,
        },
      })}\n`,
    );
    const { metadata } = extractRolloutMetadata(path, { defaultProvider: 'openai' });
    expect(metadata.createdAt).toBe(utc('2026-02-27T10:00:00Z'));
    expect(metadata).toMatchObject({ id: ID, cwd: '/w', modelProvider: 'mock' });
  });
});
