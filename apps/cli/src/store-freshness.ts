import { listThreads } from '@agent-state/rollout';
import type { AgentStateStore } from '@agent-state/state';

import { backfillWithProgress } from './commands/backfill/backfill.js';
import type { CliIo } from './output.js';
import { StatusLine } from './status-line.js';

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
