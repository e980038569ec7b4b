import { describe, expect, it } from 'vitest';

import { truncateMiddleChars } from './truncate-middle.js';

describe('truncateMiddleChars', () => {
  it("matches Codex's truncate_text with a bytes policy", () => {
    // The cases of Codex's own truncation tests.
    const emoji = '😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n';
    expect(truncateMiddleChars(emoji, 20)).toBe('😀😀…21 chars truncated…with text\n');
    expect(truncateMiddleChars('一二三四五六七八九十', 12)).toBe('一二…6 chars truncated…九十');
    expect(truncateMiddleChars('前缀ABC中间内容DEF后缀', 18)).toBe(
      '前缀ABC…4 chars truncated…DEF后缀',
    );
    expect(truncateMiddleChars('hello world', 10)).toBe('hello…1 chars truncated…world');
  });

  it('keeps text within the budget as it is', () => {
    expect(truncateMiddleChars('', 0)).toBe('');
    expect(truncateMiddleChars('short', 5)).toBe('short');
    expect(truncateMiddleChars('日本語', 9)).toBe('日本語');
  });

  it('never splits a character, whatever the budget', () => {
    const text = 'añ😀日x'.repeat(7);
    const total = [...text].length;
    for (let max = 0; max < Buffer.byteLength(text); max += 1) {
      const cut = truncateMiddleChars(text, max);
      const match = /^(.*)…(\d+) chars truncated…(.*)$/su.exec(cut);
      expect(match, `budget ${max}`).not.toBeNull();
      const [, head = '', omitted = '', tail = ''] = match ?? [];
      expect(Buffer.byteLength(head)).toBeLessThanOrEqual(Math.floor(max / 2));
      expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(max - Math.floor(max / 2));
      expect(text.startsWith(head) && text.endsWith(tail)).toBe(true);
      expect([...head].length + Number(omitted) + [...tail].length).toBe(total);
      expect(cut).not.toContain('\uFFFD');
    }
  });
});
