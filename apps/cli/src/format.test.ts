import { describe, expect, it } from 'vitest';

import {
  displayWidth,
  formatDuration,
  shellQuote,
  singleLine,
  tildePath,
  truncateEnd,
  truncateStart,
} from './format.js';

describe('text formatting', () => {
  it('puts text on one line without control characters', () => {
    expect(singleLine('a\nb\r\nc\td\u001b[2Je\u0007')).toBe('a⏎b⏎c d[2Je');
  });

  it('measures wide characters as two columns', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('cuts text at either end to a width in columns', () => {
    expect(truncateEnd('hello world', 20)).toBe('hello world');
    expect(truncateEnd('hello world', 6)).toBe('hello…');
    expect(truncateEnd('日本語テキスト', 7)).toBe('日本語…');
    expect(truncateStart('/home/user/projects/repo', 10)).toBe('…ects/repo');
  });

  it('shows the user’s home as ~', () => {
    expect(tildePath('/home/ann/src', '/home/ann')).toBe('~/src');
    expect(tildePath('/home/ann', '/home/ann/')).toBe('~');
    expect(tildePath('/home/annex/src', '/home/ann')).toBe('/home/annex/src');
    expect(tildePath('/srv', undefined)).toBe('/srv');
  });

  it('formats durations and quotes for the shell', () => {
    expect(formatDuration(840)).toBe('840 ms');
    expect(formatDuration(3200)).toBe('3.2 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(shellQuote('2026-11-21T05:44:07Z|01a1')).toBe("'2026-11-21T05:44:07Z|01a1'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
