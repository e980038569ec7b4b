import { raw } from 'hono/html';
import type { Transcript } from '@agent-state/rollout';

import { renderDocument } from '../components/render-html.js';
import { TranscriptHeader } from '../components/transcript-header.js';
import { TranscriptTurns } from '../components/transcript-turns.js';
import { threadTitle } from '../format/thread-title.js';
import { BASE_CSS } from '../styles/base-css.js';
import { TRANSCRIPT_CSS } from '../styles/transcript-css.js';

/**
 * Options of {@link renderTranscriptHtml}.
 *
 * @example
 * ```ts
 * const options: RenderTranscriptHtmlOptions = { title: 'Fix the flaky test (review copy)' };
 * ```
 */
export interface RenderTranscriptHtmlOptions {
  /** The document's `<title>` (default: the thread's title, else its id). */
  title?: string | undefined;
}

/**
 * The policy of a transcript document, in its `<meta>` (and in the header the server sends with
 * it): its inline CSS, nothing fetched, nothing run.
 */
export const DOCUMENT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE = raw(`${BASE_CSS}${TRANSCRIPT_CSS}body{padding:16px 24px 48px}`);

/**
 * A whole transcript as one self-contained HTML document: inline CSS (light and dark, following
 * the reader's system), no script, no external asset and nothing fetched, so it opens offline,
 * from a file or an attachment. Tool outputs are shown as the transcript clipped them (head, the
 * size left out, tail); a fork's inherited turns are a labelled section of their own. The same
 * components render a thread's page in `agent-state serve`.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { loadTranscript } from '@agent-state/rollout';
 * import { renderTranscriptHtml } from '@agent-state/web';
 *
 * const transcript = await loadTranscript({ home, id });
 * await writeFile(`${id}.html`, renderTranscriptHtml(transcript));
 * ```
 */
export function renderTranscriptHtml(
  transcript: Transcript,
  options: RenderTranscriptHtmlOptions = {},
): string {
  const { thread } = transcript;
  const title = options.title ?? threadTitle(thread);
  return renderDocument(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content={DOCUMENT_CSP} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="generator" content="agent-state" />
        <title>{title}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main class="transcript">
          <TranscriptHeader transcript={transcript} />
          <TranscriptTurns turns={transcript.turns} threadId={thread.id} />
        </main>
      </body>
    </html>,
  );
}
