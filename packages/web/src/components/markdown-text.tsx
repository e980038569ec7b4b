import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';

import { renderSafeMarkdown } from '../format/safe-markdown.js';

/**
 * A text the agent wrote in Markdown (an answer, a reasoning summary, a compaction summary),
 * rendered: headings, lists, emphasis, code, tables and links, nothing that runs or loads.
 */
export const MarkdownText: FC<{ text: string }> = ({ text }) => (
  <div class="text markdown">{raw(renderSafeMarkdown(text))}</div>
);
