import { runBackfill } from '@agent-state/rollout';
import { openStateStore } from '@agent-state/state';
import { type TempDirs, copyCodexHome } from '@agent-state/test-utils';

/** The thread of the v0.169.0 fixture home that runs `echo hi` (its output: `hi`). */
export const ECHO_THREAD_ID = '01a1fca2-4d0c-7883-b67e-ad58b7675481';

/**
 * A copy of the v0.169.0 fixture home (real Codex sessions), backfilled into a store unless
 * `backfill` is false (a home without a store).
 */
export async function fixtureHome(
  temp: TempDirs,
  options: { backfill?: boolean } = {},
): Promise<string> {
  const home = copyCodexHome('v0.169.0', temp.make('web-home'));
  if (options.backfill === false) return home;
  const store = await openStateStore({ home });
  try {
    const result = await runBackfill({ store, workers: 0 });
    if (result.outcome !== 'complete') throw new Error(`backfill ended ${result.outcome}`);
  } finally {
    await store.close();
  }
  return home;
}
