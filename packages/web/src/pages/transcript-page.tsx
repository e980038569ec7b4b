import { type Transcript, loadTranscript } from '@agent-state/rollout';
import { NotFoundError, isThreadId } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { TranscriptHeader } from '../components/transcript-header.js';
import { TranscriptTurns } from '../components/transcript-turns.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { hrefWith, threadHref } from './page-url.js';

/** Turns per page of a transcript. */
export const TURNS_PER_PAGE = 50;

/**
 * A thread's transcript as the server reads it: never repaired nor indexed (the server never
 * writes). An id that is not a thread's id is not found.
 */
export async function loadThreadTranscript(context: WebContext, id: string): Promise<Transcript> {
  if (!isThreadId(id)) throw new NotFoundError(`thread ${id}`);
  const store = await context.store.get();
  return loadTranscript({
    home: context.home,
    id: id.toLowerCase(),
    store,
    repair: false,
    logger: context.logger,
  });
}

/**
 * The page (1-based) to show: `?page=`, else the page of the turn holding rollout line `?line=`
 * of the thread's own rollout (a search result's link), else the first.
 */
export function pageToShow(transcript: Transcript, params: URLSearchParams): number {
  const pages = Math.max(1, Math.ceil(transcript.turns.length / TURNS_PER_PAGE));
  const asked = Number(params.get('page'));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, pages);
  const line = Number(params.get('line'));
  if (Number.isInteger(line) && line >= 1) {
    // The last of the thread's own turns that starts at or before the line.
    let found = -1;
    transcript.turns.forEach((turn, index) => {
      if (turn.fromThreadId !== transcript.thread.id) return;
      const first = turn.items[0]?.line;
      if (first !== undefined && first <= line) found = index;
    });
    if (found >= 0) return Math.floor(found / TURNS_PER_PAGE) + 1;
  }
  return 1;
}

/**
 * `/threads/<id>`: the transcript, `TURNS_PER_PAGE` turns a page, with the thread's facts, the
 * downloads (Markdown, HTML, JSON) and links between pages. `j` and `k` move between turns.
 */
export async function transcriptPage(
  context: WebContext,
  id: string,
  params: URLSearchParams,
): Promise<string> {
  const transcript = await loadThreadTranscript(context, id);
  const { thread } = transcript;
  const pages = Math.max(1, Math.ceil(transcript.turns.length / TURNS_PER_PAGE));
  const page = pageToShow(transcript, params);
  const turns = transcript.turns.slice((page - 1) * TURNS_PER_PAGE, page * TURNS_PER_PAGE);
  const path = threadHref(thread.id);
  const title = thread.title !== null && thread.title.trim() !== '' ? thread.title : thread.id;
  return renderDocument(
    <Layout title={title} assets={context.assets}>
      <div class="transcript">
        <TranscriptHeader transcript={transcript} threadHref={(other) => threadHref(other)}>
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
        <Pagination path={path} params={params} page={page} pages={pages} />
        {turns.length === 0 && <p class="muted">This thread has no turns yet.</p>}
        <TranscriptTurns
          turns={turns}
          threadId={thread.id}
          threadHref={(other) => threadHref(other)}
        />
        <Pagination path={path} params={params} page={page} pages={pages} />
      </div>
    </Layout>,
  );
}

const Pagination: FC<{ path: string; params: URLSearchParams; page: number; pages: number }> = ({
  path,
  params,
  page,
  pages,
}) =>
  pages <= 1 ? null : (
    <nav class="pagination" aria-label="Pages of the transcript">
      {page > 1 && (
        <a href={hrefWith(path, params, { page: String(page - 1), line: null })} rel="prev">
          Previous turns
        </a>
      )}
      <span>
        Page {page} of {pages}
      </span>
      {page < pages && (
        <a href={hrefWith(path, params, { page: String(page + 1), line: null })} rel="next">
          Next turns
        </a>
      )}
    </nav>
  );
