import { spawn } from 'node:child_process';
import { homedir } from 'node:os';

import { startWebServer } from '@agent-state/web';

import { ExitCode } from '../../exit-codes.js';
import { tildePath } from '../../format.js';
import { type CliIo, colorsFor, writeLines } from '../../output.js';
import { requireHome } from '../../store-session.js';

/** Options of {@link runServe}. */
export interface RunServeOptions {
  home: string;
  io: CliIo;
  port: number;
  host?: string | undefined;
  token?: string | undefined;
  /** Open the URL in the default browser. */
  open: boolean;
  /** Stops the server (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
}

/**
 * Serves the web UI of `home` (`startWebServer` of @agent-state/web) until `signal` aborts, then
 * closes it. Prints the URL (with its token when one is needed) on stdout. A port in use is a
 * `ListenError` naming it (exit 2); a home that does not exist, exit 3.
 */
export async function runServe(options: RunServeOptions): Promise<ExitCode> {
  const { io } = options;
  requireHome(options.home);
  const server = await startWebServer({
    home: options.home,
    port: options.port,
    host: options.host,
    token: options.token,
  });
  try {
    const colors = colorsFor(io.stdout, io.env);
    writeLines(io.stdout, [
      `${colors.bold('agent-state serve')}: ${tildePath(options.home, homedir())}`,
      `  ${colors.cyan(server.url)}`,
      ...(server.token === undefined
        ? []
        : [
            colors.yellow(
              '  anyone with this URL (it carries the access token) can read these transcripts',
            ),
          ]),
      colors.dim('Ctrl-C stops it.'),
    ]);
    if (options.open) openBrowser(server.url, io);
    if (!options.signal.aborted) {
      await new Promise<void>((resolve) =>
        options.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } finally {
    await server.close();
  }
  return ExitCode.Ok;
}

/** Opens `url` with the platform's opener; a failure is a note, never an error. */
function openBrowser(url: string, io: CliIo): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const note = (): void =>
    writeLines(io.stderr, [`agent-state: could not open a browser; open ${url} yourself`]);
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', note);
    child.unref();
  } catch {
    note();
  }
}
