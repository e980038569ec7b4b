import { type WatchChange, watchHome } from '@agent-state/rollout';

import { ExitCode } from '../../exit-codes.js';
import { singleLine } from '../../format.js';
import { type CliIo, colorsFor, writeLines } from '../../output.js';
import { whileInterruptible } from '../../registration.js';
import { withStore } from '../../store-session.js';

/** Options of {@link runWatch}. */
export interface RunWatchOptions {
  home: string;
  io: CliIo;
  json: boolean;
  /** Default: `watchHome`'s (5 minutes). */
  rescanIntervalMs?: number | undefined;
}

/**
 * Watches the home until Ctrl-C or SIGTERM (`watchHome`), printing each change: a line of text,
 * or with `--json` one JSON document per line (`ready` first, once current).
 */
export async function runWatch(options: RunWatchOptions): Promise<ExitCode> {
  const { io, home } = options;
  const colors = colorsFor(io.stdout, io.env);
  const at = () => new Date().toISOString();
  const print = (change: WatchChange | { type: 'ready'; rollouts: number; changes: number }) => {
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ ...change, at: at() })}\n`);
      return;
    }
    if (change.type === 'ready') {
      writeLines(io.stdout, [
        `watching ${home}: ${change.rollouts} rollouts, ${change.changes} brought up to date; Ctrl-C stops`,
      ]);
      return;
    }
    const lines = change.lines === undefined ? '' : ` (+${change.lines} lines)`;
    writeLines(io.stdout, [
      `${colors.dim(at())} ${change.type.padEnd(8)} ${change.threadId}${lines} ${colors.dim(singleLine(change.path))}`,
    ]);
  };
  await whileInterruptible((signal) =>
    withStore(home, (store) =>
      watchHome({
        store,
        signal,
        rescanIntervalMs: options.rescanIntervalMs,
        onReady: (ready) => print({ type: 'ready', ...ready }),
        onChange: print,
      }),
    ),
  );
  return ExitCode.Ok;
}
