import {
  type SearchThreadsResult,
  type ThreadSearchHit,
  searchThreads,
} from '@agent-state/rollout';
import {
  type AgentStateStore,
  type SearchMatch,
  errorCategory,
  toAgentStateError,
} from '@agent-state/state';
import type { Child, FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { plural } from '../format/plural.js';
import { formatUnixTime } from '../format/format-time.js';
import { threadTitle } from '../format/thread-title.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { Notice, StoreAccessNotice } from './notices.js';
import { threadHref } from './page-url.js';

/** Threads shown for a search. */
export const SEARCH_LIMIT = 30;

/**
 * `/search?q=…`: the matching threads best first (`searchThreads`), each with its best snippets
 * linking to their lines in the transcript. A query the parser refuses is said on the page (400).
 */
export async function searchPage(
  context: WebContext,
  params: URLSearchParams,
): Promise<{ status: 200 | 400; html: string }> {
  const query = (params.get('q') ?? '').trim();
  const archived = params.get('archived') === 'all' ? 'all' : false;
  const access = await context.store.access();
  const { store } = access;
  let result: SearchThreadsResult | undefined;
  let problem: string | undefined;
  if (store !== null && query !== '') {
    try {
      result = await searchThreads({
        store,
        home: context.home,
        query,
        limit: SEARCH_LIMIT,
        archived,
      });
      if (context.shared !== undefined) result = await withOrigins(store, result);
    } catch (error) {
      if (errorCategory(error) !== 'invalid-argument') throw error;
      problem = toAgentStateError(error).message;
    }
  }
  const html = renderDocument(
    <Layout
      title={query === '' ? 'Search' : `Search: ${query}`}
      assets={context.assets}
      section="search"
      query={query}
      sharedServer={context.shared?.server}
    >
      <h1>Search</h1>
      <form class="filters" method="get" action="/search" aria-label="Search options">
        <div>
          <label for="search-query">Words</label>
          <input id="search-query" type="search" name="q" value={query} size={40} />
        </div>
        <div>
          <label>
            <input type="checkbox" name="archived" value="all" checked={archived === 'all'} />{' '}
            Archived threads too
          </label>
        </div>
        <button type="submit">Search</button>
      </form>
      <p class="muted">
        Words must all match; <code>"a phrase"</code>, <code>prefix*</code>, <code>OR</code>,{' '}
        <code>NOT</code> and <code>-word</code> work as in search boxes.
      </p>
      <StoreAccessNotice access={access} />
      {problem !== undefined && (
        <Notice>
          <strong>This query cannot be searched:</strong> {problem}
        </Notice>
      )}
      {result !== undefined && (
        <SearchResults result={result} shared={context.shared !== undefined} />
      )}
    </Layout>,
  );
  return { status: problem === undefined ? 200 : 400, html };
}

/**
 * The hits with the home each thread is in: a shared store's search may answer rows without
 * their `origin` (PostgreSQL's does), which its thread rows have (one query for the page).
 */
async function withOrigins(
  store: AgentStateStore,
  result: SearchThreadsResult,
): Promise<SearchThreadsResult> {
  const missing = result.hits.filter((hit) => hit.thread.origin === undefined);
  if (missing.length === 0) return result;
  const rows = await store.threads.getMany(missing.map((hit) => hit.thread.id));
  const origins = new Map(rows.map((row) => [row.id, row.origin]));
  return {
    ...result,
    hits: result.hits.map((hit) => {
      const origin = hit.thread.origin ?? origins.get(hit.thread.id);
      return origin === undefined ? hit : { ...hit, thread: { ...hit.thread, origin } };
    }),
  };
}

const SearchResults: FC<{ result: SearchThreadsResult; shared: boolean }> = ({
  result,
  shared,
}) => (
  <>
    {coverageNotes(result, shared).map((note) => (
      <Notice>{note}</Notice>
    ))}
    <p role="status">
      {result.hits.length === 0
        ? 'No matching threads.'
        : `${result.rankedAll ? '' : 'At least '}${plural(result.totalThreads, 'matching thread')}${result.hits.length < result.totalThreads ? `, the best ${result.hits.length} shown` : ''}.`}
    </p>
    {result.hits.map((hit) => (
      <SearchHitView hit={hit} />
    ))}
  </>
);

/** What the search did not see, and what to run (in each home, then `sync`, for a shared store). */
function coverageNotes(result: SearchThreadsResult, shared: boolean): Child[] {
  const { coverage } = result;
  const notes: Child[] = [];
  const thenSync = shared ? (
    <>
      {' '}
      in their homes, then <code>agent-state sync</code>
    </>
  ) : null;
  if (coverage.backfill !== 'complete') {
    notes.push(
      <>
        {shared ? 'Not every home of the shared store is' : 'The store is not'} fully indexed yet:
        only the threads it holds were searched (run <code>agent-state backfill</code>
        {thenSync}).
      </>,
    );
  }
  const unindexed = coverage.threads - coverage.indexed;
  if (unindexed > 0) {
    notes.push(
      <>
        {plural(unindexed, 'thread is', 'threads are')} not indexed for search yet: run{' '}
        <code>agent-state search --reindex</code>
        {thenSync}.
      </>,
    );
  }
  return notes;
}

const SearchHitView: FC<{ hit: ThreadSearchHit }> = ({ hit }) => {
  const { thread } = hit;
  const title = threadTitle(thread);
  const more = hit.matches - hit.documents.length;
  return (
    <section class="search-hit" aria-label={title}>
      <h2>
        <a href={threadHref(thread.id)}>{title}</a>
      </h2>
      <p class="muted">
        {formatUnixTime(thread.updatedAt)} ·{' '}
        {thread.origin !== undefined && (
          <>
            {thread.origin.host} <code>{thread.origin.homePath}</code> ·{' '}
          </>
        )}
        <code>{thread.cwd}</code> · <code>{thread.id}</code>
      </p>
      <ol>
        {hit.documents.map((match) => (
          <li>
            <span class="role">{match.role}</span>{' '}
            <a href={threadHref(thread.id, match.line)}>
              <Snippet match={match} />
            </a>{' '}
            <span class="muted">line {match.line}</span>
          </li>
        ))}
      </ol>
      {more > 0 && <p class="muted">… {plural(more, 'more match', 'more matches')}</p>}
    </section>
  );
};

/** A snippet on one line, its matched words in `<mark>`. */
const Snippet: FC<{ match: Pick<SearchMatch, 'snippet' | 'highlights'> }> = ({ match }) => {
  const clean = (text: string): string => text.replace(/\s+/g, ' ');
  const parts: Child[] = [];
  let at = 0;
  for (const [start, end] of [...match.highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start) continue;
    parts.push(
      clean(match.snippet.slice(at, start)),
      <mark>{clean(match.snippet.slice(start, end))}</mark>,
    );
    at = end;
  }
  parts.push(clean(match.snippet.slice(at)));
  return <>{parts}</>;
};
