import { seededRandom } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

import { identifierParts } from './identifier-parts.js';

/** What `identifierParts` means, written plainly: every word with a change of case, split. */
function plainParts(text: string): string {
  const lines = new Set<string>();
  for (const word of text.match(/[A-Za-z0-9]+/g) ?? []) {
    if (!/[a-z][A-Z]|[A-Z][A-Z][a-z]/.test(word)) continue;
    const parts = word.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[A-Z]/g) ?? [word];
    if (parts.length > 1) lines.add(parts.join(' '));
  }
  return [...lines].join('\n');
}

describe('identifierParts', () => {
  it('finds the camel-case words of any text, as a word-by-word scan does', () => {
    const random = seededRandom(11);
    const alphabet = 'aAbBzZ09_ -./éx';
    for (let i = 0; i < 2_000; i += 1) {
      const text = Array.from(
        { length: Math.floor(random() * 40) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join('');
      expect(identifierParts(text), text).toBe(plainParts(text));
    }
    expect(identifierParts('x useStateDbOnly_HTTPServer2 ok')).toBe(
      'use State Db Only\nHTTP Server 2',
    );
  });
});
