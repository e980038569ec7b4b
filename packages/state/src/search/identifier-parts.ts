/** A word with a change of case inside (`useStateDbOnly`, `HTTPServer`, `parseJSON2`). */
const CAMEL_WORD = /[\p{L}\p{N}]*(?:\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll})[\p{L}\p{N}]*/gu;
const PART = /\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+|\p{Lu}/gu;

/** The words inside a camel-case identifier: `HTTPServer` → `['HTTP', 'Server']`. */
function camelParts(word: string): string[] {
  return word.match(PART) ?? [word];
}

/**
 * The text with each camel-case identifier spelled as its words (`src/useStateDb.ts` →
 * `src/use State Db.ts`); the text itself when it has none.
 */
export function spellIdentifiers(text: string): string {
  return text.replace(CAMEL_WORD, (word) => camelParts(word).join(' '));
}

/**
 * The camel-case identifiers of a text spelled as their words, one identifier per line
 * (`useStateDbOnly` → `use State Db Only`), or `''` when it has none: indexed beside the text,
 * so that `use_state_db_only` and "state db" find `useStateDbOnly` too.
 */
export function identifierParts(text: string): string {
  const found = text.match(CAMEL_WORD);
  if (!found) return '';
  const lines = new Set<string>();
  for (const word of found) {
    const parts = camelParts(word);
    if (parts.length > 1) lines.add(parts.join(' '));
  }
  return [...lines].join('\n');
}
