import { describe, expect, it } from 'vitest';

import { SAMPLE_PARENT_ID, sampleTranscript, sampleTurn } from '../testing/sample-transcript.js';
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

  it('labels each inherited run with its own thread: a fork of a fork, grandparent then parent', () => {
    const grandparent = '01a1fca2-0000-7000-8000-000000000009';
    const transcript = sampleTranscript();
    transcript.turns = [
      sampleTurn({ index: 1, line: 10, fromThreadId: grandparent, inherited: true }),
      sampleTurn({ index: 2, line: 20, fromThreadId: grandparent, inherited: true }),
      sampleTurn({ index: 3, line: 30, fromThreadId: SAMPLE_PARENT_ID, inherited: true }),
      sampleTurn({ index: 4, line: 5 }),
    ];
    const html = renderTranscriptHtml(transcript);
    const sections = [
      // Each section ends where its last turn does.
      ...html.matchAll(
        /<section class="inherited" aria-labelledby="inherited-(\d+)">.*?<\/section><\/section>/gs,
      ),
    ].map((match) => ({
      first: Number(match[1]),
      from: /Inherited from ([^<]+)<\/h2>/.exec(match[0])?.[1],
      turns: [...match[0].matchAll(/id="turn-(\d+)"/g)].map((turn) => Number(turn[1])),
    }));
    expect(sections).toEqual([
      { first: 1, from: grandparent, turns: [1, 2] },
      { first: 3, from: SAMPLE_PARENT_ID, turns: [3] },
    ]);
    expect(html).toContain(`id="${grandparent}-line-20"`);
    expect(html).toContain(`id="${SAMPLE_PARENT_ID}-line-30"`);
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
    // The page's rendering hint is for the UI only: an export is printed and searched whole.
    expect(html).not.toContain('content-visibility');
  });

  it("titles the document by the thread's title, else its id", () => {
    const transcript = sampleTranscript();
    transcript.thread.title = '  ';
    expect(renderTranscriptHtml(transcript)).toContain(`<title>${transcript.thread.id}</title>`);
  });

  it('renders a large transcript whole', () => {
    // About 4.5 MB of text: 1,500 turns of seven items with 3 KB outputs. How long it takes is
    // measured by the bench (web.bench.ts), beside its anchor, not here: a timed test fails on a
    // busy machine.
    const transcript = sampleTranscript({
      ownTurns: 1500,
      output: `${'x'.repeat(60)}\n`.repeat(50),
    });
    const html = renderTranscriptHtml(transcript);
    expect(html.length).toBeGreaterThan(4_500_000);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });
});
