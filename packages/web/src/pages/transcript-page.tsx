import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { TranscriptHeader } from '../components/transcript-header.js';
import { TranscriptTurns } from '../components/transcript-turns.js';
import { threadTitle } from '../format/thread-title.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { hrefWith, threadHref } from './page-url.js';
import { loadThreadTranscript } from './thread-transcript.js';
import { pageToShow, transcriptPages } from './transcript-paging.js';

/**
 * `/threads/<id>`: the transcript a page at a time (at most `TURNS_PER_PAGE` turns and about
 * `ITEMS_PER_PAGE` items: a long turn goes on over several pages), with the thread's facts, the
 * downloads (Markdown, HTML, JSON) and links between pages. `?line=` opens the page holding that
 * rollout line. `j` and `k` move between turns.
 */
export async function transcriptPage(
  context: WebContext,
  id: string,
  params: URLSearchParams,
): Promise<string> {
  const transcript = await loadThreadTranscript(context, id);
  const { thread } = transcript;
  const cut = transcriptPages(transcript.turns);
  const pages = cut.length;
  const page = pageToShow(cut, thread.id, params);
  const shown = cut[page - 1]!;
  const path = threadHref(thread.id);
  const title = threadTitle(thread);
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
