import { Marked, type Tokens } from 'marked';

/** Link targets a page may carry: web and mail addresses, and links within the page. */
const SAFE_SCHEME = /^(?:https?:|mailto:)/i;
/** Any scheme (`javascript:`, `data:`, `file:`, …), once control characters and spaces are out. */
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
// Control characters and spaces are stripped before a scheme is read, as browsers ignore them.
// eslint-disable-next-line no-control-regex
const IGNORED_IN_URLS = /[\u0000-\u0020\u007f-\u009f]/g;

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** `href` when a person may follow it from a transcript, else `undefined`. */
function safeHref(href: string): string | undefined {
  const bare = href.replace(IGNORED_IN_URLS, '');
  if (SAFE_SCHEME.test(bare)) return href;
  if (ANY_SCHEME.test(bare) || bare.startsWith('//') || bare.startsWith('\\')) return undefined;
  return bare.startsWith('#') ? href : undefined;
}

/**
 * Markdown as the agent wrote it, rendered to HTML that cannot run or fetch anything: raw HTML in
 * the text is shown as text, links keep only `http`, `https`, `mailto` and in-page targets (others
 * become their text), images become links (a transcript loads nothing from anywhere).
 */
const markdown = new Marked({ gfm: true, breaks: true, async: false }).use({
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link): string {
      const label = this.parser.parseInline(tokens);
      const target = safeHref(href);
      if (target === undefined) return label;
      const titled = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(target)}"${titled} rel="noopener noreferrer">${label}</a>`;
    },
    image({ href, text }: Tokens.Image): string {
      const target = safeHref(href);
      const label = escapeHtml(text === '' ? 'image' : text);
      if (target === undefined) return `[${label}]`;
      return `<a href="${escapeHtml(target)}" rel="noopener noreferrer">[image: ${label}]</a>`;
    },
  },
});

/**
 * The HTML of a Markdown text from a transcript (an agent's answer, a reasoning summary), safe to
 * put in a page: see {@link markdown}.
 */
export function renderSafeMarkdown(text: string): string {
  return markdown.parse(text, { async: false });
}
