import { type ListedThread, formatCount } from '@agent-state/rollout';
import type { Child, FC } from 'hono/jsx';

import { FactList } from '../components/fact-list.js';
import { renderDocument } from '../components/render-html.js';
import { StoredTurns, storedTurns } from '../components/stored-conversation.js';
import { formatUnixTime } from '../format/format-time.js';
import { threadTitle } from '../format/thread-title.js';
import type { SharedStoreDescription } from '../server/shared-store.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { Notice } from './notices.js';
import { threadHref } from './page-url.js';
import { type ProjectMemories, ProjectMemoriesSection } from './project-memories.js';
import type { SharedThreadView } from './shared-thread.js';
import { Pagination } from './transcript-pagination.js';
import { pageToShow, transcriptPages } from './transcript-paging.js';

/** The machine a thread of a shared store is on, as the page names it. */
function hostOf(thread: ListedThread): string {
  return thread.origin?.host ?? 'another machine';
}

/**
 * `/threads/<id>` of a thread whose rollout is not here (a shared store's thread of another
 * machine, or of this home once its rollout is gone): its facts with its host and home, a notice
 * that the full transcript is on that host (and why no download is offered), the recent memories
 * of its project (`memories`, when its cwd is known), and the conversation the store holds, paged
 * like a transcript (`?page=`, `?line=`).
 */
export function storedThreadPage(
  context: WebContext,
  shared: SharedStoreDescription,
  view: Extract<SharedThreadView, { kind: 'stored' }>,
  params: URLSearchParams,
  memories: ProjectMemories | undefined,
): string {
  const { thread } = view;
  const turns = storedTurns(thread.id, view.documents);
  const cut = transcriptPages(turns);
  const page = pageToShow(cut, thread.id, params);
  const shown = cut[page - 1]!;
  const path = threadHref(thread.id);
  return renderDocument(
    <Layout title={threadTitle(thread)} assets={context.assets} sharedServer={shared.server}>
      <div class="transcript">
        <header class="transcript-header">
          <h1>{threadTitle(thread)}</h1>
          <ThreadFacts thread={thread} documents={view.documents.length} />
          <Notice>
            <TranscriptElsewhere view={view} />
          </Notice>
          <p class="shortcuts">
            <kbd>j</kbd> and <kbd>k</kbd>: next and previous turn · <kbd>/</kbd>: search
          </p>
        </header>
        <ProjectMemoriesSection memories={memories} threadId={thread.id} />
        <Pagination path={path} params={params} page={page} pages={cut.length} />
        {shown.turns.length === 0 && (
          <p class="muted">The shared store holds no conversation for this thread.</p>
        )}
        <StoredTurns
          turns={shown.turns}
          continuesTurn={shown.continuesTurn}
          turnContinues={shown.turnContinues}
        />
        <Pagination path={path} params={params} page={page} pages={cut.length} />
      </div>
    </Layout>,
  );
}

/**
 * What `/threads/<id>/export.<format>` answers (with 404) for a thread whose rollout is not here:
 * where the full transcript is, why no download is made, and a link to the stored conversation.
 */
export function downloadElsewherePage(
  context: WebContext,
  shared: SharedStoreDescription,
  view: Extract<SharedThreadView, { kind: 'stored' }>,
): string {
  return renderDocument(
    <Layout title="No download here" assets={context.assets} sharedServer={shared.server}>
      <h1>No download here</h1>
      <Notice>
        <TranscriptElsewhere view={view} />
      </Notice>
      <p>
        <a href={threadHref(view.thread.id)}>The conversation the shared store holds</a>
      </p>
    </Layout>,
  );
}

/** Where the full transcript is, what the page shows instead, and why there are no downloads. */
export const TranscriptElsewhere: FC<{
  view: Extract<SharedThreadView, { kind: 'stored' }>;
}> = ({ view }) => {
  const { thread } = view;
  const host = hostOf(thread);
  const home = thread.origin?.homePath;
  return (
    <>
      {view.reason === 'elsewhere' ? (
        <>
          <strong>
            The full transcript is on {host}
            {home === undefined ? '' : `, in ${home}`}.
          </strong>{' '}
          Its rollout is not on this machine, so this page shows the conversation as the shared
          store holds it:
        </>
      ) : (
        <>
          <strong>The rollout of this thread is no longer in this home</strong>
          {view.problem === undefined ? '' : ` (${view.problem})`}, so this page shows the
          conversation as the shared store holds it from the last sync:
        </>
      )}{' '}
      user and agent messages, reasoning summaries, tool calls with the head and tail of their
      output, compaction summaries; no patches, images, errors or tokens per turn. The Markdown,
      HTML and JSON downloads of a full transcript are not offered here: they are made from the
      rollout.{' '}
      {view.reason === 'elsewhere' && (
        <>
          Run <code>agent-state serve</code> (or <code>agent-state threads export</code>) on {host}{' '}
          for them.
        </>
      )}
    </>
  );
};

/** The thread's facts from its row: id, host and home, times, directory, sources, tokens. */
const ThreadFacts: FC<{ thread: ListedThread; documents: number }> = ({ thread, documents }) => {
  const ref = (id: string | null): Child =>
    id === null ? null : <a href={threadHref(id)}>{id}</a>;
  const agent = [thread.agentNickname, thread.agentRole].filter((part) => part !== null);
  const facts: Array<[string, Child]> = [
    ['Thread', <code>{thread.id}</code>],
    ['Host', thread.origin?.host ?? null],
    ['Home', thread.origin === undefined ? null : <code>{thread.origin.homePath}</code>],
    ['Created', formatUnixTime(thread.createdAt)],
    ['Updated', formatUnixTime(thread.updatedAt)],
    ['Directory', thread.cwd === '' ? null : <code>{thread.cwd}</code>],
    ['Branch', thread.gitBranch === null ? null : <code>{thread.gitBranch}</code>],
    ['Source', thread.source],
    ['Provider', thread.modelProvider],
    ['Codex', thread.cliVersion],
    ['Archived', thread.archivedAt === null ? null : formatUnixTime(thread.archivedAt)],
    ['Sub-agent', agent.length === 0 ? null : agent.join(', ')],
    ['Spawned by', ref(thread.parentThreadId)],
    ['Forked from', ref(thread.forkedFromId)],
    ['Tokens', formatCount(thread.tokensUsed)],
    ['Stored', `${formatCount(documents)} conversation documents`],
  ];
  return <FactList facts={facts} />;
};
