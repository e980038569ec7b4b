import { type ListedThread, type ThreadListPage, listThreads } from '@agent-state/rollout';
import { THREAD_SOURCE_KINDS, type ThreadSortKey } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { formatUnixTime } from '../format/format-time.js';
import { threadTitle } from '../format/thread-title.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import { Notice, StoreAccessNotice } from './notices.js';
import { hrefWith, threadHref } from './page-url.js';

/** Threads per page of the list. */
export const THREADS_PER_PAGE = 50;

/** The filters of `threads list`, as the list page's form sends them. */
interface ThreadFilters {
  archived: boolean;
  sources: string[];
  providers: string[];
  cwd: string;
  sort: ThreadSortKey;
  cursor: string | null;
}

function filtersOf(params: URLSearchParams): ThreadFilters {
  const list = (value: string | null): string[] =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  return {
    archived: params.get('archived') === '1',
    sources: params.getAll('source').filter((source) => source !== ''),
    providers: list(params.get('provider')),
    cwd: (params.get('cwd') ?? '').trim(),
    sort: params.get('sort') === 'updated' ? 'updated' : 'created',
    cursor: params.get('cursor') || null,
  };
}

/**
 * `/`: one page of threads (`listThreads` without repair: the server never writes), with the
 * filters of `threads list` as a GET form and cursor links to the next page. Without a store, or
 * with one that cannot be read, the rollouts are listed, and a notice says why and what to do.
 * Over a shared store, every home's threads as its rows have them, each with its host and home.
 */
export async function threadListPage(
  context: WebContext,
  params: URLSearchParams,
): Promise<string> {
  const filters = filtersOf(params);
  // A store that cannot be read (an older schema, a damaged file) leaves the rollouts to list.
  const access = await context.store.access();
  const { store } = access;
  const page = await listThreads({
    home: context.home,
    store,
    pageSize: THREADS_PER_PAGE,
    cursor: filters.cursor,
    sortKey: filters.sort,
    archived: filters.archived,
    sources: filters.sources,
    modelProviders: filters.providers,
    cwds: filters.cwd === '' ? [] : [filters.cwd],
    repair: false,
    // A shared store answers from its rows as they are: the rollouts are on other machines.
    shared: context.shared !== undefined,
    logger: context.logger,
  });
  const shared = context.shared;
  return renderDocument(
    <Layout
      title={filters.archived ? 'Archived threads' : 'Threads'}
      assets={context.assets}
      section="threads"
      sharedServer={shared?.server}
    >
      <h1>{filters.archived ? 'Archived threads' : 'Threads'}</h1>
      {shared !== undefined && (
        <p class="muted">
          The threads of every home pushed to the shared store <code>{shared.server}</code> (by{' '}
          <code>agent-state sync</code>), each with the machine and home it is in.
        </p>
      )}
      <FilterForm filters={filters} />
      <StoreAccessNotice access={access} />
      {store !== null && page.source === 'files' && (
        <Notice>
          Listed from the rollouts themselves ({fallbackText(page)}): run{' '}
          <code>agent-state backfill</code> to list from the store.
        </Notice>
      )}
      <ThreadTable threads={page.items} shared={shared !== undefined} />
      <nav class="pagination" aria-label="Pages">
        {filters.cursor !== null && (
          <a href={hrefWith('/', params, { cursor: null })}>First page</a>
        )}
        {page.nextCursor !== null && (
          <a href={hrefWith('/', params, { cursor: page.nextCursor })} rel="next">
            Next page
          </a>
        )}
      </nav>
    </Layout>,
  );
}

function fallbackText(page: ThreadListPage): string {
  if (page.fallbackReason === 'backfill-incomplete') return 'the backfill has not completed';
  if (page.fallbackReason === 'store-error') return 'the store could not answer';
  return page.fallbackReason ?? 'no store';
}

const FilterForm: FC<{ filters: ThreadFilters }> = ({ filters }) => (
  <form class="filters" method="get" action="/" aria-label="Filters">
    <div>
      <label for="filter-cwd">Directory</label>
      <input id="filter-cwd" name="cwd" type="text" value={filters.cwd} size={32} />
    </div>
    <div>
      <label for="filter-provider">Model provider</label>
      <input
        id="filter-provider"
        name="provider"
        type="text"
        value={filters.providers.join(', ')}
        size={12}
      />
    </div>
    <div>
      <label for="filter-sort">Sort by</label>
      <select id="filter-sort" name="sort">
        <option value="created" selected={filters.sort === 'created'}>
          created
        </option>
        <option value="updated" selected={filters.sort === 'updated'}>
          updated
        </option>
      </select>
    </div>
    <fieldset>
      <legend>Source</legend>
      {THREAD_SOURCE_KINDS.map((kind) => (
        <label>
          <input
            type="checkbox"
            name="source"
            value={kind}
            checked={filters.sources.includes(kind)}
          />{' '}
          {kind}
        </label>
      ))}
    </fieldset>
    <div>
      <label>
        <input type="checkbox" name="archived" value="1" checked={filters.archived} /> Archived
      </label>
    </div>
    <button type="submit">Apply</button>
  </form>
);

/** A thread's title on one line of at most 160 characters. */
function threadLabel(thread: ListedThread): string {
  const line = threadTitle(thread).replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

const ThreadTable: FC<{ threads: readonly ListedThread[]; shared: boolean }> = ({
  threads,
  shared,
}) =>
  threads.length === 0 ? (
    <p class="muted">No threads match these filters.</p>
  ) : (
    <table>
      <caption class="visually-hidden">Threads, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Thread</th>
          <th scope="col">Updated</th>
          <th scope="col">Created</th>
          {shared && <th scope="col">Host</th>}
          <th scope="col">Directory</th>
          <th scope="col">Source</th>
          <th scope="col">Id</th>
        </tr>
      </thead>
      <tbody>
        {threads.map((thread) => (
          <tr>
            <th scope="row">
              <a href={threadHref(thread.id)}>{threadLabel(thread)}</a>
            </th>
            <td>{formatUnixTime(thread.updatedAt)}</td>
            <td>{formatUnixTime(thread.createdAt)}</td>
            {shared && (
              <td class="host">
                {thread.origin?.host ?? 'unknown'}
                {thread.origin !== undefined && (
                  <span class="home-path">{thread.origin.homePath}</span>
                )}
              </td>
            )}
            <td class="cwd">{thread.cwd}</td>
            <td>{thread.sourceKind ?? thread.source}</td>
            <td class="id">{thread.id}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
