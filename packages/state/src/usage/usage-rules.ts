// The rules of the usage index that every store backend follows, apart from its SQL: the checks
// of what is written and asked, the rows as stored and read back, and which of a legacy fork's
// records are copies of its parent's. Pure: each backend brings its own statements.
import { InvalidArgumentError } from '../errors.js';
import { checkedUnixMs } from '../store/argument-checks.js';
import type { UsageRecordsTable } from '../store/schema.js';
import { normalizeThreadId } from '../threads/thread-metadata.js';
import {
  type UsageExclusion,
  type UsageRecord,
  type UsageSource,
  checkedUsageRecord,
} from './usage-record.js';
import type { UsageAggregateOptions, UsageDimension, UsageGroup } from './usage-results.js';

/**
 * A quarter hour, ms: the unit `quarterHour` groups by (every time zone's offset is a whole
 * number of them).
 *
 * @example
 * ```ts
 * const quarter = Math.floor(timeMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
 * ```
 */
export const QUARTER_HOUR_MS = 900_000;

const DIMENSIONS: ReadonlySet<string> = new Set(['quarterHour', 'thread', 'model', 'cwd']);

/**
 * The dimensions of a grouping, in the order every store lists its keys.
 *
 * @example
 * ```ts
 * for (const dimension of USAGE_DIMENSIONS) if (groupBy.has(dimension)) keys.push(keyOf(dimension));
 * ```
 */
export const USAGE_DIMENSIONS: readonly UsageDimension[] = Object.freeze([
  'quarterHour',
  'thread',
  'model',
  'cwd',
]);

/**
 * {@link UsageAggregateOptions} checked, with their defaults.
 *
 * @example
 * ```ts
 * const checked: CheckedUsageAggregate = checkedUsageAggregate({ groupBy: ['model'] });
 * ```
 */
export interface CheckedUsageAggregate {
  groupBy: ReadonlySet<UsageDimension>;
  cwds: string[];
  models: string[];
  /** Normalized thread ids. */
  threadIds: string[];
  archived: boolean | 'all';
  sinceMs: number | undefined;
  untilMs: number | undefined;
  /** Whether the query needs the threads' rows (their cwd or archive state). */
  joinsThreads: boolean;
}

/**
 * The options of `store.usage.aggregate` checked (`InvalidArgumentError` naming the option) and
 * defaulted, as every store reads them.
 *
 * @example
 * ```ts
 * const { groupBy, models, joinsThreads } = checkedUsageAggregate({ groupBy: ['model'] });
 * ```
 */
export function checkedUsageAggregate(options: UsageAggregateOptions): CheckedUsageAggregate {
  const groupBy = checkedDimensions(options.groupBy);
  const cwds = checkedStrings('cwds', options.cwds);
  const archived = options.archived ?? 'all';
  return {
    groupBy,
    cwds,
    models: checkedStrings('models', options.models),
    threadIds: checkedStrings('threadIds', options.threadIds).map((id) =>
      normalizeThreadId(id, 'threadIds'),
    ),
    archived,
    sinceMs: options.sinceMs === undefined ? undefined : checkedUnixMs('sinceMs', options.sinceMs),
    untilMs: options.untilMs === undefined ? undefined : checkedUnixMs('untilMs', options.untilMs),
    joinsThreads: groupBy.has('cwd') || cwds.length > 0 || archived !== 'all',
  };
}

/**
 * A group of counted records as a store's query returns it.
 *
 * @example
 * ```ts
 * const { rows } = await sql<UsageGroupRow>`SELECT … AS calls, … FROM usage_records`.execute(db);
 * ```
 */
export interface UsageGroupRow {
  quarter_hour_ms: number | null;
  thread_id: string | null;
  model: string | null;
  cwd: string | null;
  calls: number;
  input_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  first_ms: number;
  last_ms: number;
}

/**
 * The groups of a store's aggregate query, without those that hold no call (the one group of an
 * ungrouped query over nothing).
 *
 * @example
 * ```ts
 * return usageGroupsFromRows(rows);
 * ```
 */
export function usageGroupsFromRows(rows: readonly UsageGroupRow[]): UsageGroup[] {
  return rows
    .filter((row) => row.calls > 0)
    .map((row) => ({
      quarterHourMs: row.quarter_hour_ms,
      threadId: row.thread_id,
      model: row.model,
      cwd: row.cwd,
      calls: row.calls,
      inputTokens: row.input_tokens,
      cachedInputTokens: row.cached_input_tokens,
      cacheWriteInputTokens: row.cache_write_input_tokens,
      outputTokens: row.output_tokens,
      reasoningOutputTokens: row.reasoning_output_tokens,
      totalTokens: row.total_tokens,
      firstMs: row.first_ms,
      lastMs: row.last_ms,
    }));
}

/**
 * A stored row of `usage_records` as the record it holds.
 *
 * @example
 * ```ts
 * const records = rows.map(usageRecordFromRow);
 * ```
 */
export function usageRecordFromRow(row: UsageRecordsTable): UsageRecord {
  return {
    line: row.line,
    ordinal: row.ordinal,
    timeMs: row.time_ms,
    turnId: row.turn_id,
    model: row.model,
    source: row.source as UsageSource,
    inputTokens: row.input_tokens,
    cachedInputTokens: row.cached_input_tokens,
    cacheWriteInputTokens: row.cache_write_input_tokens,
    outputTokens: row.output_tokens,
    reasoningOutputTokens: row.reasoning_output_tokens,
    totalTokens: row.total_tokens,
    runningInputTokens: row.running_input_tokens,
    runningOutputTokens: row.running_output_tokens,
    runningTotalTokens: row.running_total_tokens,
    excluded: row.excluded as UsageExclusion | null,
    excludedBy: row.excluded_by,
    forkedFromId: row.forked_from_id,
  };
}

/**
 * A thread's records as a store received them (`IndexedThread.derived.usage`), checked
 * (`InvalidArgumentError`, `derived.usage`) and in line order; two records at one line throw.
 *
 * @example
 * ```ts
 * const records = checkedUsageRecords(entry.derived.usage, threadId);
 * ```
 */
export function checkedUsageRecords(records: readonly unknown[], threadId: string): UsageRecord[] {
  const checked = records.map((record, index) => checkedUsageRecord(record, threadId, index));
  checked.sort((a, b) => a.line - b.line);
  for (let i = 1; i < checked.length; i += 1) {
    if (checked[i]!.line === checked[i - 1]!.line) {
      throw new InvalidArgumentError(
        'derived.usage',
        `two records of thread ${threadId} at line ${checked[i]!.line}: a line holds one call at most`,
      );
    }
  }
  return checked;
}

/**
 * The row stored for a record. Whether a line was copied from a legacy fork's parent is the
 * store's to say ({@link inheritedMarks}), not extraction's: an `inherited` record is stored as
 * counted until the store matches it.
 *
 * @example
 * ```ts
 * const row = usageRecordRow(threadId, record);
 * ```
 */
export function usageRecordRow(threadId: string, r: UsageRecord): UsageRecordsTable {
  return {
    thread_id: threadId,
    line: r.line,
    ordinal: r.ordinal,
    time_ms: Math.round(r.timeMs),
    turn_id: r.turnId,
    model: r.model,
    source: r.source,
    input_tokens: r.inputTokens,
    cached_input_tokens: r.cachedInputTokens,
    cache_write_input_tokens: r.cacheWriteInputTokens,
    output_tokens: r.outputTokens,
    reasoning_output_tokens: r.reasoningOutputTokens,
    total_tokens: r.totalTokens,
    running_input_tokens: r.runningInputTokens,
    running_output_tokens: r.runningOutputTokens,
    running_total_tokens: r.runningTotalTokens,
    excluded: r.excluded === 'inherited' ? null : r.excluded,
    excluded_by: r.excluded === 'inherited' ? null : r.excludedBy,
    forked_from_id: r.forkedFromId,
  };
}

/**
 * A stored record a thread's running totals went through: a counted one, or one a legacy fork
 * inherited (its parent's line, which a fork of the fork copies in turn). Read in line order.
 *
 * @example
 * ```ts
 * const own: UsageSequenceRow[] = sequenceOf(threadId); // WHERE excluded IS NULL OR excluded = 'inherited'
 * ```
 */
export interface UsageSequenceRow {
  line: number;
  running_input_tokens: number | null;
  running_output_tokens: number | null;
  running_total_tokens: number | null;
  excluded: string | null;
  excluded_by: string | null;
  forked_from_id: string | null;
}

/**
 * A change of a stored record's exclusion.
 *
 * @example
 * ```ts
 * const mark: UsageMark = { line: 3, excluded: 'inherited', excludedBy: parentId };
 * ```
 */
export interface UsageMark {
  line: number;
  excluded: 'inherited' | null;
  excludedBy: string | null;
}

/**
 * The parent a legacy fork's sequence names (its first `forked_from_id`), or `null` for a thread
 * that is not one (or names itself).
 *
 * @example
 * ```ts
 * const parentId = forkParentOf(threadId, sequence);
 * ```
 */
export function forkParentOf(
  threadId: string,
  sequence: readonly UsageSequenceRow[],
): string | null {
  const parentId = sequence.find((row) => row.forked_from_id !== null)?.forked_from_id ?? null;
  return parentId === threadId ? null : parentId;
}

/**
 * A legacy fork's file starts with a copy of its parent's lines, `token_count`s included, which
 * nothing marks. Its records that repeat the parent's first records, running total for running
 * total, are those copies: `inherited`, from the thread that counts them (the parent, or where the
 * parent's own record is a copy too, the thread it copied it from). The rest are the fork's own.
 * Returns the changes to make to the fork's stored rows (`own`, its sequence), given its parent's
 * sequence (empty when the parent is not in the store).
 *
 * @example
 * ```ts
 * for (const mark of inheritedMarks(own, parentSequence, parentId)) await update(mark);
 * ```
 */
export function inheritedMarks(
  own: readonly UsageSequenceRow[],
  parent: readonly UsageSequenceRow[],
  parentId: string,
): UsageMark[] {
  const marks: UsageMark[] = [];
  let copying = true;
  own.forEach((row, index) => {
    copying &&= index < parent.length && sameRunningTotals(row, parent[index]!);
    const origin = !copying
      ? null
      : parent[index]!.excluded === 'inherited'
        ? parent[index]!.excluded_by
        : parentId;
    if (origin !== null && (row.excluded !== 'inherited' || row.excluded_by !== origin)) {
      marks.push({ line: row.line, excluded: 'inherited', excludedBy: origin });
    } else if (origin === null && row.excluded === 'inherited') {
      marks.push({ line: row.line, excluded: null, excludedBy: null });
    }
  });
  return marks;
}

function sameRunningTotals(a: UsageSequenceRow, b: UsageSequenceRow): boolean {
  return (
    a.running_total_tokens !== null &&
    a.running_total_tokens === b.running_total_tokens &&
    a.running_input_tokens === b.running_input_tokens &&
    a.running_output_tokens === b.running_output_tokens
  );
}

function checkedDimensions(groupBy: readonly UsageDimension[]): ReadonlySet<UsageDimension> {
  if (!Array.isArray(groupBy)) {
    throw new InvalidArgumentError('groupBy', 'expected a list of dimensions');
  }
  for (const dimension of groupBy as readonly string[]) {
    if (!DIMENSIONS.has(dimension)) {
      throw new InvalidArgumentError(
        'groupBy',
        `unknown dimension ${JSON.stringify(dimension)} (expected quarterHour, thread, model or cwd)`,
      );
    }
  }
  return new Set(groupBy);
}

/** A list filter: an array of strings (absent or empty: no filter). */
function checkedStrings(argument: string, values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  const list: readonly unknown[] = Array.isArray(values) ? values : [];
  if (list !== values || list.some((value) => typeof value !== 'string')) {
    throw new InvalidArgumentError(argument, 'expected a list of strings');
  }
  return list as string[];
}
