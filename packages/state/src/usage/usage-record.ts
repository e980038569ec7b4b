import { InvalidArgumentError } from '../errors.js';
import { isThreadId } from '../threads/thread-metadata.js';

/**
 * Where a usage record was read: Codex's `event_msg` of type `token_count` (every version; one per
 * model call, plus repeats), or the `token_usage_record` line of Codex 0.169 (exactly one per
 * model call).
 *
 * @example
 * ```ts
 * const source: UsageSource = 'token_usage_record';
 * ```
 */
export type UsageSource = 'token_count' | 'token_usage_record';

/**
 * Why a usage record is not counted:
 * - `repeat`: a `token_count` whose running total (`total_token_usage`) is the one before it, or
 *   that reports no input and no output: Codex writes one before each request, again at a resume
 *   and after a compaction or rollback, with no new model call;
 * - `duplicate`: a `token_count` of Codex 0.169 for a call its `token_usage_record` already counts
 *   (the same running total);
 * - `inherited`: a line a legacy fork (Codex 0.100, `RolloutRecorder.fork`) copied from its parent,
 *   whose records count it.
 *
 * @example
 * ```ts
 * const reason: UsageExclusion = 'repeat';
 * ```
 */
export type UsageExclusion = 'repeat' | 'duplicate' | 'inherited';

/**
 * Tokens of one model call, with Codex's meanings: `inputTokens` includes `cachedInputTokens`,
 * `outputTokens` includes `reasoningOutputTokens`, and `totalTokens` is Codex's `total_tokens`
 * (input plus output).
 *
 * @example
 * ```ts
 * const tokens: UsageTokens = {
 *   inputTokens: 170, cachedInputTokens: 0, cacheWriteInputTokens: 0,
 *   outputTokens: 20, reasoningOutputTokens: 3, totalTokens: 190,
 * };
 * ```
 */
export interface UsageTokens {
  inputTokens: number;
  cachedInputTokens: number;
  /** `cache_write_input_tokens` (Codex 0.169); `null` where the line has none. */
  cacheWriteInputTokens: number | null;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}

/**
 * One model call's usage as read from a rollout: a `token_count` or `token_usage_record` line
 * with usage, with why it does not count when it does not. The usage index
 * (`IndexedThread.derived.usage`) holds the records that count; `explainUsage` lists the others
 * too.
 *
 * @example
 * ```ts
 * const record: UsageRecord = {
 *   line: 33, ordinal: 32, timeMs: Date.parse('2026-11-21T05:44:20.380Z'),
 *   turnId: '01a1fca2-5805-7aa8-9c5b-0f2d1cf5bd2e', model: 'gpt-5.5', source: 'token_usage_record',
 *   inputTokens: 170, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 20,
 *   reasoningOutputTokens: 3, totalTokens: 190,
 *   runningInputTokens: 460, runningOutputTokens: 60, runningTotalTokens: 520,
 *   excluded: null, excludedBy: null, forkedFromId: null,
 * };
 * ```
 */
export interface UsageRecord extends UsageTokens {
  /** Its line in the rollout file, 1-based. */
  line: number;
  /** Its `ordinal` in a paginated rollout (Codex 0.169), else `null`. */
  ordinal: number | null;
  /** When the line was written, unix milliseconds. */
  timeMs: number;
  /** The turn of the call (Codex's `turn_id`), when the rollout names one. */
  turnId: string | null;
  /** The model of the call (the last `turn_context` or `thread_settings_applied` before it). */
  model: string | null;
  source: UsageSource;
  /**
   * The thread's running totals after the call, as the line states them (`total_token_usage`,
   * or `thread_token_usage` of a record), `null` where it states none: what tells a repeat, a
   * duplicate and a copied line.
   */
  runningInputTokens: number | null;
  runningOutputTokens: number | null;
  runningTotalTokens: number | null;
  /** Why it is not counted; `null` when it is. */
  excluded: UsageExclusion | null;
  /**
   * What the exclusion points at: the line of the record counted instead (`repeat`, `duplicate`)
   * or the parent thread (`inherited`).
   */
  excludedBy: string | null;
  /**
   * The parent of a legacy fork (its `forked_from_id`), whose copied lines this record may be one
   * of: the store matches them against the parent's records. `null` in any other rollout (a fork
   * by reference of Codex 0.169 holds only its own lines).
   */
  forkedFromId: string | null;
}

const EXCLUSIONS: ReadonlySet<string> = new Set(['repeat', 'duplicate', 'inherited']);
const COUNTS = [
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningOutputTokens',
  'totalTokens',
] as const;
const RUNNING = ['runningInputTokens', 'runningOutputTokens', 'runningTotalTokens'] as const;

/**
 * A usage record as a store received it, checked: derived records come from extraction (possibly
 * across a worker thread), so their shape is verified before anything is written.
 */
export function checkedUsageRecord(record: unknown, threadId: string, index: number): UsageRecord {
  const problem = (what: string) =>
    new InvalidArgumentError('derived.usage', `record ${index} of thread ${threadId}: ${what}`);
  if (typeof record !== 'object' || record === null) throw problem('not an object');
  const r = record as Partial<Record<keyof UsageRecord, unknown>>;
  if (r.source !== 'token_count' && r.source !== 'token_usage_record') {
    throw problem(`unknown source ${JSON.stringify(r.source)}`);
  }
  if (!Number.isInteger(r.line) || (r.line as number) < 1) {
    throw problem('line is not a positive integer');
  }
  if (!Number.isFinite(r.timeMs)) throw problem('timeMs is not a number');
  for (const key of COUNTS) {
    if (!Number.isInteger(r[key]) || (r[key] as number) < 0) {
      throw problem(`${key} is not a whole number`);
    }
  }
  for (const key of [...RUNNING, 'cacheWriteInputTokens', 'ordinal'] as const) {
    if (r[key] !== null && !Number.isInteger(r[key])) {
      throw problem(`${key} is neither an integer nor null`);
    }
  }
  for (const key of ['turnId', 'model', 'excludedBy', 'forkedFromId'] as const) {
    if (r[key] !== null && typeof r[key] !== 'string') {
      throw problem(`${key} is neither a string nor null`);
    }
  }
  if (r.forkedFromId !== null && !isThreadId(r.forkedFromId as string)) {
    throw problem(`forkedFromId ${JSON.stringify(r.forkedFromId)} is not a thread id`);
  }
  if (r.excluded !== null && !EXCLUSIONS.has(r.excluded as string)) {
    throw problem(`unknown exclusion ${JSON.stringify(r.excluded)}`);
  }
  const checked = r as UsageRecord;
  return checked.forkedFromId === null
    ? checked
    : { ...checked, forkedFromId: checked.forkedFromId.toLowerCase() };
}
