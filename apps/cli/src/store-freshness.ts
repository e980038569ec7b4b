import { type ReindexResult, listThreads } from '@agent-state/rollout';
import type { AgentStateStore } from '@agent-state/state';

import { backfillWithProgress } from './commands/backfill/backfill.js';
import type { CliIo } from './output.js';
import { StatusLine, progressBar } from './status-line.js';

/**
 * Commands that answer from the store's indexes (`search`, `usage`) bring it up to date first:
 * a home whose backfill never completed is indexed, with its progress on stderr (a first search
 * or usage report must not find nothing). Another process running the backfill is not waited
 * for: the command's coverage note says what was not seen.
 */
export async function backfillFirst(store: AgentStateStore, io: CliIo): Promise<void> {
  if ((await store.backfill.get()).status === 'complete') return;
  const line = new StatusLine({ stream: io.stderr });
  try {
    await backfillWithProgress(store, {}, line);
  } finally {
    line.clear();
  }
}

/**
 * The first page of a listing checks the newest rollouts against the store and indexes those it
 * does not know yet (`listThreads`' freshness check, the way `threads list` sees new threads), so
 * a session written since the backfill is seen too. Only once the backfill completed: before
 * that, a listing reads every rollout.
 */
export async function indexNewestRollouts(
  store: AgentStateStore,
  home: string,
  archived: boolean | 'all',
): Promise<void> {
  if ((await store.backfill.get()).status !== 'complete') return;
  const scopes = archived === 'all' ? [false, true] : [archived];
  for (const scope of scopes) {
    await listThreads({ home, store, pageSize: 1, archived: scope, names: false });
  }
}

/**
 * Runs a reindexing (`reindexSearch`, `reindexUsage`) of `total` threads, its progress drawn on
 * stderr on a terminal: `indexing for <what> [####......] 120/500 threads`.
 */
export async function reindexWithProgress(
  io: CliIo,
  what: string,
  total: number,
  run: (onProgress: (progress: { done: number; failed: number }) => void) => Promise<ReindexResult>,
): Promise<ReindexResult> {
  const line = new StatusLine({ stream: io.stderr });
  const draw = (done: number, failed: number, force = false) =>
    line.draw(
      `indexing for ${what} ${progressBar(done + failed, total)} ${done + failed}/${total} threads${failed > 0 ? `  ${failed} failed` : ''}`,
      { force },
    );
  try {
    if (total > 0) draw(0, 0, true);
    return await run(({ done, failed }) => draw(done, failed));
  } finally {
    line.clear();
  }
}
