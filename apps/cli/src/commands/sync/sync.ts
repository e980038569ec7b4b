import { redactSecrets } from '@agent-state/memories';
import { type SyncResult, openPostgresStore, syncHome } from '@agent-state/postgres';

import { ExitCode } from '../../exit-codes.js';
import { plural } from '../../format.js';
import { type CliIo, alignedRows, colorsFor, writeJson, writeLines } from '../../output.js';
import { whileInterruptible } from '../../registration.js';
import { syncTarget } from '../../remote-store-options.js';
import { StatusLine, progressBar } from '../../status-line.js';
import { backfillFirst, indexNewestRollouts } from '../../store-freshness.js';
import { withStore } from '../../store-session.js';

/** Options of {@link runSync}. */
export interface RunSyncOptions {
  home: string;
  io: CliIo;
  /** `--to`; else `AGENT_STATE_STORE_URL`. */
  to?: string | undefined;
  redact: boolean;
  full: boolean;
  /** Threads per transaction (default: `syncHome`'s). */
  batchSize?: number | undefined;
  json: boolean;
}

/**
 * Brings the home's own store up to date (the backfill if it never completed, then the newest
 * rollouts), then pushes it to the shared store (`syncHome`) with its progress on stderr, and
 * prints what went: or with `--json` the `SyncResult`. Ctrl-C stops between batches, once those in flight are written (exit 1);
 * what was pushed stays and the next sync goes on.
 */
export async function runSync(options: RunSyncOptions): Promise<ExitCode> {
  const { io, home } = options;
  const target = syncTarget(io, options.to);
  const result = await whileInterruptible((signal) =>
    withStore(home, async (local) => {
      await backfillFirst(local, io);
      await indexNewestRollouts(local, home, 'all');
      const remote = await openPostgresStore({
        url: target.url,
        urlSource: target.source,
        home,
        clock: local.clock,
        logger: local.logger,
      });
      const line = new StatusLine({ stream: io.stderr });
      try {
        return await syncHome({
          source: local,
          target: remote,
          redact: options.redact ? redactSecrets : undefined,
          full: options.full,
          batchSize: options.batchSize,
          signal,
          onProgress: ({ pushed, toPush }) =>
            line.draw(`pushing ${progressBar(pushed, toPush)} ${pushed}/${toPush} threads`),
        });
      } finally {
        line.clear();
        await remote.close();
      }
    }),
  );
  // Stopped (Ctrl-C) between batches: what went stays, the next sync goes on. Exit 1, as the
  // backfill does when it is interrupted.
  const exitCode = result.stopped > 0 ? ExitCode.Failure : ExitCode.Ok;
  if (options.json) {
    writeJson(io.stdout, result);
    return exitCode;
  }
  const colors = colorsFor(io.stdout, io.env);
  writeLines(io.stdout, [
    `${result.stopped > 0 ? 'stopped syncing' : 'synced'} ${home} to ${result.server}`,
    ...alignedRows(rows(result), { style: colors.dim }),
  ]);
  if (result.stopped > 0) {
    writeLines(io.stderr, [
      `agent-state: stopped with ${plural(result.stopped, 'thread')} still to push or remove; run \`agent-state sync\` again to go on`,
    ]);
  }
  return exitCode;
}

function rows(result: SyncResult): Array<[string, string]> {
  return [
    ['home id', result.homeId],
    ['threads', `${result.threads} here, ${result.unchanged} already there`],
    [
      'pushed',
      `${plural(result.pushed, 'thread')}, ${plural(result.documents, 'search document')}, ${plural(result.usageRecords, 'usage record')}`,
    ],
    ['removed', plural(result.deleted, 'thread')],
  ];
}
