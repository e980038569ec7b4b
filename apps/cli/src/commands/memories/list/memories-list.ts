import { homedir } from 'node:os';
import { resolve } from 'node:path';

import type { Stage1Output } from '@agent-state/state';

import { formatLocalTime, singleLine, tildePath, truncateEnd } from '../../../format.js';
import { type CliIo, colorsFor, terminalColumns, writeJson, writeLines } from '../../../output.js';
import { withStore } from '../../../store-session.js';

/**
 * What `agent-state memories list --json` prints: the cwd asked for (absolute) or `null`, and the
 * memories, newest first, as the store holds them (`Stage1Output`).
 *
 * @example
 * ```ts
 * const { memories } = JSON.parse(stdout) as MemoriesListReport;
 * console.log(memories[0]?.rolloutSummary);
 * ```
 */
export interface MemoriesListReport {
  cwd: string | null;
  memories: Stage1Output[];
}

/** Options of {@link runMemoriesList}. */
export interface RunMemoriesListOptions {
  home: string;
  cwd?: string | undefined;
  limit: number;
  json: boolean;
  io: CliIo;
}

/**
 * `agent-state memories list`: `store.memories.listStage1Outputs` with the disabled threads'
 * memories marked, as a table of two lines a memory (time, thread, slug, cwd; then the summary's
 * first line) or as JSON.
 */
export async function runMemoriesList(options: RunMemoriesListOptions): Promise<void> {
  const cwd = options.cwd === undefined ? undefined : resolve(options.cwd);
  const memories = await withStore(options.home, (store) =>
    store.memories.listStage1Outputs({ limit: options.limit, cwd, includeDisabled: true }),
  );
  if (options.json) {
    writeJson(options.io.stdout, { cwd: cwd ?? null, memories } satisfies MemoriesListReport);
    return;
  }
  if (memories.length === 0) {
    writeLines(options.io.stdout, [
      cwd === undefined
        ? 'no memories yet (`agent-state memories run` extracts them)'
        : `no memories of threads in ${cwd}`,
    ]);
    return;
  }
  const colors = colorsFor(options.io.stdout, options.io.env);
  const userHome = homedir();
  const columns = terminalColumns(options.io.stdout);
  const lines: string[] = [];
  for (const memory of memories) {
    const head = [
      formatLocalTime(memory.sourceUpdatedAt),
      memory.threadId,
      ...(memory.rolloutSlug ? [memory.rolloutSlug] : []),
      ...(memory.cwd === '' || cwd !== undefined ? [] : [tildePath(memory.cwd, userHome)]),
      ...(memory.memoryMode === 'disabled' ? [colors.yellow('(disabled)')] : []),
    ];
    lines.push(colors.bold(head.join('  ')));
    const summary = singleLine(memory.rolloutSummary.trim() || memory.rawMemory.trim());
    lines.push(`  ${columns === undefined ? summary : truncateEnd(summary, columns - 2)}`);
  }
  writeLines(options.io.stdout, lines);
}
