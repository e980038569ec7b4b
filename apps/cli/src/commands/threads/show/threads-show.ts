import {
  type ListedThread,
  findThread,
  findThreadName,
  toListedThread,
} from '@agent-state/rollout';
import { NotFoundError, type ThreadMetadata, normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import { formatIsoTime, formatLocalTime, singleLine } from '../../../format.js';
import {
  type CliIo,
  type Colors,
  alignedRows,
  colorsFor,
  writeJson,
  writeLines,
} from '../../../output.js';
import type { SharedStoreChoice } from '../../../remote-store-options.js';
import { withSharedStore } from '../../../remote-store-session.js';
import { withStore } from '../../../store-session.js';
import {
  type ConversationWindow,
  DEFAULT_CONTEXT,
  readConversationWindow,
  renderConversationWindow,
  windowAround,
} from './conversation-window.js';

/**
 * What `agent-state threads show <id> --json` prints: the thread as `threads list` items carry it
 * (a sub-agent's `parentThreadId`, `agentNickname`, `agentRole`; a fork's `forkedFromId`), and
 * the sub-agent threads it spawned, oldest first. With `--at <line>`, the conversation around that
 * rollout line too (`at`, `documents`, `match`: see {@link ConversationWindow}).
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['threads', 'show', id, '--json'], { encoding: 'utf8' });
 * const shown = JSON.parse(stdout) as ThreadShowReport;
 * for (const child of shown.subAgents) console.log(child.id, child.agentNickname);
 * ```
 */
export interface ThreadShowReport extends ListedThread, Partial<ConversationWindow> {
  subAgents: SubAgentSummary[];
}

/**
 * A sub-agent thread as `threads show` of its parent lists it.
 *
 * @example
 * ```ts
 * const child: SubAgentSummary = shown.subAgents[0]!;
 * console.log(`${child.agentNickname ?? child.id}: ${child.preview}`);
 * ```
 */
export interface SubAgentSummary {
  id: string;
  agentNickname: string | null;
  agentRole: string | null;
  preview: string;
  createdAt: number;
  archived: boolean;
}

/** Options of {@link runThreadsShow}. */
export interface RunThreadsShowOptions {
  home: string;
  id: string;
  json: boolean;
  io: CliIo;
  /** A rollout line: show the conversation around it too. */
  at?: number | undefined;
  /** With `at`: documents shown on each side of it (default {@link DEFAULT_CONTEXT}). */
  context?: number | undefined;
  /** Read the thread from the shared store (across its homes) instead of this home's. */
  shared?: SharedStoreChoice | undefined;
}

/**
 * Finds a thread (store first, then the rollouts) and prints it with the sub-agents it spawned;
 * `NotFoundError` (exit 3) when there is no rollout with that id. With `at`, the conversation
 * around that rollout line follows (a line beyond the end of the rollout exits 2). JSON:
 * {@link ThreadShowReport}.
 */
export async function runThreadsShow(options: RunThreadsShowOptions): Promise<ExitCode> {
  const { io, home } = options;
  const id = normalizeThreadId(options.id, 'id');
  const context = options.context ?? DEFAULT_CONTEXT;
  let report: ThreadShowReport;
  let window: ConversationWindow | undefined;
  if (options.shared) {
    // Its rollout may be on another machine: the row and the stored conversation are what there is.
    const { target, selection } = options.shared;
    [report, window] = await withSharedStore(target, home, selection, async (store) => {
      const thread = await store.threads.get(id);
      if (!thread) throw new NotFoundError(`thread ${id} in ${store.path}`);
      const subAgents = await store.threads.listSubAgents(id);
      const shown = { ...toListedThread(thread, null), subAgents: subAgents.map(summaryOf) };
      const at = options.at;
      return [
        shown,
        at === undefined ? undefined : windowAround(await store.search.documents(id), at, context),
      ] as const;
    });
  } else {
    report = await withStore(home, async (store): Promise<ThreadShowReport> => {
      const found = await findThread({ home, store, id });
      if (!found) throw new NotFoundError(`thread ${id}`);
      const name = (await findThreadName({ home, threadId: id })) ?? null;
      const subAgents = await store.threads.listSubAgents(id);
      return { ...toListedThread(found.metadata, name), subAgents: subAgents.map(summaryOf) };
    });
    window =
      options.at === undefined
        ? undefined
        : await readConversationWindow({ path: report.rolloutPath, at: options.at, context });
  }
  if (options.json) {
    writeJson(io.stdout, { ...report, ...window });
    return ExitCode.Ok;
  }
  const colors = colorsFor(io.stdout, io.env);
  const lines = renderThread(report, colors);
  if (window !== undefined) lines.push('', ...renderConversationWindow(window, colors));
  writeLines(io.stdout, lines);
  return ExitCode.Ok;
}

function summaryOf(thread: ThreadMetadata): SubAgentSummary {
  return {
    id: thread.id,
    agentNickname: thread.agentNickname,
    agentRole: thread.agentRole,
    preview: thread.firstUserMessage ?? '',
    createdAt: thread.createdAt,
    archived: thread.archivedAt !== null,
  };
}

/**
 * Every field of a thread as aligned rows, times in local time with UTC beside them; then the
 * sub-agents it spawned, one per line.
 */
export function renderThread(
  thread: ListedThread & { subAgents?: readonly SubAgentSummary[] | undefined },
  colors: Colors,
): string[] {
  const none = colors.dim('none');
  const text = (value: string | null) =>
    value === null || value === '' ? none : singleLine(value);
  const time = (seconds: number) =>
    `${formatLocalTime(seconds, { seconds: true })} ${colors.dim(`(${formatIsoTime(seconds)})`)}`;
  const kind =
    thread.sourceKind === null || thread.sourceKind === thread.source
      ? ''
      : ` ${colors.dim(`(${thread.sourceKind})`)}`;
  const rows: Array<[string, string]> = [
    ['id', thread.id],
    ['name', text(thread.name)],
    ['title', text(thread.title)],
    ['first message', text(thread.firstUserMessage)],
    ['created', time(thread.createdAt)],
    ['updated', time(thread.updatedAt)],
    ['archived', thread.archivedAt === null ? colors.dim('no') : time(thread.archivedAt)],
    ['source', `${text(thread.source)}${kind}`],
  ];
  if (thread.threadSource !== null) rows.push(['thread source', text(thread.threadSource)]);
  if (thread.parentThreadId !== null) rows.push(['parent thread', thread.parentThreadId]);
  if (thread.parentThreadId !== null || thread.agentNickname !== null) {
    rows.push(['agent nickname', text(thread.agentNickname)]);
    rows.push(['agent role', text(thread.agentRole)]);
  }
  if (thread.forkedFromId !== null) rows.push(['forked from', thread.forkedFromId]);
  rows.push(
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
  );
  if (thread.origin) {
    rows.push(
      ['host', thread.origin.host],
      ['home', `${singleLine(thread.origin.homePath)} (${thread.origin.homeId})`],
    );
  }
  const subAgents = thread.subAgents ?? [];
  if (subAgents.length > 0) {
    rows.push(['sub-agents', String(subAgents.length)]);
    for (const child of subAgents) {
      const who = [child.agentNickname, child.agentRole && `(${child.agentRole})`]
        .filter(Boolean)
        .join(' ');
      const label = [who, child.preview && singleLine(child.preview)].filter(Boolean).join(': ');
      rows.push(['', `${child.id}${label === '' ? '' : `  ${label}`}`]);
    }
  }
  return alignedRows(rows, { indent: '', style: colors.dim });
}
