import { ErrorCode, InvalidArgumentError, type ThreadAnchor } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { formatThreadCursor, parseThreadCursor } from './thread-cursor.js';

const ID = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const HOME = '5b0f2c1e-9a4d-4e7b-8c3f-1d2e3f4a5b6c';
const TS = Date.UTC(2025, 2, 4, 9, 0, 0) / 1000; // 2025-03-04T09:00:00Z

describe('parseThreadCursor', () => {
  it('reads the RFC 3339 form', () => {
    const anchor: ThreadAnchor = parseThreadCursor(`2025-03-04T09:00:00Z|${ID}`);
    expect(anchor).toEqual({ ts: TS, id: ID });
  });

  it('reads the legacy file-name form as UTC (cursor_to_anchor_normalizes_timestamp_format)', () => {
    expect(parseThreadCursor(`2025-03-04T09-00-00|${ID}`)).toEqual({ ts: TS, id: ID });
    expect(parseThreadCursor(`2026-01-27T12-34-56|${ID}`)).toEqual({
      ts: Date.UTC(2026, 0, 27, 12, 34, 56) / 1000,
      id: ID,
    });
  });

  it('accepts fractions and offsets, dropping the fraction', () => {
    expect(parseThreadCursor(`2025-03-04T09:00:00.999Z|${ID}`)).toEqual({ ts: TS, id: ID });
    expect(parseThreadCursor(`2025-03-04T10:30:00+01:30|${ID}`)).toEqual({ ts: TS, id: ID });
    expect(parseThreadCursor(`2025-03-04T07:00:00-02:00|${ID}`)).toEqual({ ts: TS, id: ID });
  });

  it('lowercases the id', () => {
    expect(parseThreadCursor(`2025-03-04T09:00:00Z|${ID.toUpperCase()}`).id).toBe(ID);
  });

  it('reads the home id a listing across homes adds', () => {
    expect(parseThreadCursor(`2025-03-04T09:00:00Z|${ID}|${HOME.toUpperCase()}`)).toEqual({
      ts: TS,
      id: ID,
      homeId: HOME,
    });
  });

  it.each([
    ['empty', ''],
    ['no separator', `2025-03-04T09:00:00Z ${ID}`],
    ['no time', `|${ID}`],
    ['no id', '2025-03-04T09:00:00Z|'],
    ['id not a UUID', '2025-03-04T09:00:00Z|not-a-uuid'],
    ['a home id not a UUID', `2025-03-04T09:00:00Z|${ID}|x`],
    ['three separators', `2025-03-04T09:00:00Z|${ID}|${HOME}|x`],
    ['id first', `${ID}|2025-03-04T09:00:00Z`],
    ['date only', `2025-03-04|${ID}`],
    ['no zone', `2025-03-04T09:00:00|${ID}`],
    ['Feb 30', `2025-02-30T09:00:00Z|${ID}`],
    ['hour 24', `2025-03-04T24:00:00Z|${ID}`],
    ['minute 60 in the file-name form', `2025-03-04T09-60-00|${ID}`],
    ['month 13', `2025-13-04T09-00-00|${ID}`],
    ['mixed separators', `2025-03-04T09-00:00Z|${ID}`],
    ['unix seconds', `${TS}|${ID}`],
  ])('rejects %s with an InvalidArgumentError naming the cursor', (_label, token) => {
    let thrown: unknown;
    try {
      parseThreadCursor(token);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe('cursor');
    expect((thrown as InvalidArgumentError).code).toBe(ErrorCode.InvalidArgument);
  });
});

describe('formatThreadCursor', () => {
  it('writes RFC 3339 with whole seconds and the id', () => {
    expect(formatThreadCursor({ ts: TS, id: ID })).toBe(`2025-03-04T09:00:00Z|${ID}`);
  });

  it('round-trips through parseThreadCursor', () => {
    for (const ts of [0, TS, 1_795_239_845, 4_102_444_799]) {
      for (const anchor of [
        { ts, id: ID },
        { ts, id: ID, homeId: HOME },
      ]) {
        expect(parseThreadCursor(formatThreadCursor(anchor))).toEqual(anchor);
      }
    }
    expect(formatThreadCursor({ ts: TS, id: ID, homeId: HOME })).toBe(
      `2025-03-04T09:00:00Z|${ID}|${HOME}`,
    );
  });

  it('rejects fractional seconds, a bad id and times out of range', () => {
    expect(() => formatThreadCursor({ ts: 1.5, id: ID })).toThrow(InvalidArgumentError);
    expect(() => formatThreadCursor({ ts: TS, id: 'x' })).toThrow(InvalidArgumentError);
    expect(() => formatThreadCursor({ ts: TS, id: ID, homeId: 'x' })).toThrow(InvalidArgumentError);
    expect(() => formatThreadCursor({ ts: 9e12, id: ID })).toThrow(InvalidArgumentError);
    expect(() => formatThreadCursor({ ts: 1e12, id: ID })).toThrow(InvalidArgumentError);
  });
});
