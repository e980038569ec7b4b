import { describe, expect, it } from 'vitest';

import { SAMPLE_PARENT_ID, sampleTranscript } from '../testing/sample-transcript.js';
import { DOCUMENT_CSP, renderTranscriptHtml } from './render-transcript-html.js';

describe('renderTranscriptHtml', () => {
  it('renders every item of every turn, escaped', () => {
    const html = renderTranscriptHtml(sampleTranscript());
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<title>Fix the &lt;flaky&gt; test</title>');
    expect(html).toContain('Run &lt;script&gt;alert(3)&lt;/script&gt; &amp; echo');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('$ echo hi');
    expect(html).toContain('Done: hi');
    expect(html).toContain('stream disconnected');
    expect(html).toContain('src/a.ts');
    expect(html).toContain('{&quot;path&quot;:&quot;a.png&quot;}');
    expect(html.match(/class="turn"/g)).toHaveLength(4);
  });

  it('says how much of a long output was left out, between its head and tail', () => {
    const html = renderTranscriptHtml(sampleTranscript());
    expect(html).toMatch(
      /HEAD-PART<span class="omitted">… 123,456 characters left out …<\/span>TAIL-PART/,
    );
  });

  it("puts a fork's inherited turns in a labelled section of their own", () => {
    const html = renderTranscriptHtml(sampleTranscript());
    const section =
      /<section class="inherited" aria-labelledby="inherited-1"><h2 id="inherited-1">Inherited from ([^<]+)<\/h2>/.exec(
        html,
      );
    expect(section?.[1]).toBe(SAMPLE_PARENT_ID);
    // Inherited items are anchored by their thread; the thread's own lines are `line-<n>`.
    expect(html).toContain(`id="${SAMPLE_PARENT_ID}-line-10"`);
    expect(html).toContain('id="line-5"');
    expect(html.indexOf('id="turn-3"')).toBeGreaterThan(html.indexOf('</section>'));
  });

  it('is self-contained: inline CSS for light and dark, no script, nothing fetched', () => {
    const html = renderTranscriptHtml(sampleTranscript(), { title: 'Review copy' });
    expect(html).toContain('<title>Review copy</title>');
    expect(html).toContain('prefers-color-scheme: dark');
    expect(html).toContain(
      `http-equiv="Content-Security-Policy" content="${DOCUMENT_CSP.replaceAll("'", '&#39;')}"`,
    );
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('renders a large transcript in well under a second', () => {
    // About 4.5 MB of text: 1,500 turns of seven items with 3 KB outputs.
    const transcript = sampleTranscript({
      ownTurns: 1500,
      output: `${'x'.repeat(60)}\n`.repeat(50),
    });
    renderTranscriptHtml(sampleTranscript()); // warm up
    const started = performance.now();
    const html = renderTranscriptHtml(transcript);
    const elapsed = performance.now() - started;
    expect(html.length).toBeGreaterThan(4_500_000);
    expect(elapsed).toBeLessThan(1000);
  });
});
