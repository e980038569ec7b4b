import type { ListedThread, Transcript } from '@agent-state/rollout';

import { renderDocument } from '../components/render-html.js';
import { TranscriptHeader } from '../components/transcript-header.js';
import { TranscriptTurns } from '../components/transcript-turns.js';
import { threadTitle } from '../format/thread-title.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { threadHref } from './page-url.js';
import { ProjectMemoriesSection, loadProjectMemories } from './project-memories.js';
import { loadSharedThread } from './shared-thread.js';
import { storedThreadPage } from './stored-thread-page.js';
import { loadThreadTranscript } from './thread-transcript.js';
import { Pagination } from './transcript-pagination.js';
import { pageToShow, transcriptPages } from './transcript-paging.js';

/**
 * `/threads/<id>`: the transcript a page at a time (at most `TURNS_PER_PAGE` turns and about
 * `ITEMS_PER_PAGE` items: a long turn goes on over several pages), with the thread's facts, the
 * downloads (Markdown, HTML, JSON) and links between pages. `?line=` opens the page holding that
 * rollout line. `j` and `k` move between turns. The recent memories of the thread's project (its
 * cwd) follow the header when the store can be read. Over a shared store, a thread whose rollout
 * is not in this home is shown from the conversation the store holds (`storedThreadPage`).
 */
export async function transcriptPage(
  context: WebContext,
  id: string,
  params: URLSearchParams,
): Promise<string> {
  const { shared } = context;
  let transcript: Transcript;
  let sharedThread: ListedThread | undefined;
  if (shared === undefined) {
    transcript = await loadThreadTranscript(context, id);
  } else {
    // A shared store's thread: its rollout is here only when its home is the server's own.
    const view = await loadSharedThread(context, shared, id);
    if (view.kind === 'stored') {
      const memories = await loadProjectMemories(context, view.thread.cwd);
      return storedThreadPage(context, shared, view, params, memories);
    }
    transcript = view.transcript;
    sharedThread = view.thread;
  }
  const { thread } = transcript;
  const memories = await loadProjectMemories(context, thread.cwd);
  const cut = transcriptPages(transcript.turns);
  const pages = cut.length;
  const page = pageToShow(cut, thread.id, params);
  const shown = cut[page - 1]!;
  const path = threadHref(thread.id);
  const title = threadTitle(thread);
  return renderDocument(
    <Layout title={title} assets={context.assets} sharedServer={shared?.server}>
      <div class="transcript">
        <TranscriptHeader transcript={transcript} threadHref={(other) => threadHref(other)}>
          {sharedThread?.origin !== undefined && (
            <p class="muted">
              In the home {sharedThread.origin.homePath} on {sharedThread.origin.host}, where this
              server runs: the transcript is read from its rollout.
            </p>
          )}
          <nav aria-label="Downloads">
            <ul class="downloads">
              <li>
                <a href={`${path}/export.md`} download>
                  Download Markdown
                </a>
              </li>
              <li>
                <a href={`${path}/export.html`} download>
                  Download HTML
                </a>
              </li>
              <li>
                <a href={`${path}/export.json`} download>
                  Download JSON
                </a>
              </li>
            </ul>
          </nav>
          <p class="shortcuts">
            <kbd>j</kbd> and <kbd>k</kbd>: next and previous turn · <kbd>/</kbd>: search
          </p>
        </TranscriptHeader>
        <ProjectMemoriesSection memories={memories} threadId={thread.id} />
        <Pagination path={path} params={params} page={page} pages={pages} />
        {shown.turns.length === 0 && <p class="muted">This thread has no turns yet.</p>}
        <TranscriptTurns
          turns={shown.turns}
          threadId={thread.id}
          threadHref={(other) => threadHref(other)}
          continuesTurn={shown.continuesTurn}
          turnContinues={shown.turnContinues}
        />
        <Pagination path={path} params={params} page={page} pages={pages} />
      </div>
    </Layout>,
  );
}
