import { homedir } from 'node:os';
import { resolve } from 'node:path';

import { type ListedThread, type ThreadListPage, listThreads } from '@agent-state/rollout';
import {
  type AgentStateStore,
  type ThreadSortKey,
  errorCategory,
  openStateStore,
  toAgentStateError,
} from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import {
  displayWidth,
  formatLocalTime,
  padEnd,
  shellQuote,
  singleLine,
  threadPlace,
  truncateEnd,
  truncateStart,
} from '../../../format.js';
import {
  type CliIo,
  type Colors,
  type OutputStream,
  colorsFor,
  oneLine,
  writeJson,
  writeLines,
} from '../../../output.js';
import type { SharedStoreChoice } from '../../../remote-store-options.js';
import { withSharedStore } from '../../../remote-store-session.js';
import { requireHome } from '../../../store-session.js';

/**
 * What `agent-state threads list --json` prints: one page of threads, newest first, with the
 * cursor of the next page (`null` on the last) and where the page came from (`store`, or `files`
 * when the store could not answer and the rollouts were listed directly).
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['threads', 'list', '--json'], { encoding: 'utf8' });
 * const page = JSON.parse(stdout) as ThreadsListReport;
 * for (const thread of page.items) console.log(thread.id, thread.name ?? thread.preview);
 * ```
 */
export interface ThreadsListReport {
  items: ListedThread[];
  nextCursor: string | null;
  source: ThreadListPage['source'];
}

/** Options of {@link runThreadsList}. */
export interface RunThreadsListOptions {
  home: string;
  json: boolean;
  io: CliIo;
  archived: boolean;
  sortKey: ThreadSortKey;
  sources: readonly string[];
  modelProviders: readonly string[];
  /** Working directories, resolved against the current directory. */
  cwds: readonly string[];
  limit: number;
  cursor?: string | undefined;
  /** Read the shared store (across its homes) instead of this home's. */
  shared?: SharedStoreChoice | undefined;
}

/** The table's width off a terminal (a terminal's own width is used on one). */
const DEFAULT_TABLE_WIDTH = 120;

/**
 * Lists one page of threads and prints it (a table, or one JSON document). When the store cannot
 * be opened (corrupt, too new, locked…), the rollouts are listed directly and stderr says so.
 */
export async function runThreadsList(options: RunThreadsListOptions): Promise<ExitCode> {
  const { io, home } = options;
  const stderrColors = colorsFor(io.stderr, io.env);
  const note = (text: string) =>
    writeLines(io.stderr, [`${stderrColors.yellow('agent-state:')} ${text}`]);
  const listOptions = {
    home,
    pageSize: options.limit,
    cursor: options.cursor,
    sortKey: options.sortKey,
    archived: options.archived,
    sources: options.sources,
    modelProviders: options.modelProviders,
    cwds: options.cwds.map((cwd) => resolve(cwd)),
  };
  if (options.shared) {
    const { target, selection } = options.shared;
    const page = await withSharedStore(target, home, selection, (store) =>
      listThreads({ ...listOptions, store, shared: true }),
    );
    printPage(page, options);
    return ExitCode.Ok;
  }
  requireHome(home);

  let store: AgentStateStore | null = null;
  try {
    store = await openStateStore({ home, integrityCheck: false });
  } catch (error) {
    // A store that cannot be opened (corrupt, too new, locked…) still leaves the rollouts.
    if (errorCategory(error) !== 'store') throw error;
    const { message } = toAgentStateError(error);
    note(`cannot use the store (${oneLine(message)}); listing the rollouts directly`);
  }

  let page: ThreadListPage;
  try {
    page = await listThreads({ ...listOptions, store });
  } finally {
    await store?.close();
  }

  if (page.source === 'files' && page.fallbackReason === 'backfill-incomplete') {
    note(
      'the store is not indexed yet: listing the rollouts directly (run `agent-state backfill`)',
    );
  } else if (page.source === 'files' && page.fallbackReason === 'store-error') {
    note(
      'the store could not answer: listing the rollouts directly (`agent-state doctor` tells why)',
    );
  }
  if (page.droppedStale > 0) {
    note(
      `dropped ${page.droppedStale} stale row(s) whose rollout is gone (\`agent-state reconcile\` checks them all)`,
    );
  }

  printPage(page, options);
  return ExitCode.Ok;
}

/** The page on stdout (a table, or one JSON document), and the next page's cursor on stderr. */
function printPage(page: ThreadListPage, options: RunThreadsListOptions): void {
  const { io } = options;
  if (options.json) {
    const report: ThreadsListReport = {
      items: page.items,
      nextCursor: page.nextCursor,
      source: page.source,
    };
    writeJson(io.stdout, report);
  } else {
    const colors = colorsFor(io.stdout, io.env);
    writeLines(
      io.stdout,
      renderThreadTable(page.items, {
        colors,
        width: tableWidth(io.stdout),
        sortKey: options.sortKey,
        userHome: homedir(),
        archived: options.archived,
      }),
    );
  }
  if (page.nextCursor !== null) {
    writeLines(io.stderr, [`next page: --cursor ${shellQuote(page.nextCursor)}`]);
  }
}

function tableWidth(stream: OutputStream): number {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0
    ? stream.columns
    : DEFAULT_TABLE_WIDTH;
}

/** Options of {@link renderThreadTable}. */
export interface ThreadTableOptions {
  colors: Colors;
  /** Total width of a row, in columns. */
  width: number;
  /** Which time the first column shows (the one the list is sorted by). */
  sortKey: ThreadSortKey;
  /** Shown as `~` in working directories. */
  userHome?: string | undefined;
  archived?: boolean | undefined;
}

const TIME_WIDTH = 16;
const ID_WIDTH = 36;
const GAP = '  ';
const TEXT_HEADER = 'name or first message';
/** Below this room for text and directory, the directory column is left out. */
const MIN_ROOM_WITH_CWD = 48;

/**
 * The thread table: time (local, of the sort key), full id (what `threads show` takes), the name
 * or else the first message on one line, and the working directory with `~` for the user's home;
 * cut to `width` columns.
 */
export function renderThreadTable(
  items: readonly ListedThread[],
  options: ThreadTableOptions,
): string[] {
  const { colors } = options;
  if (items.length === 0) {
    return [colors.dim(options.archived === true ? 'no archived threads' : 'no threads')];
  }
  const rows = items.map((thread) => ({
    time: formatLocalTime(options.sortKey === 'updated' ? thread.updatedAt : thread.createdAt),
    id: thread.id,
    named: thread.name !== null,
    text: singleLine(thread.name ?? thread.preview),
    cwd: singleLine(threadPlace(thread, options.userHome)),
  }));
  const fixed = TIME_WIDTH + ID_WIDTH + GAP.length * 2;
  const room = Math.max(20, options.width - fixed);
  const widestText = Math.max(TEXT_HEADER.length, ...rows.map((row) => displayWidth(row.text)));
  const widestCwd = Math.max(3, ...rows.map((row) => displayWidth(row.cwd)));
  // The directory only when the text keeps a useful width (not on narrow terminals). Both whole
  // when they fit; otherwise the directory gets up to half (cut from the left, where paths tell
  // least) and the text the rest.
  const showCwd = room - GAP.length >= MIN_ROOM_WITH_CWD;
  const cwdRoom = room - GAP.length;
  const cwdWidth = showCwd
    ? Math.min(widestCwd, Math.max(12, Math.floor(cwdRoom * 0.5), cwdRoom - widestText))
    : 0;
  const textWidth = showCwd
    ? Math.max(8, Math.min(widestText, cwdRoom - cwdWidth))
    : Math.min(widestText, room);

  const header = [
    padEnd(options.sortKey, TIME_WIDTH),
    padEnd('id', ID_WIDTH),
    showCwd ? padEnd(TEXT_HEADER, textWidth) : TEXT_HEADER,
    ...(showCwd ? ['cwd'] : []),
  ].join(GAP);
  const lines = [colors.dim(header.trimEnd())];
  for (const row of rows) {
    const plain = row.text === '' ? '(no message)' : truncateEnd(row.text, textWidth);
    const styled = row.text === '' ? colors.dim(plain) : row.named ? colors.bold(plain) : plain;
    const textPad = showCwd ? ' '.repeat(Math.max(0, textWidth - displayWidth(plain))) : '';
    const cells = [
      colors.dim(padEnd(row.time, TIME_WIDTH)),
      padEnd(row.id, ID_WIDTH),
      `${styled}${textPad}`,
    ];
    if (showCwd) cells.push(truncateStart(row.cwd, cwdWidth));
    lines.push(cells.join(GAP).trimEnd());
  }
  return lines;
}
