/**
 * The parts of conversation lines that more than one reader takes apart the same way (the search
 * index and the transcript): message texts, shell commands, tool outputs and Codex's exec header.
 */

/** Codex's exec output header: `Chunk ID: …\nWall time: …\n…\nOutput:\n`. */
export const EXEC_HEADER_START = 'Chunk ID: ';
const EXEC_HEADER_END = '\nOutput:\n';
/** How far into an output the end of an exec header is looked for. */
export const EXEC_HEADER_MAX_CHARS = 512;
const EXIT_CODE = /\nProcess exited with code (-?\d+)\n/;

/** `value` when it is a string, else `''`. */
export function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The texts of the content parts of one type (`output_text`, `summary_text`, …), joined, trimmed. */
export function texts(parts: unknown, type: string): string {
  if (!Array.isArray(parts)) return '';
  const found: string[] = [];
  for (const part of parts as unknown[]) {
    const { type: partType, text } = (part ?? {}) as { type?: unknown; text?: unknown };
    if (partType === type && typeof text === 'string') found.push(text);
  }
  return found.join('\n').trim();
}

/** A shell command as one line: an argument vector joined (`bash -lc` unwrapped), or the string. */
export function commandText(command: unknown): string | undefined {
  if (typeof command === 'string') return command;
  if (!Array.isArray(command) || !command.every((part) => typeof part === 'string'))
    return undefined;
  const argv = command;
  if (argv.length === 3 && /(?:^|\/)(?:ba|z|)sh$/u.test(argv[0]!) && /^-l?c$/u.test(argv[1]!)) {
    return argv[2];
  }
  return argv.join(' ');
}

/**
 * What a `web_search_call` looked for: its action's query, URL and pattern, those it has, joined
 * by spaces ('' when it has none).
 */
export function webSearchText(action: unknown): string {
  const { query, url, pattern } = (action ?? {}) as Record<string, unknown>;
  return [query, url, pattern].filter((value) => typeof value === 'string').join(' ');
}

/**
 * A function call's arguments as text (they are a JSON string in Codex's lines) and, when they
 * name a shell command (`cmd` or `command`), that command as one line.
 */
export function functionCallParts(args: unknown): { raw: string; command: string | undefined } {
  const raw = typeof args === 'string' ? args : JSON.stringify(args ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { raw, command: undefined };
  }
  if (!parsed || typeof parsed !== 'object') return { raw, command: undefined };
  const { cmd, command } = parsed as { cmd?: unknown; command?: unknown };
  return { raw, command: commandText(cmd) ?? commandText(command) };
}

/** A tool output's text: a string, the `input_text` parts of a list, or `{content}`. */
export function toolOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return texts(output, 'input_text');
  if (
    typeof output === 'object' &&
    output !== null &&
    typeof (output as { content?: unknown }).content === 'string'
  ) {
    return (output as { content: string }).content;
  }
  return '';
}

/** Codex's exec header (`Chunk ID: …` up to `Output:`, within its first characters) left out. */
export function withoutExecHeader(text: string): string {
  if (!text.startsWith(EXEC_HEADER_START)) return text;
  const body = text.slice(0, EXEC_HEADER_MAX_CHARS).indexOf(EXEC_HEADER_END);
  return body === -1 ? text : text.slice(body + EXEC_HEADER_END.length);
}

/** The exit code an exec header states (`Process exited with code 1`), if it has one. */
export function execExitCode(text: string): number | null {
  if (!text.startsWith(EXEC_HEADER_START)) return null;
  const match = EXIT_CODE.exec(text.slice(0, EXEC_HEADER_MAX_CHARS));
  return match ? Number(match[1]) : null;
}
