import { describe, expect, it } from 'vitest';

import {
  HeadTailCollector,
  charStartAtOrAfter,
  charStartAtOrBefore,
  truncateMiddleUtf8,
} from './truncate-utf8.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
/** True when `text` survived a UTF-8 round trip without replacement characters being invented. */
const wellFormed = (text: string) => !text.includes('\uFFFD');

describe('truncateMiddleUtf8', () => {
  it('returns text within the budget unchanged', () => {
    expect(truncateMiddleUtf8('hello', { maxBytes: 5, marker: '…' })).toEqual({
      text: 'hello',
      truncated: false,
      omittedBytes: 0,
    });
  });

  it('keeps head and tail around the marker, budget included', () => {
    const result = truncateMiddleUtf8('a'.repeat(50) + 'z'.repeat(50), {
      maxBytes: 30,
      marker: '[cut]',
    });
    expect(result.truncated).toBe(true);
    expect(result.text).toBe(`${'a'.repeat(12)}[cut]${'z'.repeat(13)}`);
    expect(bytes(result.text)).toBe(30);
    expect(result.omittedBytes).toBe(75);
  });

  it('gives the head its share of the budget', () => {
    const result = truncateMiddleUtf8('h'.repeat(100) + 't'.repeat(100), {
      maxBytes: 64,
      marker: '----',
      headShare: 1 / 3,
    });
    expect(result.text).toBe(`${'h'.repeat(20)}----${'t'.repeat(40)}`);
  });

  it('never splits a character, whatever the budget', () => {
    const text = 'ab€😀ü'.repeat(40) + 'Übersetze 日本語 😀'.repeat(40);
    for (let maxBytes = 4; maxBytes < bytes(text) + 2; maxBytes += 1) {
      const { text: out, truncated } = truncateMiddleUtf8(text, { maxBytes, marker: '|' });
      expect(bytes(out)).toBeLessThanOrEqual(maxBytes);
      expect(wellFormed(out)).toBe(true);
      expect(truncated).toBe(bytes(text) > maxBytes);
      if (truncated) expect(out).toContain('|');
    }
  });

  it('keeps the start and the end of a long text (reference shape: 1 MB budget)', () => {
    const text = 'a'.repeat(700_000) + 'middle' + 'z'.repeat(700_000);
    const marker = '\n[truncated]\n';
    const { text: out } = truncateMiddleUtf8(text, {
      maxBytes: 1_000_000,
      marker,
      headShare: 1 / 3,
    });
    expect(out.startsWith('a')).toBe(true);
    expect(out.endsWith('z')).toBe(true);
    expect(out).toContain(marker);
    expect(out).not.toContain('middle');
    expect(bytes(out)).toBeLessThanOrEqual(1_000_000);
  });

  it('refuses a budget that cannot hold the marker', () => {
    expect(() => truncateMiddleUtf8('abc', { maxBytes: 3, marker: '[cut]' })).toThrow(RangeError);
    expect(() => truncateMiddleUtf8('abc', { maxBytes: 10, marker: '-', headShare: 2 })).toThrow(
      RangeError,
    );
  });
});

describe('HeadTailCollector', () => {
  it('gives the same result pushed piece by piece as in one go', () => {
    const text = Array.from({ length: 500 }, (_, i) => `item ${i} €😀\n`).join('');
    for (const maxBytes of [40, 333, 1_000, bytes(text), bytes(text) + 10]) {
      const options = { maxBytes, marker: '[...]', headShare: 1 / 3 };
      const collector = new HeadTailCollector(options);
      // Chunks of varying size, cut anywhere (even inside a character's UTF-16 pair is avoided
      // by Array.from: pieces are whole code points).
      const chars = Array.from(text);
      for (let i = 0, step = 1; i < chars.length; i += step, step = (step % 17) + 1) {
        collector.push(chars.slice(i, i + step).join(''));
      }
      expect(collector.totalBytes).toBe(bytes(text));
      expect(collector.finish()).toEqual(truncateMiddleUtf8(text, options));
    }
  });

  it('joins a character split between head and tail when nothing is cut', () => {
    const collector = new HeadTailCollector({ maxBytes: 20, marker: '[...]' });
    collector.push('abcdefg€€'); // head limit 7: the first € lands in the tail buffer whole
    collector.push('x');
    expect(collector.finish().text).toBe('abcdefg€€x');
  });
});

describe('character boundaries', () => {
  it('moves cuts out of multi-byte characters', () => {
    const buffer = Buffer.from('a€b'); // 61 e2 82 ac 62
    expect([0, 1, 2, 3, 4, 5].map((i) => charStartAtOrBefore(buffer, i))).toEqual([
      0, 1, 1, 1, 4, 5,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => charStartAtOrAfter(buffer, i))).toEqual([
      0, 1, 4, 4, 4, 5,
    ]);
  });
});
