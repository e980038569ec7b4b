import { SEARCH_INDEX_NAME } from '@agent-state/state';

import type { DerivedIndexCollector, DerivedIndexDefinition } from '../indexer/derived-index.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { SEARCH_DOCUMENTS, wantedBySearch } from './search-documents.js';

/**
 * The search documents of a rollout being written: one collector fed the file's lines as read,
 * then each line appended, numbered on from the file's last line. What a writer that appends
 * (the recorder, later `watch`) stores with each update, instead of reading the file again.
 */
export class LiveSearchDocuments {
  readonly #collector: DerivedIndexCollector = SEARCH_DOCUMENTS.createCollector({ path: '' });
  #lastLine = 0;

  /** A line read from the file (`lineNumber` 1-based). */
  line(line: RolloutLine, lineNumber: number): void {
    this.#collector.line(line, lineNumber);
    this.#lastLine = Math.max(this.#lastLine, lineNumber);
  }

  /** The file had `lines` lines in all (blank or bad ones included): appends number on from there. */
  skipTo(lines: number): void {
    this.#lastLine = Math.max(this.#lastLine, lines);
  }

  /** A line just appended to the file. */
  append(line: RolloutLine): void {
    this.line(line, this.#lastLine + 1);
  }

  /** The derived records to store with the thread's row (`IndexedThread.derived`). */
  records(): Record<string, readonly unknown[]> {
    return { [SEARCH_INDEX_NAME]: this.#collector.finish() };
  }

  /** This collector as a derived index, to feed it during an extraction of the file. */
  definition(): DerivedIndexDefinition {
    return { name: SEARCH_INDEX_NAME, createCollector: () => wrap(this) };
  }
}

function wrap(live: LiveSearchDocuments): DerivedIndexCollector {
  return {
    wants: wantedBySearch,
    line: (line, lineNumber) => live.line(line, lineNumber),
    finish: () => live.records()[SEARCH_INDEX_NAME]!,
  };
}
