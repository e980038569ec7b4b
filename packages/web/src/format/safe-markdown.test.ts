import { describe, expect, it } from 'vitest';

import { renderSafeMarkdown } from './safe-markdown.js';

const ALLOWED_TAGS = new Set(
  'p strong em del code pre ul ol li a table thead tbody tr th td h1 h2 h3 h4 h5 h6 blockquote br hr'.split(
    ' ',
  ),
);

/**
 * Whether the HTML holds an element or attribute that runs script or loads anything: every real
 * tag (escaped text is not one) must be of the allowed ones, with no event handler, no `src`,
 * and links only to web, mail or in-page addresses.
 */
function active(html: string): boolean {
  for (const [, name = '', attributes = ''] of html.matchAll(
    /<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g,
  )) {
    if (!ALLOWED_TAGS.has(name.toLowerCase())) return true;
    if (/\son[a-z]+\s*=|\ssrc\s*=|\sstyle\s*=/i.test(attributes)) return true;
    const href = /\shref="([^"]*)"/.exec(attributes)?.[1];
    if (href !== undefined && !/^(?:https?:|mailto:|#)/i.test(href)) return true;
  }
  return false;
}

describe('renderSafeMarkdown', () => {
  it('renders what agents write: paragraphs, lists, emphasis, code, tables, links', () => {
    const html = renderSafeMarkdown(
      [
        '**Planning** the fix:',
        '',
        '- run `npm test`',
        '- read [the docs](https://example.com/docs "Docs")',
        '',
        '```ts',
        'const a = 1 < 2;',
        '```',
        '',
        '| a | b |',
        '|---|---|',
        '| 1 | 2 |',
      ].join('\n'),
    );
    expect(html).toContain('<strong>Planning</strong>');
    expect(html).toContain('<li>run <code>npm test</code></li>');
    expect(html).toContain(
      '<a href="https://example.com/docs" title="Docs" rel="noopener noreferrer">the docs</a>',
    );
    expect(html).toContain('const a = 1 &lt; 2;');
    expect(html).toContain('<table>');
  });

  it.each([
    '<script>alert(1)</script>',
    'text <img src=x onerror=alert(1)> more',
    '<svg onload=alert(1)>',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click]( \tjavascript:alert(1))',
    '[click](java\tscript:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD4=)',
    '[click](vbscript:msgbox(1))',
    '[click][ref]\n\n[ref]: javascript:alert(1)',
    '<javascript:alert(1)>',
    '![pic](https://tracker.example/pixel.png)',
    '![pic](javascript:alert(1))',
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://example.com"></iframe>',
    '<style>body{display:none}</style>',
    '[x](//evil.example/path)',
    '<details open ontoggle=alert(1)>',
    '`<script>` in code and <b onclick="x()">bold</b>',
  ])('%s runs and loads nothing', (input) => {
    const html = renderSafeMarkdown(input);
    expect(active(html), html).toBe(false);
  });

  it('the check above tells active HTML (so that it can fail)', () => {
    expect(active('<p><img src="https://x.example/p.png"></p>')).toBe(true);
    expect(active('<a href="javascript:alert(1)">x</a>')).toBe(true);
    expect(active('<p onclick="x()">x</p>')).toBe(true);
    expect(active('<p>&lt;script&gt;</p>')).toBe(false);
  });

  it('shows raw HTML as text and images as links', () => {
    expect(renderSafeMarkdown('a <b>tag</b>')).toContain('a &lt;b&gt;tag&lt;/b&gt;');
    expect(renderSafeMarkdown('![diagram](https://example.com/d.png)')).toContain(
      '<a href="https://example.com/d.png" rel="noopener noreferrer">[image: diagram]</a>',
    );
    expect(renderSafeMarkdown('[jump](#line-12)')).toContain('href="#line-12"');
  });
});
