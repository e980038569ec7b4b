import { type ForgottenMemories, forgetMemories } from '@agent-state/memories';
import {
  type AgentStateStore,
  InvalidArgumentError,
  type MemoryThreadSelection,
  NotFoundError,
} from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import { plural } from '../../../format.js';
import { type CliIo, writeJson, writeLines } from '../../../output.js';
import { canAsk, confirm } from '../../../prompt.js';
import { withStore } from '../../../store-session.js';
import { describeSelection, threadSelection } from '../thread-selection.js';

/**
 * What `agent-state memories forget --json` prints: what `forgetMemories` did, and whether it
 * ran (`false` when the person said no; nothing else is set then).
 *
 * @example
 * ```ts
 * const report = JSON.parse(stdout) as MemoriesForgetReport;
 * if (report.forgotten) console.log(report.filesRemoved);
 * ```
 */
export type MemoriesForgetReport = ({ forgotten: true } & ForgottenMemories) | { forgotten: false };

/** Options of {@link runMemoriesForget}. */
export interface RunMemoriesForgetOptions {
  home: string;
  threadIds: readonly string[];
  cwd?: string | undefined;
  /** Forget without asking (required when there is no terminal to ask on). */
  yes: boolean;
  json: boolean;
  io: CliIo;
}

/** Outputs counted before asking: more than any home holds. */
const EVERY_OUTPUT = 1_000_000;

/**
 * `agent-state memories forget`: says what it is about to forget and asks on a terminal, then
 * runs `forgetMemories`. An unknown thread id is a `NotFoundError` (exit 3); without `--yes` and
 * without a terminal nothing is forgotten and the command exits 2.
 */
export async function runMemoriesForget(options: RunMemoriesForgetOptions): Promise<ExitCode> {
  const { io } = options;
  const selection = threadSelection(options.threadIds, options.cwd);
  if (!options.yes && !canAsk(io)) {
    throw new InvalidArgumentError(
      '--yes',
      'memories forget asks first and there is no terminal to ask on; pass --yes to forget without asking',
    );
  }
  const outcome = await withStore(options.home, async (store) => {
    if (!options.yes && !(await confirm(io, await question(store, selection)))) {
      return { forgotten: false as const };
    }
    return {
      forgotten: true as const,
      ...(await forgetMemories({ store, home: options.home, ...selection })),
    };
  });
  if (options.json) {
    writeJson(io.stdout, outcome satisfies MemoriesForgetReport);
    return ExitCode.Ok;
  }
  writeLines(io.stdout, render(selection, outcome));
  return ExitCode.Ok;
}

/**
 * How many stored memories a forget would take, and the question to ask: unknown thread ids
 * throw `NotFoundError` before anything is asked.
 */
async function question(store: AgentStateStore, selection: MemoryThreadSelection): Promise<string> {
  const outputs = await store.memories.listStage1Outputs({
    limit: EVERY_OUTPUT,
    includeDisabled: true,
    ...(selection.cwd !== undefined ? { cwd: selection.cwd } : {}),
  });
  let whose: string;
  let memories = outputs.length;
  if (selection.cwd !== undefined) {
    whose = `every thread of ${selection.cwd}`;
  } else {
    const found = await store.threads.getMany(selection.threadIds);
    const known = new Set(found.map((thread) => thread.id));
    const missing = selection.threadIds.filter((id) => !known.has(id));
    if (missing.length > 0) throw new NotFoundError(`thread ${missing[0]}`);
    whose = plural(known.size, 'thread');
    memories = outputs.filter((output) => known.has(output.threadId)).length;
  }
  return `Forget the memories of ${whose} (${plural(memories, 'stored memory', 'stored memories')})? They are disabled too; MEMORY.md, memory_summary.md and the skills are removed and rebuilt without them by the next \`agent-state memories run\`.`;
}

function render(selection: MemoryThreadSelection, outcome: MemoriesForgetReport): string[] {
  if (!outcome.forgotten) return ['nothing forgotten'];
  if (outcome.threadIds.length === 0) return [`no threads in ${selection.cwd ?? '(none given)'}`];
  const lines = [
    `forgot ${plural(outcome.outputs, 'stored memory', 'stored memories')} of ${describeSelection(selection, outcome.threadIds.length)}; ${outcome.threadIds.length === 1 ? 'it is' : 'they are'} disabled now`,
  ];
  if (outcome.filesRemoved.length > 0) {
    // Summaries are many and named by thread id: counted (`--json` lists them).
    const summaries = outcome.filesRemoved.filter((path) => path.startsWith('rollout_summaries/'));
    const others = outcome.filesRemoved.filter((path) => !summaries.includes(path));
    const removed = [
      ...others,
      ...(summaries.length > 0
        ? [plural(summaries.length, 'rollout summary', 'rollout summaries')]
        : []),
    ];
    lines.push(`removed from ${outcome.root}: ${removed.join(', ')}`);
  }
  if (outcome.filesRewritten.length > 0) {
    lines.push(`rewritten without them: ${outcome.filesRewritten.join(', ')}`);
  }
  if (outcome.rebuildRequested) {
    lines.push(
      'the next `agent-state memories run` rebuilds MEMORY.md, memory_summary.md and the skills from the memories left',
    );
  }
  return lines;
}
