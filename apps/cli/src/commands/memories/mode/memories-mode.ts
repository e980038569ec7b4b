import type { MemoryMode, MemoryModeChange } from '@agent-state/state';

import { plural } from '../../../format.js';
import { type CliIo, writeJson, writeLines } from '../../../output.js';
import { withStore } from '../../../store-session.js';
import { describeSelection, threadSelection } from '../thread-selection.js';

/**
 * What `agent-state memories enable|disable --json` prints: the mode set, the threads selected
 * (in id order) and how many of them changed.
 *
 * @example
 * ```ts
 * const { threadIds, changed } = JSON.parse(stdout) as MemoriesModeReport;
 * ```
 */
export interface MemoriesModeReport extends MemoryModeChange {
  mode: MemoryMode;
}

/** Options of {@link runMemoriesMode}. */
export interface RunMemoriesModeOptions {
  home: string;
  mode: MemoryMode;
  threadIds: readonly string[];
  cwd?: string | undefined;
  json: boolean;
  io: CliIo;
}

/**
 * `agent-state memories enable|disable`: `store.memories.setMemoryMode` for thread ids or a cwd.
 * An unknown id is a `NotFoundError` (exit 3) and changes nothing.
 */
export async function runMemoriesMode(options: RunMemoriesModeOptions): Promise<void> {
  const selection = threadSelection(options.threadIds, options.cwd);
  const change = await withStore(options.home, (store) =>
    store.memories.setMemoryMode({ ...selection, mode: options.mode }),
  );
  if (options.json) {
    writeJson(options.io.stdout, { mode: options.mode, ...change } satisfies MemoriesModeReport);
    return;
  }
  const selected = describeSelection(selection, change.threadIds.length);
  const verb = options.mode === 'disabled' ? 'disabled' : 'enabled';
  const already = change.threadIds.length - change.changed;
  writeLines(options.io.stdout, [
    change.threadIds.length === 0
      ? `no threads in ${selection.cwd ?? '(none given)'}`
      : `memories ${verb} for ${selected}${already > 0 ? ` (${plural(already, 'was', 'were')} ${verb} already)` : ''}`,
  ]);
}
