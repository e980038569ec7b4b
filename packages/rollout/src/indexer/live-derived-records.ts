import type { RolloutLine } from '../protocol/rollout-line.js';
import {
  DERIVED_INDEXES,
  type DerivedIndexCollector,
  type DerivedIndexDefinition,
} from './derived-index.js';

/**
 * The derived records (search documents, usage records) of a rollout being written: one collector
 * per derived index, fed the file's lines as read, then each line appended, numbered on from the
 * file's last line. What a writer that appends (the recorder, later `watch`) stores with each
 * update, instead of reading the file again.
 */
export class LiveDerivedRecords {
  readonly #collectors: ReadonlyArray<[DerivedIndexDefinition, DerivedIndexCollector]>;
  #lastLine = 0;

  constructor(indexes: readonly DerivedIndexDefinition[] = DERIVED_INDEXES) {
    this.#collectors = indexes.map((index) => [index, index.createCollector({ path: '' })]);
  }

  /** A line read from the file (`lineNumber` 1-based). */
  line(line: RolloutLine, lineNumber: number): void {
    for (const [, collector] of this.#collectors) collector.line(line, lineNumber);
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
    return Object.fromEntries(
      this.#collectors.map(([index, collector]) => [index.name, collector.finish()]),
    );
  }

  /**
   * These collectors as derived indexes, to feed them during an extraction of the file (each
   * still sees only the lines it wants).
   */
  definitions(): DerivedIndexDefinition[] {
    return this.#collectors.map(([index, collector]) => ({
      name: index.name,
      createCollector: () => ({
        ...(collector.wants ? { wants: (peeked) => collector.wants!(peeked) } : {}),
        line: (line, lineNumber) => {
          collector.line(line, lineNumber);
          this.#lastLine = Math.max(this.#lastLine, lineNumber);
        },
        finish: () => collector.finish(),
      }),
    }));
  }
}
