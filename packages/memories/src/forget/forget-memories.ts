import {
  type AgentStateStore,
  type ForgetMemoriesResult,
  type Logger,
  type MemoryThreadSelection,
  noopLogger,
} from '@agent-state/state';

import { rebuildPhase1Artifacts } from '../artifacts/phase1-artifacts.js';
import { memoriesRoot } from '../layout/memory-layout.js';
import { pathEntry } from '../layout/path-entry.js';
import { MEMORIES_DEFAULTS } from '../pipeline/run-memories.js';
import { ConsolidationOutputs } from '../phase2/consolidation-outputs.js';
import { clearRebuildRequest, rebuildRequest, requestRebuild } from './rebuild-marker.js';

/**
 * Options of {@link forgetMemories}: the threads (`threadIds`, or every thread of `cwd`), the
 * store, and where the memories are.
 *
 * @example
 * ```ts
 * const options: ForgetMemoriesOptions = { store, cwd: '/home/me/src/secret-project' };
 * ```
 */
export type ForgetMemoriesOptions = MemoryThreadSelection & {
  store: AgentStateStore;
  /** Default: the store's home. */
  home?: string | undefined;
  /** Default: `<home>/memories`. */
  root?: string | undefined;
  logger?: Logger | undefined;
};

/**
 * What {@link forgetMemories} did: the store's part (threads, outputs and jobs deleted, phase 2
 * made dirty) and the files' (consolidated files removed, evidence rewritten, a rebuild asked for).
 *
 * @example
 * ```ts
 * const { threadIds, outputs, filesRemoved, rebuildRequested } = await forgetMemories({ store, threadIds: [id] });
 * ```
 */
export interface ForgottenMemories extends ForgetMemoriesResult {
  /** The memories root. */
  root: string;
  /**
   * Files removed, relative to the root: the consolidated files (`MEMORY.md`, `memory_summary.md`,
   * `skills/…`) until the rebuild, and the `rollout_summaries/<thread id>.md` no longer in the
   * evidence (the forgotten threads', and those of threads disabled since the last consolidation).
   */
  filesRemoved: string[];
  /** Evidence files rewritten without the threads (`raw_memories.md`), relative to the root. */
  filesRewritten: string[];
  /**
   * Whether the next consolidation rebuilds the memory from the evidence left (true once a
   * forgotten thread had a memory, until that consolidation succeeds).
   */
  rebuildRequested: boolean;
}

/**
 * Forgets threads' memories, in the store and on disk:
 * - the store (`store.memories.forget`, one transaction): their stage-1 outputs and jobs are
 *   deleted and they are disabled, so phase 1 never extracts them again; phase 2 becomes dirty;
 * - the evidence: their `rollout_summaries/<thread id>.md` go and `raw_memories.md` is rebuilt
 *   from the store without them;
 * - the consolidated memory: what `MEMORY.md`, `memory_summary.md` and the skills took from them
 *   cannot be picked out, so, when one of them had a memory, those files are removed now (no new
 *   session is told what was forgotten) and the next consolidation (`agent-state memories run`)
 *   builds them again from the evidence left.
 *
 * The rebuild is asked for (a marker file in the root) before the store changes, so a crash in
 * between costs at most a needless rebuild. Unknown thread ids throw `NotFoundError` and change
 * nothing. A consolidation running meanwhile is redone by the next one.
 *
 * @example
 * ```ts
 * const forgotten = await forgetMemories({ store, cwd: '/home/me/src/secret-project' });
 * console.log(`forgot ${forgotten.outputs} memories of ${forgotten.threadIds.length} threads`);
 * ```
 */
export async function forgetMemories(options: ForgetMemoriesOptions): Promise<ForgottenMemories> {
  const { store } = options;
  const root = options.root ?? memoriesRoot(options.home ?? store.home);
  const logger = (options.logger ?? store.logger ?? noopLogger).child({
    target: 'agent_state::memories',
  });
  const selection: MemoryThreadSelection =
    options.cwd !== undefined ? { cwd: options.cwd } : { threadIds: options.threadIds ?? [] };
  const hasRoot = (await pathEntry(root))?.isDirectory() === true;
  // Asked for first; taken back when nothing was forgotten, unless it was there already.
  const earlier = hasRoot ? await rebuildRequest(root) : undefined;
  const token = hasRoot ? await requestRebuild(root) : undefined;
  const takeBack = async () => {
    if (token === undefined) return;
    if (earlier === undefined) await clearRebuildRequest(root, token);
    else await requestRebuild(root, earlier);
  };
  let forgotten: ForgetMemoriesResult;
  try {
    forgotten = await store.memories.forget(selection);
  } catch (error) {
    await takeBack();
    throw error;
  }
  const result: ForgottenMemories = {
    ...forgotten,
    root,
    filesRemoved: [],
    filesRewritten: [],
    rebuildRequested: false,
  };
  if (forgotten.outputs === 0) {
    await takeBack();
  } else if (hasRoot) {
    const consolidated = await ConsolidationOutputs.read(root);
    await consolidated.setAside();
    const outputs = await store.memories.listStage1Outputs({
      limit: MEMORIES_DEFAULTS.maxOutputsForConsolidation,
    });
    const changes = await rebuildPhase1Artifacts({ root, outputs });
    result.filesRemoved = [...consolidated.paths, ...changes.removed].sort();
    result.filesRewritten = changes.written.filter((path) => !path.includes('/'));
  }
  result.rebuildRequested = hasRoot && (await rebuildRequest(root)) !== undefined;
  logger.info('memories forgotten', {
    threads: forgotten.threadIds.length,
    outputs: forgotten.outputs,
    jobs: forgotten.jobs,
    filesRemoved: result.filesRemoved.length,
  });
  return result;
}
