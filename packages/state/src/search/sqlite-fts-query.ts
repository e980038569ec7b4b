import { spellIdentifiers } from './identifier-parts.js';
import type { SearchQuery } from './search-query.js';

/**
 * A parsed query in SQLite FTS5's syntax. Every term and phrase becomes a quoted FTS5 string
 * (quotes doubled), so no text typed can be read as FTS5 syntax; FTS5's tokenizer then splits it
 * into the words it indexes (a path or a snake-case name becomes a phrase of its words). A
 * camel-case term also matches the phrase of its words (`useStateDbOnly` finds
 * `use_state_db_only`).
 */
export function toFts5(query: SearchQuery): string {
  switch (query.type) {
    case 'term': {
      const exact = `${quoted(query.text)}${query.prefix ? '*' : ''}`;
      const spelled = query.prefix ? query.text : spellIdentifiers(query.text);
      return spelled === query.text ? exact : `(${exact} OR ${quoted(spelled)})`;
    }
    case 'phrase':
      return `${quoted(query.text)}${query.prefix ? '*' : ''}`;
    case 'and':
    case 'or':
      return `(${query.children.map(toFts5).join(query.type === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(${toFts5(query.include)} NOT ${toFts5(query.exclude)})`;
  }
}

function quoted(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}
