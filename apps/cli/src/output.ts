import picocolors from 'picocolors';

export { formatBytes } from '@agent-state/rollout';

/**
 * Where the CLI writes: a Node writable stream, or anything with the same `write`.
 *
 * @example
 * ```ts
 * const chunks: string[] = [];
 * const stdout: OutputStream = { write: (chunk) => chunks.push(chunk) };
 * ```
 */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True on a terminal (colors are used only then). */
  readonly isTTY?: boolean | undefined;
  /** Terminal width, when known. */
  readonly columns?: number | undefined;
}

/**
 * Where the CLI reads a person's answers: a Node readable stream (`process.stdin`).
 *
 * @example
 * ```ts
 * const stdin: InputStream = Object.assign(Readable.from(['y\n']), { isTTY: true });
 * ```
 */
export type InputStream = NodeJS.ReadableStream & { readonly isTTY?: boolean | undefined };

/** The width of the terminal a stream writes to; `undefined` off a terminal or when unknown. */
export function terminalColumns(stream: OutputStream): number | undefined {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0
    ? stream.columns
    : undefined;
}

/**
 * The process-facing surface of the CLI, injectable so it runs in-process (tests, embedding).
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: { NO_COLOR: '1' } };
 * await main(['node', 'agent-state', 'doctor'], io);
 * ```
 */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /**
   * Where answers to questions come from (`threads delete` asks before acting, on a terminal
   * only). Default: the process's stdin; without it nothing is asked.
   */
  stdin?: InputStream | undefined;
  /** The environment: read for the home (`resolveHome`), `NO_COLOR` and `AGENT_STATE_SERVE_TOKEN`. */
  env: Readonly<Record<string, string | undefined>>;
}

/** ANSI styling functions; identity functions when colors are off. */
export type Colors = ReturnType<typeof picocolors.createColors>;

/** Colors only on a terminal, and never when `NO_COLOR` is set to a non-empty value. */
export function colorEnabled(stream: OutputStream, env: CliIo['env']): boolean {
  const noColor = env['NO_COLOR'];
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

/** The styling functions to use for `stream`. */
export function colorsFor(stream: OutputStream, env: CliIo['env']): Colors {
  return picocolors.createColors(colorEnabled(stream, env));
}

/** Writes `value` as one JSON document (pretty-printed, newline-terminated). */
export function writeJson(stream: OutputStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes `lines`, each terminated by a newline. */
export function writeLines(stream: OutputStream, lines: readonly string[]): void {
  stream.write(lines.map((line) => `${line}\n`).join(''));
}

/**
 * Formats `label  value` rows with the values aligned in one column. `style` colors the labels
 * (applied after padding, so escapes do not break the alignment).
 */
export function alignedRows(
  rows: ReadonlyArray<readonly [label: string, value: string]>,
  options: { indent?: string; style?: (label: string) => string } = {},
): string[] {
  const indent = options.indent ?? '  ';
  const style = options.style ?? ((label: string) => label);
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${style(label.padEnd(width))}  ${value}`);
}

/** Folds a (possibly multi-line) message into one line, for one-line error output. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}
