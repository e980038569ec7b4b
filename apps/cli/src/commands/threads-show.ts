import { type ListedThread, findThread, findThreadName } from '@agent-state/rollout';
import { NotFoundError, normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../exit-codes.js';
import { formatIsoTime, formatLocalTime, singleLine } from '../format.js';
import {
  type CliIo,
  type Colors,
  alignedRows,
  colorsFor,
  writeJson,
  writeLines,
} from '../output.js';
import { withStore } from '../store-session.js';

/** Options of {@link runThreadsShow}. */
export interface RunThreadsShowOptions {
  home: string;
  id: string;
  json: boolean;
  io: CliIo;
}

export const THREADS_SHOW_HELP = `
Shows everything the store knows about one thread: its metadata, its user-set name (from
session_index.jsonl) and its rollout file. A thread the store does not know yet is found among the
rollouts and indexed. Exits 3 when no rollout has that id.

Examples:
  $ agent-state --home ~/.codex threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state threads show 01a1fca2-290e-7023-a2aa-62c446d63b1d --json | jq .rolloutPath
`;

/**
 * Finds a thread (store first, then the rollouts) and prints it; `NotFoundError` (exit 3) when
 * there is no rollout with that id. JSON: the thread as `threads list` items carry it.
 */
export async function runThreadsShow(options: RunThreadsShowOptions): Promise<ExitCode> {
  const { io, home } = options;
  const id = normalizeThreadId(options.id, 'id');
  const thread = await withStore(home, async (store): Promise<ListedThread> => {
    const found = await findThread({ home, store, id });
    if (!found) throw new NotFoundError(`thread ${id}`);
    const name = (await findThreadName({ home, threadId: id })) ?? null;
    return { ...found.metadata, name, preview: found.metadata.firstUserMessage ?? '' };
  });
  if (options.json) writeJson(io.stdout, thread);
  else writeLines(io.stdout, renderThread(thread, colorsFor(io.stdout, io.env)));
  return ExitCode.Ok;
}

/** Every field of a thread as aligned rows, times in local time with UTC beside them. */
export function renderThread(thread: ListedThread, colors: Colors): string[] {
  const none = colors.dim('none');
  const text = (value: string | null) =>
    value === null || value === '' ? none : singleLine(value);
  const time = (seconds: number) =>
    `${formatLocalTime(seconds, { seconds: true })} ${colors.dim(`(${formatIsoTime(seconds)})`)}`;
  const rows: Array<[string, string]> = [
    ['id', thread.id],
    ['name', text(thread.name)],
    ['title', text(thread.title)],
    ['first message', text(thread.firstUserMessage)],
    ['created', time(thread.createdAt)],
    ['updated', time(thread.updatedAt)],
    ['archived', thread.archivedAt === null ? colors.dim('no') : time(thread.archivedAt)],
    ['source', text(thread.source)],
    ['model provider', text(thread.modelProvider)],
    ['cwd', text(thread.cwd)],
    ['cli version', text(thread.cliVersion)],
    ['sandbox policy', text(thread.sandboxPolicy)],
    ['approval mode', text(thread.approvalMode)],
    ['tokens used', String(thread.tokensUsed)],
    ['git sha', text(thread.gitSha)],
    ['git branch', text(thread.gitBranch)],
    ['git origin', text(thread.gitOriginUrl)],
    ['rollout', singleLine(thread.rolloutPath)],
  ];
  return alignedRows(rows, { indent: '', style: colors.dim });
}
