import { archiveThread, unarchiveThread } from '@agent-state/rollout';
import { normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../exit-codes.js';
import { singleLine } from '../format.js';
import { type CliIo, colorsFor, writeJson, writeLines } from '../output.js';
import { withStore } from '../store-session.js';

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

export const THREADS_ARCHIVE_HELP = `
Moves the thread's rollout to archived_sessions/ (as Codex's \`thread/archive\` does) and marks it
archived in the store. Exits 3 when no rollout has that id, 1 when the thread is already archived.

Examples:
  $ agent-state --home ~/.codex threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads archive 01a1fca2-290e-7023-a2aa-62c446d63b1d --json
`;

export const THREADS_UNARCHIVE_HELP = `
Moves an archived thread's rollout back to sessions/YYYY/MM/DD/ (as Codex's \`thread/unarchive\`
does) and marks it active in the store. Exits 3 when no archived rollout has that id, 1 when the
thread is not archived.

Examples:
  $ agent-state --home ~/.codex threads unarchive 01a1fca2-22e1-7283-8765-3dcfddf60544
  $ agent-state threads unarchive 01a1fca2-22e1-7283-8765-3dcfddf60544 --json
`;

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
