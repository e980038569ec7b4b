import type { PeekedLine } from '../reader/line-peek.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { SEARCH_DOCUMENTS } from '../search/search-documents.js';
import { USAGE_RECORDS } from '../usage/usage-records.js';

/**
 * What one derived index collects from one rollout while the indexer reads it for its metadata:
 * the same single pass, in the extraction worker: search documents, usage records (see
 * ARCHITECTURE.md, "How to add … a derived index").
 */
export interface DerivedIndexCollector {
  /**
   * Whether the line must be parsed for this index, from its first bytes (type and event type):
   * the extractor parses only the lines someone needs. Absent: every line.
   */
  wants?(peeked: PeekedLine): boolean;
  /** One parsed line of the rollout (1-based `lineNumber`), in file order. */
  line(line: RolloutLine, lineNumber: number): void;
  /**
   * Reads a long line (at least {@link LARGE_LINE_BYTES}) from its bytes without the line being
   * parsed, when it can: returns true when it did, and `line` is not called for it. It must
   * collect exactly what `line` would from the parsed line. Called only for lines the metadata
   * does not need; absent, or false: the line is parsed.
   */
  largeLine?(bytes: Buffer, peeked: PeekedLine, lineNumber: number): boolean;
  /**
   * The thread's records once the whole file was read (they replace its previous ones). May be
   * called again after more lines (the recorder keeps a collector across appends): each call
   * returns the records of every line so far.
   */
  finish(): readonly unknown[];
}

/** Lines at least this long may be read in place by {@link DerivedIndexCollector.largeLine}. */
export const LARGE_LINE_BYTES = 12 * 1024;

/**
 * A derived index as the indexer knows it: its name (the key of its records in
 * `IndexedThread.derived`, and of its writer in each store backend) and a collector per rollout.
 */
export interface DerivedIndexDefinition {
  readonly name: string;
  createCollector(context: { path: string }): DerivedIndexCollector;
}

/**
 * The derived indexes every extraction feeds: search documents and usage records. Module-level,
 * not an option: extraction runs in worker threads, which load this list themselves.
 */
export const DERIVED_INDEXES: readonly DerivedIndexDefinition[] = [SEARCH_DOCUMENTS, USAGE_RECORDS];
