import { describe, expect, it } from 'vitest';

import { seededRandom } from '@agent-state/test-utils';

import { jsonStringEnd, jsonStringHead, jsonStringTail } from './json-string-slice.js';

/** A line holding `value` as a JSON string after a prefix, and where its text starts. */
function lineWith(value: string): { bytes: Buffer; start: number } {
  const prefix = '{"call_id":"c","output":"';
  return {
    bytes: Buffer.from(`${prefix}${JSON.stringify(value).slice(1)}}`),
    start: prefix.length,
  };
}

describe('JSON string slices', () => {
  it('read the head and tail of any string as a full parse would, wherever the cut falls', () => {
    const random = seededRandom(3);
    const alphabet = ['a', 'é', '日', '😀', '"', '\\', '\n', '\t', '\u0001', '\u2028', ' ', 'z'];
    for (let round = 0; round < 400; round += 1) {
      const length = Math.floor(random() * 300);
      const value = Array.from(
        { length },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      const { bytes, start } = lineWith(value);
      const end = jsonStringEnd(bytes, start);
      expect(JSON.parse(`"${bytes.toString('utf8', start, end)}"`)).toBe(value);
      for (const chars of [1, 5, 17, 64]) {
        expect(jsonStringHead(bytes, start, end, chars)).toBe(value.slice(0, chars));
        expect(jsonStringTail(bytes, start, end, chars)).toBe(
          value.slice(Math.max(0, value.length - chars)),
        );
      }
    }
  });

  it('finds no end in a string cut short', () => {
    const { bytes, start } = lineWith('abc');
    expect(jsonStringEnd(bytes.subarray(0, start + 2), start)).toBe(-1);
  });
});
