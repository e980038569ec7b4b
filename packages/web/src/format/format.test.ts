import { describe, expect, it } from 'vitest';

import { formatIsoTime, formatUnixTime } from './format-time.js';
import { plural } from './plural.js';
import { threadTitle } from './thread-title.js';

describe('formatting', () => {
  it('plurals with separators', () => {
    expect(plural(1, 'thread')).toBe('1 thread');
    expect(plural(2500, 'match', 'matches')).toBe('2,500 matches');
  });

  it('formats local times', () => {
    const date = new Date(2026, 10, 21, 5, 4);
    expect(formatUnixTime(date.getTime() / 1000)).toBe('2026-11-21 05:04');
    expect(formatIsoTime(date.toISOString())).toBe('2026-11-21 05:04');
    expect(formatIsoTime(null)).toBe('');
    expect(formatIsoTime('nonsense')).toBe('');
  });
});

describe('threadTitle', () => {
  it('is the name, else the title, else the preview, else the id: the first not blank', () => {
    const id = '01a1fca2-0000-7000-8000-000000000001';
    expect(threadTitle({ id, name: 'Named', title: 'Title', preview: 'Preview' })).toBe('Named');
    expect(threadTitle({ id, name: null, title: 'Title', preview: 'Preview' })).toBe('Title');
    expect(threadTitle({ id, name: ' ', title: '', preview: 'Preview' })).toBe('Preview');
    expect(threadTitle({ id, title: null })).toBe(id);
    expect(threadTitle({ id, name: null, title: '  ', preview: '\n' })).toBe(id);
  });
});
