import type { FC } from 'hono/jsx';

import { hrefWith } from './page-url.js';

/**
 * The links between the pages of a transcript (or of a stored conversation): previous, "Page n
 * of m", next; nothing when there is one page. The filters of the query are kept, `line` dropped.
 */
export const Pagination: FC<{
  path: string;
  params: URLSearchParams;
  page: number;
  pages: number;
}> = ({ path, params, page, pages }) =>
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
