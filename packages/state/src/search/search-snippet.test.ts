import { describe, expect, it } from 'vitest';

import { buildSnippet, highlighted, searchWords } from './search-snippet.js';

const marked = ({ snippet, highlights }: ReturnType<typeof buildSnippet>) =>
  highlights.map(([start, end]) => snippet.slice(start, end));

describe('snippets', () => {
  it('gives a short text whole, its matched words highlighted', () => {
    const text = '  Run: migrate the DB! ';
    const words = searchWords(text);
    expect(words.map((w) => text.slice(w.start, w.end))).toEqual(['Run', 'migrate', 'the', 'DB']);
    const snippet = buildSnippet(text, words, new Set([1, 3]));
    expect(snippet.snippet).toBe(text);
    expect(marked(snippet)).toEqual(['migrate', 'DB']);
  });

  it('cuts a long text around the most matches, centred, with … where it cut', () => {
    const text = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const words = searchWords(text);
    const snippet = buildSnippet(text, words, new Set([10, 50, 52, 54]), 10);
    expect(snippet.snippet).toBe('…w48 w49 w50 w51 w52 w53 w54 w55 w56 w57…');
    expect(marked(snippet)).toEqual(['w50', 'w52', 'w54']);
    // No match: the head. A match at the end: the tail, to the end of the text.
    expect(buildSnippet(text, words, new Set(), 3).snippet).toBe('w0 w1 w2…');
    expect(buildSnippet(`${text}.`, searchWords(`${text}.`), new Set([99]), 3).snippet).toBe(
      '…w97 w98 w99.',
    );
  });

  it('reads the marks a full-text engine put around matched words', () => {
    expect(highlighted('a \u0002b\u0003 c \u0002d\u0003')).toEqual({
      snippet: 'a b c d',
      highlights: [
        [2, 3],
        [6, 7],
      ],
    });
  });
});
