import { isUtf8 } from 'node:buffer';

import { type RolloutLine, parseRolloutLine } from '../protocol/rollout-line.js';
import type { SplitLine } from './line-splitter.js';

/**
 * Why a line of a rollout was skipped (or, for `invalid-utf8`, repaired).
 *
 * @example
 * ```ts
 * const kind: RolloutIssueKind = 'truncated'; // a writer stopped mid-line
 * const cutShort = reader.issues.some((issue) => issue.kind === kind);
 * ```
 */
export type RolloutIssueKind =
  'invalid-json' | 'invalid-line' | 'invalid-utf8' | 'overlong' | 'truncated';

/**
 * A problem with one line of a rollout. Reading never stops for one: the line is skipped (or, for
 * invalid UTF-8, decoded with replacement characters) and reported.
 *
 * @example
 * ```ts
 * for (const issue of reader.issues) console.warn(`${path}:${issue.line}: ${issue.kind}: ${issue.message}`);
 * ```
 */
export interface RolloutIssue {
  /** 1-based line number. */
  line: number;
  kind: RolloutIssueKind;
  message: string;
}

/** Keeps the first issues of a file and counts them all. */
export class IssueLog {
  readonly issues: RolloutIssue[] = [];
  count = 0;
  readonly #keep: number;

  constructor(keep = 20) {
    this.#keep = keep;
  }

  add(issue: RolloutIssue): void {
    this.count += 1;
    if (this.issues.length < this.#keep) this.issues.push(issue);
  }
}

/**
 * Default longest line read, in bytes; longer lines are skipped and reported.
 *
 * @example
 * ```ts
 * const reader = readRollout(path, { maxLineBytes: DEFAULT_MAX_LINE_BYTES / 4 }); // 16 MiB
 * ```
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Decodes and validates one split line. Returns the line, or `undefined` after logging why not.
 * A line cut short at the end of the file (a writer killed mid-write) is `truncated`, not an error.
 */
export function decodeLine(split: SplitLine, log: IssueLog): RolloutLine | undefined {
  const { lineNumber: line, bytes } = split;
  if (split.overlong) {
    log.add({
      line,
      kind: 'overlong',
      message: `line of ${split.length} bytes is longer than the limit; skipped`,
    });
    return undefined;
  }
  if (!isUtf8(bytes)) {
    log.add({ line, kind: 'invalid-utf8', message: 'invalid UTF-8 replaced with U+FFFD' });
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const kind = split.unterminated ? 'truncated' : 'invalid-json';
    const message = split.unterminated
      ? 'last line is incomplete (the writer stopped mid-line)'
      : `not JSON: ${(error as Error).message}`;
    log.add({ line, kind, message });
    return undefined;
  }
  const result = parseRolloutLine(value);
  if ('problem' in result) {
    log.add({ line, kind: 'invalid-line', message: result.problem.message });
    return undefined;
  }
  return result.line;
}
