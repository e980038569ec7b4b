import type { AgentStateStore } from '@agent-state/state';

import { rolloutTwinPath } from '../paths/rollout-paths.js';
import { type CollectProblem, type CollectedRollout, collectRollouts } from './collect-rollouts.js';

/**
 * Generation of the rules {@link runBackfill} collects rollouts by, recorded in the store with
 * its checkpoints and completion. `1`: plain `rollout-*.jsonl` only (releases before compressed
 * rollouts); `2`: compressed `rollout-*.jsonl.zst` too. A backfill completed under an older
 * generation is completed again by the next run, which indexes only the rollouts missing from the
 * store.
 *
 * @example
 * ```ts
 * const { status, generation } = await store.backfill.get();
 * if (status === 'complete' && generation < BACKFILL_GENERATION) console.log('run `agent-state backfill`');
 * ```
 */
export const BACKFILL_GENERATION = 2;

/**
 * What {@link findUnindexedRollouts} found.
 *
 * @example
 * ```ts
 * const { files, total } = await findUnindexedRollouts({ store });
 * console.log(`${files.length} of ${total} rollouts are not in the store`);
 * ```
 */
export interface UnindexedRollouts {
  /** Rollouts of the home no thread of the store points to, in watermark order. */
  files: CollectedRollout[];
  /** Rollouts in the home. */
  total: number;
  /** Folders that could not be listed (their rollouts are neither counted nor listed). */
  problems: CollectProblem[];
}

/**
 * Lists the rollouts of a home that no row of the store points to: the work left after a
 * backfill completed under an older {@link BACKFILL_GENERATION}, and what `doctor` reports as
 * "rollouts not in the store". A rollout counts as indexed when a row holds its path or the path
 * of its other name (`.jsonl` for `.jsonl.zst` and back: Codex compresses and materializes files
 * under rows that keep the name they had). Reads no rollout, only folder listings and the rows'
 * paths.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const { files } = await findUnindexedRollouts({ store });
 * for (const file of files.slice(0, 10)) console.log(file.path);
 * ```
 */
export async function findUnindexedRollouts(options: {
  store: AgentStateStore;
  /** Default: the store's home. */
  home?: string | undefined;
}): Promise<UnindexedRollouts> {
  const { store } = options;
  const { files, problems } = await collectRollouts(options.home ?? store.home);
  const indexed = await store.threads.rolloutPaths();
  const unindexed = files.filter(
    (file) => !indexed.has(file.path) && !indexed.has(rolloutTwinPath(file.path)),
  );
  return { files: unindexed, total: files.length, problems };
}
