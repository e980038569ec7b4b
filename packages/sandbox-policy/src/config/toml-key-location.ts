// Where a key is written in a TOML document, for error messages: a TOML parser returns values
// without positions, so this scans the text for table headers and `key = value` lines.

/**
 * The 1-based line that defines `keyPath` in `text`: its `key = …` line (with the table header
 * and dotted keys resolved), the header of a table (`[sandbox_workspace_write]`), or, when the key
 * itself is not found (inside an inline table), the line of its nearest written ancestor.
 * `undefined` when nothing of the path is written. Best effort, for error messages only: it
 * follows multi-line strings and arrays, and assumes the text parsed as TOML.
 *
 * @example
 * ```ts
 * findTomlKeyLine('model = "o3"\n[sandbox_workspace_write]\nnetwork_access = "yes"\n', ['sandbox_workspace_write', 'network_access']); // 3
 * ```
 */
export function findTomlKeyLine(text: string, keyPath: readonly string[]): number | undefined {
  const lines = text.split(/\r?\n/);
  const state: ValueState = { depth: 0, string: undefined };
  let table: string[] = [];
  let ancestor: { line: number; length: number } | undefined;

  for (const [index, line] of lines.entries()) {
    if (state.depth > 0 || state.string !== undefined) {
      scanValue(line, 0, state);
      continue;
    }
    const start = line.search(/\S/);
    if (start === -1 || line[start] === '#') continue;

    let full: string[];
    if (line[start] === '[') {
      const double = line[start + 1] === '[';
      const key = parseKey(line, start + (double ? 2 : 1));
      if (!key || !line.startsWith(double ? ']]' : ']', skipSpaces(line, key.end))) continue;
      table = key.path;
      full = key.path;
    } else {
      const key = parseKey(line, start);
      const equals = key && skipSpaces(line, key.end);
      if (!key || equals === undefined || line[equals] !== '=') continue;
      full = [...table, ...key.path];
      scanValue(line, equals + 1, state);
    }
    if (samePath(full, keyPath)) return index + 1;
    if (
      full.length < keyPath.length &&
      samePath(full, keyPath.slice(0, full.length)) &&
      full.length >= (ancestor?.length ?? 1)
    ) {
      ancestor = { line: index + 1, length: full.length };
    }
  }
  return ancestor?.line;
}

interface ValueState {
  /** Open `[` and `{` of a value that continues on the next lines. */
  depth: number;
  /** The delimiter of an open multi-line string. */
  string: '"""' | "'''" | undefined;
}

/** Follows a value from `from` to the end of the line: strings, brackets, a trailing comment. */
function scanValue(line: string, from: number, state: ValueState): void {
  let i = from;
  while (i < line.length) {
    if (state.string !== undefined) {
      const close = line.indexOf(state.string, i);
      if (close === -1) return;
      i = close + 3;
      state.string = undefined;
      continue;
    }
    const c = line[i];
    if (c === '#') return;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      state.string = line.startsWith('"""', i) ? '"""' : "'''";
      i += 3;
    } else if (c === '"') {
      i = endOfBasicString(line, i + 1);
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      i = close === -1 ? line.length : close + 1;
    } else {
      if (c === '[' || c === '{') state.depth += 1;
      else if (c === ']' || c === '}') state.depth -= 1;
      i += 1;
    }
  }
}

/** The index after the closing quote of a `"…"` string whose content starts at `from`. */
function endOfBasicString(line: string, from: number): number {
  for (let i = from; i < line.length; i += 1) {
    if (line[i] === '\\') i += 1;
    else if (line[i] === '"') return i + 1;
  }
  return line.length;
}

function skipSpaces(line: string, from: number): number {
  let i = from;
  while (line[i] === ' ' || line[i] === '\t') i += 1;
  return i;
}

/** A dotted key (`a."b.c".'d'`) starting at `from`, and the index after it. */
function parseKey(line: string, from: number): { path: string[]; end: number } | undefined {
  const path: string[] = [];
  let i = from;
  for (;;) {
    i = skipSpaces(line, i);
    const c = line[i];
    if (c === '"') {
      const end = endOfBasicString(line, i + 1);
      path.push(unescapeBasic(line.slice(i + 1, end - 1)));
      i = end;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close === -1) return undefined;
      path.push(line.slice(i + 1, close));
      i = close + 1;
    } else {
      const bare = /^[A-Za-z0-9_-]+/.exec(line.slice(i));
      if (!bare) return undefined;
      path.push(bare[0]);
      i += bare[0].length;
    }
    const next = skipSpaces(line, i);
    if (line[next] !== '.') return { path, end: i };
    i = next + 1;
  }
}

function unescapeBasic(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((segment, i) => segment === b[i]);
}
