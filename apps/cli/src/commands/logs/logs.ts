import { type LogsClientFlags, resolveLogsClientOptions, runLogs } from '@agent-state/logs-client';
import { systemClock } from '@agent-state/state';

import type { CliIo } from '../../output.js';

/** Options of {@link runLogsCommand}. */
export interface RunLogsCommandOptions {
  /** The flags of `logs_client`, as commander parsed them. */
  flags: LogsClientFlags;
  /** The global `--home`, when given (`--codex-home` wins over it). */
  home: string | undefined;
  io: CliIo;
  /** Ends following (the CLI wires SIGINT and SIGTERM to it): exit 0. */
  signal: AbortSignal;
}

/**
 * `agent-state logs`: the same options and code as `logs_client` (@agent-state/logs-client), its
 * errors prefixed `agent-state: `.
 */
export async function runLogsCommand(options: RunLogsCommandOptions): Promise<void> {
  const { io } = options;
  // --codex-home wins over the global --home, which wins over the environment.
  const resolved = resolveLogsClientOptions(options.flags, {
    env: io.env,
    clock: systemClock,
    stdout: io.stdout,
    home: options.home,
  });
  await runLogs(resolved, {
    stdout: io.stdout,
    stderr: { write: (line: string) => io.stderr.write(`agent-state: ${line}`) },
    signal: options.signal,
  });
}
