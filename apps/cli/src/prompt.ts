import { createInterface } from 'node:readline';

import type { CliIo } from './output.js';

/**
 * Whether a person is there to answer: stdin and stderr (where questions go) are terminals.
 *
 * @example
 * ```ts
 * if (!options.yes && !canAsk(io)) throw new InvalidArgumentError('pass --yes', { argument: 'yes' });
 * ```
 */
export function canAsk(io: CliIo): boolean {
  return io.stdin?.isTTY === true && io.stderr.isTTY === true;
}

/**
 * Asks a yes/no question on stderr and reads the answer from stdin: `y` or `yes` (any case) is
 * yes; anything else, an empty line or the end of input (Ctrl-D) is no.
 *
 * @example
 * ```ts
 * if (!(await confirm(io, `Delete thread ${id}?`))) return ExitCode.Ok;
 * ```
 */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const input = io.stdin;
  if (input === undefined) return false;
  io.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
    });
    if (answer === undefined) io.stderr.write('\n');
    return /^\s*y(?:es)?\s*$/i.test(answer ?? '');
  } finally {
    lines.close();
  }
}
