import { InvalidArgumentError } from '../errors.js';

/**
 * A search query as parsed from what a person typed (see {@link parseSearchQuery}): terms
 * (`prefix` for `migr*`), quoted phrases, and the operators over them. Each store backend turns
 * it into its own full-text syntax (SQLite: FTS5; PostgreSQL: `tsquery`), so any text typed is
 * safe to pass on.
 *
 * @example
 * ```ts
 * const query: SearchQuery = parseSearchQuery('"state db" migr* -sqlite');
 * // { type: 'not', include: { type: 'and', children: [phrase, term] }, exclude: term }
 * ```
 */
export type SearchQuery =
  | { type: 'term'; text: string; prefix: boolean }
  | { type: 'phrase'; text: string; prefix: boolean }
  | { type: 'and' | 'or'; children: SearchQuery[] }
  | { type: 'not'; include: SearchQuery; exclude: SearchQuery };

type Token =
  | { kind: 'word'; text: string; prefix: boolean; negated: boolean }
  | { kind: 'phrase'; text: string; prefix: boolean; negated: boolean }
  | { kind: 'and' | 'or' | 'not' | 'open' | 'close' };

const OPERATORS: Readonly<Record<string, 'and' | 'or' | 'not'>> = {
  AND: 'and',
  OR: 'or',
  NOT: 'not',
};

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/gu;

/** Whether a term holds something a tokenizer keeps (a letter or a digit). */
const SEARCHABLE = /[\p{L}\p{N}]/u;

/**
 * Parses a search query the way people write them in search boxes: words (all of them must
 * match), `"quoted phrases"`, prefixes (`migr*`), `OR`, `AND`, `NOT` (upper case; lower-case
 * `and`/`or`/`not` are words), `-word` to exclude, and parentheses. Anything else is a word:
 * file paths (`src/state/db.ts`), identifiers (`useStateDbOnly`, `use_state_db_only`) and
 * error text (`ENOENT:`) are searched as the words they hold, in order.
 *
 * Throws {@link InvalidArgumentError} (`query`) naming the problem: an unclosed quote or
 * parenthesis, an operator without words on both sides, a query that only excludes, or one with
 * nothing to search for.
 *
 * @example
 * ```ts
 * parseSearchQuery('migr* "state db" OR sqlite -wal');
 * parseSearchQuery('NOT sqlite'); // throws: invalid query: NOT needs words before it …
 * ```
 */
export function parseSearchQuery(text: string): SearchQuery {
  // Control characters are never indexed (and a NUL ends a string for SQLite): they separate words.
  const tokens = tokenize(text.replace(CONTROL_CHARACTERS, ' '));
  const parser = new Parser(tokens, text);
  const query = parser.parseOr();
  if (parser.peek()) throw parser.problem(unexpected(parser.peek()!));
  if (!query) throw new InvalidArgumentError('query', `nothing to search for in ${quote(text)}`);
  return query;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (/\s/u.test(char)) {
      at += 1;
      continue;
    }
    const negated = char === '-' && text[at + 1] === '"';
    if (char === '"' || negated) {
      const start = at + (negated ? 2 : 1);
      const end = text.indexOf('"', start);
      if (end === -1) {
        throw new InvalidArgumentError(
          'query',
          `unclosed quote in ${quote(text)} (a phrase is written "like this")`,
        );
      }
      const prefix = text[end + 1] === '*';
      tokens.push({ kind: 'phrase', text: text.slice(start, end), prefix, negated });
      at = end + (prefix ? 2 : 1);
      continue;
    }
    let end = at;
    while (end < text.length && !/\s/u.test(text[end]!) && text[end] !== '"') end += 1;
    let word = text.slice(at, end);
    at = end;
    while (word.startsWith('(')) {
      tokens.push({ kind: 'open' });
      word = word.slice(1);
    }
    let closing = 0;
    while (word.endsWith(')') && openGroups(tokens) > closing) {
      closing += 1;
      word = word.slice(0, -1);
    }
    if (word !== '') tokens.push(wordToken(word, text));
    for (let i = 0; i < closing; i += 1) tokens.push({ kind: 'close' });
  }
  return tokens;
}

function wordToken(word: string, text: string): Token {
  const operator = OPERATORS[word];
  if (operator) return { kind: operator };
  const negated = word.startsWith('-') && word.length > 1;
  let body = negated ? word.slice(1) : word;
  const prefix = body.endsWith('*');
  body = body.replace(/\*+$/u, '');
  if (prefix && !SEARCHABLE.test(body)) {
    throw new InvalidArgumentError(
      'query',
      `a prefix needs letters or digits before "*" (in ${quote(text)})`,
    );
  }
  return { kind: 'word', text: body, prefix, negated };
}

function openGroups(tokens: readonly Token[]): number {
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'open') depth += 1;
    else if (token.kind === 'close') depth -= 1;
  }
  return depth;
}

class Parser {
  #at = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly text: string,
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.#at];
  }

  problem(what: string): InvalidArgumentError {
    return new InvalidArgumentError('query', `${what} (in ${quote(this.text)})`);
  }

  /** `a OR b OR c`; `undefined` when there is nothing searchable. */
  parseOr(): SearchQuery | undefined {
    const children: SearchQuery[] = [];
    for (;;) {
      const operand = this.parseAnd();
      if (operand) children.push(operand);
      if (this.peek()?.kind !== 'or') break;
      if (!operand) throw this.problem('OR needs words on both sides');
      this.#at += 1;
      const next = this.peek();
      if (!next || next.kind === 'or' || next.kind === 'close') {
        throw this.problem('OR needs words on both sides');
      }
    }
    return children.length <= 1 ? children[0] : { type: 'or', children };
  }

  /** Words side by side (or joined by AND), with their exclusions. */
  parseAnd(): SearchQuery | undefined {
    const include: SearchQuery[] = [];
    const exclude: SearchQuery[] = [];
    let sawAny = false;
    for (;;) {
      const token = this.peek();
      if (!token || token.kind === 'or' || token.kind === 'close') break;
      if (token.kind === 'and') {
        if (!sawAny) throw this.problem('AND needs words on both sides');
        this.#at += 1;
        const next = this.peek();
        if (!next || next.kind === 'or' || next.kind === 'close' || next.kind === 'and') {
          throw this.problem('AND needs words on both sides');
        }
        continue;
      }
      if (token.kind === 'not') {
        if (!sawAny) {
          throw this.problem(
            'NOT needs words before it: a search cannot only exclude (try "migration NOT sqlite")',
          );
        }
        this.#at += 1;
        const operand = this.parseOperand();
        if (!operand) throw this.problem('NOT needs words after it');
        exclude.push(operand);
        continue;
      }
      sawAny = true;
      const negated = (token.kind === 'word' || token.kind === 'phrase') && token.negated;
      const operand = this.parseOperand();
      if (!operand) continue;
      (negated ? exclude : include).push(operand);
    }
    if (include.length === 0) {
      if (exclude.length > 0) {
        throw this.problem('a search cannot only exclude: add a word to search for');
      }
      return undefined;
    }
    const positive: SearchQuery =
      include.length === 1 ? include[0]! : { type: 'and', children: include };
    if (exclude.length === 0) return positive;
    return {
      type: 'not',
      include: positive,
      exclude: exclude.length === 1 ? exclude[0]! : { type: 'or', children: exclude },
    };
  }

  /** A word, a phrase or a parenthesised group; `undefined` for one with nothing searchable. */
  parseOperand(): SearchQuery | undefined {
    const token = this.peek();
    if (!token) return undefined;
    this.#at += 1;
    switch (token.kind) {
      case 'word':
        return SEARCHABLE.test(token.text)
          ? { type: 'term', text: token.text, prefix: token.prefix }
          : undefined;
      case 'phrase':
        return SEARCHABLE.test(token.text)
          ? { type: 'phrase', text: token.text, prefix: token.prefix }
          : undefined;
      case 'open': {
        const inner = this.parseOr();
        if (this.peek()?.kind !== 'close') throw this.problem('unclosed parenthesis');
        this.#at += 1;
        return inner;
      }
      case 'and':
      case 'or':
      case 'not':
      case 'close':
        throw this.problem(unexpected(token));
    }
  }
}

function unexpected(token: Token): string {
  switch (token.kind) {
    case 'close':
      return 'a ")" closes no parenthesis';
    case 'and':
    case 'or':
    case 'not':
      return `${token.kind.toUpperCase()} needs words on both sides`;
    case 'open':
    case 'word':
    case 'phrase':
      return 'unexpected text';
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
