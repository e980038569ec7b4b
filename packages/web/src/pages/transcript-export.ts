import { renderTranscriptMarkdown } from '@agent-state/rollout';

import { renderTranscriptHtml } from '../transcript/render-transcript-html.js';
import type { WebContext } from '../server/web-context.js';
import { loadThreadTranscript } from './thread-transcript.js';

/** The formats of `/threads/<id>/export.<format>`. */
export const EXPORT_FORMATS = ['md', 'html', 'json'] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A downloaded transcript: its bytes, type and file name. */
export interface ExportedTranscript {
  body: string;
  contentType: string;
  fileName: string;
}

/** A thread's whole transcript as Markdown, a self-contained HTML document, or JSON. */
export async function exportTranscript(
  context: WebContext,
  id: string,
  format: ExportFormat,
): Promise<ExportedTranscript> {
  const transcript = await loadThreadTranscript(context, id);
  const fileName = `${transcript.thread.id}.${format}`;
  switch (format) {
    case 'md':
      return {
        body: renderTranscriptMarkdown(transcript),
        contentType: 'text/markdown; charset=utf-8',
        fileName,
      };
    case 'html':
      return {
        body: renderTranscriptHtml(transcript),
        contentType: 'text/html; charset=utf-8',
        fileName,
      };
    case 'json':
      return {
        body: `${JSON.stringify(transcript, null, 2)}\n`,
        contentType: 'application/json; charset=utf-8',
        fileName,
      };
  }
}
