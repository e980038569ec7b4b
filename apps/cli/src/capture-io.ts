import type { CliIo, OutputStream } from './output.js';

/** A writable that keeps what it is given, for tests. */
export interface CapturedStream extends OutputStream {
  /** Everything written so far. */
  text(): string;
}

/** Streams that keep their output, and an empty environment, for running `main` in tests. */
export interface CapturedIo extends CliIo {
  stdout: CapturedStream;
  stderr: CapturedStream;
}

/**
 * In-memory `stdout` / `stderr` (not terminals unless `tty`) and an environment holding only
 * `env`, so a test runs `main` in-process and reads what it printed.
 */
export function captureIo(
  options: { tty?: boolean; env?: Record<string, string | undefined> } = {},
): CapturedIo {
  const stream = (): CapturedStream => {
    const chunks: string[] = [];
    return {
      isTTY: options.tty ?? false,
      columns: 100,
      write(chunk: string) {
        chunks.push(chunk);
        return true;
      },
      text: () => chunks.join(''),
    };
  };
  return { stdout: stream(), stderr: stream(), env: options.env ?? {} };
}
