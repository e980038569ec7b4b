import type { Child, FC } from 'hono/jsx';

import type { AssetName, WebAssets } from '../server/web-assets.js';

/** The sections of the navigation. */
export type Section = 'threads' | 'search' | 'usage' | 'health';

const NAV: ReadonlyArray<{ section: Section; href: string; label: string }> = [
  { section: 'threads', href: '/', label: 'Threads' },
  { section: 'usage', href: '/usage', label: 'Usage' },
  { section: 'health', href: '/health', label: 'Health' },
];

/** What every page of the UI is drawn with. */
export interface LayoutProps {
  title: string;
  assets: WebAssets;
  /** The section the page belongs to (marked `aria-current` in the navigation). */
  section?: Section | undefined;
  /** The search box's text (the query of a search page). */
  query?: string | undefined;
  /**
   * The server of the shared store the UI reads (shown in the header), when it reads one rather
   * than the home's own store.
   */
  sharedServer?: string | undefined;
  /** Scripts of this page besides the one every page loads. */
  scripts?: readonly AssetName[] | undefined;
  children?: Child;
}

/**
 * A page of the UI: a skip link, a header (name, the shared store when the UI reads one,
 * navigation, the search box `/` focuses), the page's `<main>`, and the bundled stylesheet and
 * script from `/assets/`.
 */
export const Layout: FC<LayoutProps> = (props) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>{`${props.title} · agent-state`}</title>
      <link rel="stylesheet" href={props.assets.href('app.css')} />
      <script src={props.assets.href('app.js')} defer></script>
      {(props.scripts ?? []).map((name) => (
        <script src={props.assets.href(name)} defer></script>
      ))}
    </head>
    <body>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <a class="brand" href="/">
          agent-state
        </a>
        {props.sharedServer !== undefined && (
          <p class="store-scope">
            shared store <code>{props.sharedServer}</code>
          </p>
        )}
        <nav aria-label="Main">
          <ul>
            {NAV.map((entry) => (
              <li>
                <a
                  href={entry.href}
                  aria-current={entry.section === props.section ? 'page' : undefined}
                >
                  {entry.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <form class="site-search" role="search" method="get" action="/search">
          <label for="search-input">Search</label>
          <input
            id="search-input"
            type="search"
            name="q"
            value={props.query ?? ''}
            placeholder="Press / to search"
            aria-keyshortcuts="/"
          />
          <button type="submit">Search</button>
        </form>
      </header>
      <main id="main" tabindex={-1}>
        {props.children}
      </main>
    </body>
  </html>
);
