import type { SearchDocument } from '@agent-state/state';

import { readRollout } from '../reader/rollout-reader.js';
import { SEARCH_DOCUMENTS } from './search-documents.js';

/**
 * A rollout's conversation documents, read from the file (plain or compressed) by the same rules
 * as the search index: what `agent-state threads show <id> --at <line>` shows around a match.
 * Throws `RolloutFileError` when the file cannot be read.
 *
 * @example
 * ```ts
 * const docs = await readThreadDocuments(thread.rolloutPath);
 * const at = docs.findIndex((doc) => doc.line >= match.line);
 * for (const doc of docs.slice(Math.max(0, at - 2), at + 3)) console.log(doc.line, doc.kind, doc.text);
 * ```
 */
export async function readThreadDocuments(path: string): Promise<SearchDocument[]> {
  const collector = SEARCH_DOCUMENTS.createCollector({ path });
  for await (const { line, lineNumber } of readRollout(path)) collector.line(line, lineNumber);
  return [...(collector.finish() as SearchDocument[])];
}
