import { redactSecrets } from '@agent-state/memories';
import { type SyncResult, openPostgresStore, syncHome } from '@agent-state/postgres';
import { type WatchChange, watchHome } from '@agent-state/rollout';
import { toAgentStateError } from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import { singleLine } from '../../format.js';
import { type CliIo, colorsFor, oneLine, writeLines } from '../../output.js';
import { whileInterruptible } from '../../registration.js';
import type { StoreUrl } from '../../remote-store-options.js';
import { withStore } from '../../store-session.js';
import { ContinuousSync } from './watch-sync.js';

/** Options of {@link runWatch}. */
export interface RunWatchOptions {
  home: string;
  io: CliIo;
  json: boolean;
  /** Default: `watchHome`'s (5 minutes). */
  rescanIntervalMs?: number | undefined;
  /** `--sync`: push the home to this shared store after each change. */
  sync?: StoreUrl | undefined;
  /** With `sync`: redact secrets in the text pushed. */
  redact?: boolean | undefined;
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
  const printSync = (result: SyncResult) => {
    if (result.pushed === 0 && result.deleted === 0) return;
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ type: 'synced', ...result, at: at() })}\n`);
      return;
    }
    writeLines(io.stdout, [
      `${colors.dim(at())} synced   ${result.pushed} pushed, ${result.deleted} removed ${colors.dim(result.server)}`,
    ]);
  };
  const warn = (error: unknown) =>
    writeLines(io.stderr, [
      `${colorsFor(io.stderr, io.env).yellow('agent-state:')} sync failed, will retry: ${oneLine(toAgentStateError(error).message)}`,
    ]);
  await whileInterruptible((signal) =>
    withStore(home, async (store) => {
      const remote = options.sync
        ? await openPostgresStore({
            url: options.sync.url,
            urlSource: options.sync.source,
            home,
            clock: store.clock,
            logger: store.logger,
          })
        : undefined;
      const sync = remote
        ? new ContinuousSync({
            clock: store.clock,
            push: () =>
              syncHome({
                source: store,
                target: remote,
                redact: options.redact ? redactSecrets : undefined,
              }),
            onSynced: printSync,
            onFailed: warn,
          })
        : undefined;
      try {
        await watchHome({
          store,
          signal,
          rescanIntervalMs: options.rescanIntervalMs,
          onReady: (ready) => {
            print({ type: 'ready', ...ready });
            sync?.request(0);
          },
          onChange: (change) => {
            print(change);
            sync?.request();
          },
        });
      } finally {
        await sync?.stop();
        await remote?.close();
      }
    }),
  );
  return ExitCode.Ok;
}
