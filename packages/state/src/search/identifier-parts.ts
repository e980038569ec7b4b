// Identifiers are ASCII in practice, and ASCII classes keep these scans cheap over every document.
/** A word of an identifier: ASCII letters and digits. */
const WORD = /[A-Za-z0-9]+/g;
/** A change of case inside a word (`useState`, `HTTPServer`): a camel-case identifier. */
const CASE_CHANGE = /[a-z][A-Z]|[A-Z][A-Z][a-z]/;
/**
 * A whole word (see {@link WORD}) with a change of case in it, found in one pass over the text:
 * most words of a text with some identifiers are plain, and listing them all first costs more.
 */
const CAMEL_WORD = /(?<![A-Za-z0-9])[A-Za-z0-9]*?(?:[a-z][A-Z]|[A-Z][A-Z][a-z])[A-Za-z0-9]*/g;
const PART = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[A-Z]/g;

/** The words inside a camel-case identifier: `HTTPServer` → `['HTTP', 'Server']`. */
function camelParts(word: string): string[] {
  return word.match(PART) ?? [word];
}

/**
 * The text with each camel-case identifier spelled as its words (`src/useStateDb.ts` →
 * `src/use State Db.ts`); the text itself when it has none.
 *
 * @example
 * ```ts
 * spellIdentifiers('useStateDbOnly'); // 'use State Db Only'
 * ```
 */
export function spellIdentifiers(text: string): string {
  if (!CASE_CHANGE.test(text)) return text;
  return text.replace(WORD, (word) => (CASE_CHANGE.test(word) ? camelParts(word).join(' ') : word));
}

/**
 * The camel-case identifiers of a text spelled as their words, one identifier per line
 * (`useStateDbOnly` → `use State Db Only`), or `''` when it has none: indexed beside the text,
 * so that `use_state_db_only` and "state db" find `useStateDbOnly` too.
 *
 * @example
 * ```ts
 * identifierParts('const useStateDb = parseJSON(x)'); // 'use State Db\nparse JSON'
 * ```
 */
export function identifierParts(text: string): string {
  // Most text has no identifier: one linear scan says so.
  if (!CASE_CHANGE.test(text)) return '';
  const lines = new Set<string>();
  for (const word of text.match(CAMEL_WORD) ?? []) {
    const parts = camelParts(word);
    if (parts.length > 1) lines.add(parts.join(' '));
  }
  return [...lines].join('\n');
}
