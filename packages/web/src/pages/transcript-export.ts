import { type Transcript, renderTranscriptMarkdown } from '@agent-state/rollout';

import { renderTranscriptHtml } from '../transcript/render-transcript-html.js';
import type { SharedStoreDescription } from '../server/shared-store.js';
import type { WebContext } from '../server/web-context.js';
import { type SharedThreadView, loadSharedThread } from './shared-thread.js';
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

/** A thread of a shared store whose rollout is not here: no download, and why. */
export interface DownloadElsewhere {
  elsewhere: Extract<SharedThreadView, { kind: 'stored' }>;
  shared: SharedStoreDescription;
}

/**
 * A thread's whole transcript as Markdown, a self-contained HTML document, or JSON; over a shared
 * store, only for a thread whose rollout is in this home (`elsewhere` for the others: a download
 * is made from the rollout, which is on another machine).
 */
export async function exportTranscript(
  context: WebContext,
  id: string,
  format: ExportFormat,
): Promise<ExportedTranscript | DownloadElsewhere> {
  let transcript: Transcript;
  if (context.shared === undefined) {
    transcript = await loadThreadTranscript(context, id);
  } else {
    const view = await loadSharedThread(context, context.shared, id);
    if (view.kind === 'stored') return { elsewhere: view, shared: context.shared };
    transcript = view.transcript;
  }
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
