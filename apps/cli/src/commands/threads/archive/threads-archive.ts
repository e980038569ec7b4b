import { archiveThread, unarchiveThread } from '@agent-state/rollout';
import { normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import { singleLine } from '../../../format.js';
import { type CliIo, colorsFor, writeJson, writeLines } from '../../../output.js';
import { withStore } from '../../../store-session.js';

/**
 * What `agent-state threads archive|unarchive <id> --json` prints: the thread and where its
 * rollout moved from and to.
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['threads', 'archive', id, '--json'], { encoding: 'utf8' });
 * const { to } = JSON.parse(stdout) as ThreadMoveReport;
 * ```
 */
export interface ThreadMoveReport {
  id: string;
  from: string;
  to: string;
}

/** Options of {@link runThreadsArchive}. */
export interface RunThreadsArchiveOptions {
  home: string;
  id: string;
  /** `archive` moves the rollout to `archived_sessions/`, `unarchive` back to `sessions/`. */
  direction: 'archive' | 'unarchive';
  json: boolean;
  io: CliIo;
}

/**
 * Archives or unarchives a thread and prints where its rollout went. An unknown id is a
 * `NotFoundError` (exit 3); a refused move (`ArchiveRefusedError`: already archived, not archived,
 * outside the home, …) exits 1 with its message.
 */
export async function runThreadsArchive(options: RunThreadsArchiveOptions): Promise<ExitCode> {
  const { io, home } = options;
  const id = normalizeThreadId(options.id, 'id');
  const move = await withStore(home, (store) => {
    const run = options.direction === 'archive' ? archiveThread : unarchiveThread;
    return run({ home, threadId: id, store, clock: store.clock, logger: store.logger });
  });
  const report: ThreadMoveReport = { id, from: move.from, to: move.to };
  if (options.json) {
    writeJson(io.stdout, report);
  } else {
    const colors = colorsFor(io.stdout, io.env);
    const done = options.direction === 'archive' ? 'archived' : 'unarchived';
    writeLines(io.stdout, [
      `${colors.green(done)} ${id}`,
      `  ${colors.dim('now at')} ${singleLine(move.to)}`,
    ]);
  }
  return ExitCode.Ok;
}
