import {
  USAGE_INDEX_NAME,
  type UsageExclusion,
  type UsageRecord,
  type UsageTokens,
} from '@agent-state/state';

import type { DerivedIndexCollector, DerivedIndexDefinition } from '../indexer/derived-index.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import type { PeekedLine } from '../reader/line-peek.js';
import { subAgentFactsOf } from '../extract/metadata-applier.js';

/** Events that carry usage, or say which model or turn the next calls belong to. */
const WANTED_EVENTS: ReadonlySet<string> = new Set([
  'token_count',
  'thread_settings_applied',
  'task_started',
  'turn_started',
]);

/** Whether a line can hold usage (or the model or turn of later usage), from its first bytes. */
function wantedByUsage(peeked: PeekedLine): boolean {
  switch (peeked.type) {
    case 'session_meta':
    case 'turn_context':
    case 'token_usage_record':
      return true;
    case 'event_msg':
      return peeked.eventType === undefined || WANTED_EVENTS.has(peeked.eventType);
    default:
      return false;
  }
}

/**
 * The usage index's collector: one record per `token_count` or `token_usage_record` line with
 * usage, counted or excluded with its reason. The rules, with Codex's field names:
 *
 * - **`event_msg/token_count`** (every version): its `info.last_token_usage` is the call's usage
 *   (else the difference of `info.total_token_usage` from the previous line's). `info: null`
 *   carries nothing. A line whose `total_token_usage` equals the previous one's, or whose usage has
 *   no input and no output, is a `repeat`: Codex writes one before each request and again after a
 *   resume, a compaction or a rollback, with no new call.
 * - **`token_usage_record`** (Codex 0.169): one per call, its `usage`; `thread_token_usage` is the
 *   running total. Codex 0.169 also writes a `token_count` per call: one whose
 *   `total_token_usage` is a record's `thread_token_usage` is a `duplicate` of it.
 * - **Model**: the last `turn_context.model` or `thread_settings_applied.thread_settings.model`
 *   before the line. **Turn**: the record's `turn_id`, else the last turn started.
 * - **Forks**: a fork by reference (`session_meta.history_base`, Codex 0.169) holds only its own
 *   lines. A legacy fork (`forked_from_id` without `history_base`: Codex 0.100, and
 *   `RolloutRecorder.fork`) begins with a copy of its parent's lines; its records name the parent
 *   (`forkedFromId`) and the store marks the copies `inherited`, matching them to the parent's
 *   records.
 *
 * The index stores the records that count (and a legacy fork's, which the store may mark
 * `inherited`): repeats and duplicates are one or two lines of every call, and `usage --explain`
 * reads them from the rollout again (`explainUsage`). With `keepExcluded`, `finish` returns
 * them too.
 */
export class UsageCollector implements DerivedIndexCollector {
  readonly #records: UsageRecord[] = [];
  readonly #keepExcluded: boolean;
  #model: string | null = null;
  #turnId: string | null = null;
  #forkedFromId: string | null = null;
  #sawSessionMeta = false;
  /** The last `token_count` that counted, with its running totals. */
  #previous: { line: number; running: UsageTokens } | undefined;
  #lastTimeMs = 0;

  constructor(options: { keepExcluded?: boolean } = {}) {
    this.#keepExcluded = options.keepExcluded ?? false;
  }

  wants(peeked: PeekedLine): boolean {
    return wantedByUsage(peeked);
  }

  line(line: RolloutLine, lineNumber: number): void {
    const timeMs = this.#timeOf(line.timestamp);
    switch (line.type) {
      case 'session_meta': {
        if (this.#sawSessionMeta) return; // a legacy fork's copy of its parent's
        this.#sawSessionMeta = true;
        const meta = line.payload;
        const extra = meta as Record<string, unknown>;
        if (extra.history_base == null && extra.forked_from_ordinal_exclusive == null) {
          // A parent id that is not a UUID is dropped, as the thread row drops it.
          this.#forkedFromId = subAgentFactsOf(meta).forkedFromId;
        }
        return;
      }
      case 'turn_context': {
        const context = line.payload as Record<string, unknown>;
        if (typeof context.model === 'string') this.#model = context.model;
        if (typeof context.turn_id === 'string') this.#turnId = context.turn_id;
        return;
      }
      case 'event_msg': {
        const event = line.payload as Record<string, unknown>;
        if (event.type === 'token_count') this.#tokenCount(event.info, line, lineNumber, timeMs);
        else if (event.type === 'thread_settings_applied') {
          const model = (event.thread_settings as { model?: unknown } | undefined)?.model;
          if (typeof model === 'string') this.#model = model;
        } else if (event.type === 'task_started' || event.type === 'turn_started') {
          if (typeof event.turn_id === 'string') this.#turnId = event.turn_id;
        }
        return;
      }
      case 'token_usage_record': {
        const record = line.payload;
        const usage = tokensOf(record.usage);
        if (!usage) return;
        if (typeof record.turn_id === 'string') this.#turnId = record.turn_id;
        this.#add(
          line,
          lineNumber,
          timeMs,
          'token_usage_record',
          usage,
          tokensOf(record.thread_token_usage),
        );
        return;
      }
      case 'response_item':
      case 'compacted':
      case 'world_state':
      case 'unknown':
        return;
    }
  }

  /**
   * The records so far (copies): those that count, or with `keepExcluded` every one, duplicates of
   * `token_usage_record`s marked.
   */
  finish(): readonly UsageRecord[] {
    const recordLines = new Map<string, number>();
    for (const record of this.#records) {
      if (record.source === 'token_usage_record' && record.runningTotalTokens !== null) {
        recordLines.set(runningKey(record), record.line);
      }
    }
    const records: UsageRecord[] = [];
    for (const record of this.#records) {
      const counted = record.source === 'token_count' && record.excluded === null;
      const duplicateOf = counted ? recordLines.get(runningKey(record)) : undefined;
      if (duplicateOf !== undefined) {
        if (this.#keepExcluded) {
          records.push({ ...record, excluded: 'duplicate', excludedBy: String(duplicateOf) });
        }
      } else if (this.#keepExcluded || record.excluded === null) {
        records.push({ ...record });
      }
    }
    return records;
  }

  #tokenCount(info: unknown, line: RolloutLine, lineNumber: number, timeMs: number): void {
    if (typeof info !== 'object' || info === null) return;
    const { total_token_usage: totalValue, last_token_usage: lastValue } = info as Record<
      string,
      unknown
    >;
    const running = tokensOf(totalValue);
    const last = tokensOf(lastValue);
    const previous = this.#previous;
    const usage = last ?? (running ? difference(running, previous?.running) : undefined);
    if (!usage) return;
    const again =
      running !== undefined && previous !== undefined && sameTokens(running, previous.running);
    const excluded: UsageExclusion | null =
      again || (usage.inputTokens === 0 && usage.outputTokens === 0) ? 'repeat' : null;
    this.#add(
      line,
      lineNumber,
      timeMs,
      'token_count',
      usage,
      running,
      excluded,
      again ? previous.line : undefined,
    );
    if (excluded === null && running) this.#previous = { line: lineNumber, running };
  }

  #add(
    line: RolloutLine,
    lineNumber: number,
    timeMs: number,
    source: UsageRecord['source'],
    usage: UsageTokens,
    running: UsageTokens | undefined,
    excluded: UsageExclusion | null = null,
    excludedByLine?: number,
  ): void {
    this.#records.push({
      line: lineNumber,
      ordinal: line.ordinal ?? null,
      timeMs,
      turnId: this.#turnId,
      model: this.#model,
      source,
      ...usage,
      runningInputTokens: running?.inputTokens ?? null,
      runningOutputTokens: running?.outputTokens ?? null,
      runningTotalTokens: running?.totalTokens ?? null,
      excluded,
      excludedBy: excluded !== null && excludedByLine !== undefined ? String(excludedByLine) : null,
      forkedFromId: this.#forkedFromId,
    });
  }

  #timeOf(timestamp: string): number {
    const ms = Date.parse(timestamp);
    if (Number.isFinite(ms)) this.#lastTimeMs = ms;
    return this.#lastTimeMs;
  }
}

/** Codex's usage object (`input_tokens`, …) as {@link UsageTokens}; absent counts are 0. */
function tokensOf(value: unknown): UsageTokens | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const usage = value as Record<string, unknown>;
  const count = (key: string): number => {
    const n = usage[key];
    return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
  };
  const inputTokens = count('input_tokens');
  const outputTokens = count('output_tokens');
  const total = count('total_tokens');
  return {
    inputTokens,
    // Cached input is part of the input; a line saying more is clamped.
    cachedInputTokens: Math.min(count('cached_input_tokens'), inputTokens),
    cacheWriteInputTokens:
      typeof usage.cache_write_input_tokens === 'number' ? count('cache_write_input_tokens') : null,
    outputTokens,
    reasoningOutputTokens: count('reasoning_output_tokens'),
    totalTokens: total > 0 ? total : inputTokens + outputTokens,
  };
}

/** `after` minus `before`, field by field, never below 0 (a total that went down was reset). */
function difference(after: UsageTokens, before: UsageTokens | undefined): UsageTokens {
  const minus = (a: number, b: number | undefined): number => Math.max(0, a - (b ?? 0));
  return {
    inputTokens: minus(after.inputTokens, before?.inputTokens),
    cachedInputTokens: minus(after.cachedInputTokens, before?.cachedInputTokens),
    cacheWriteInputTokens:
      after.cacheWriteInputTokens === null
        ? null
        : minus(after.cacheWriteInputTokens, before?.cacheWriteInputTokens ?? 0),
    outputTokens: minus(after.outputTokens, before?.outputTokens),
    reasoningOutputTokens: minus(after.reasoningOutputTokens, before?.reasoningOutputTokens),
    totalTokens: minus(after.totalTokens, before?.totalTokens),
  };
}

function sameTokens(a: UsageTokens, b: UsageTokens): boolean {
  return (
    a.inputTokens === b.inputTokens &&
    a.cachedInputTokens === b.cachedInputTokens &&
    a.outputTokens === b.outputTokens &&
    a.reasoningOutputTokens === b.reasoningOutputTokens &&
    a.totalTokens === b.totalTokens
  );
}

function runningKey(record: UsageRecord): string {
  return `${record.runningInputTokens}/${record.runningOutputTokens}/${record.runningTotalTokens}`;
}

/**
 * The usage index as the indexer knows it (see {@link UsageCollector} for its rules).
 */
export const USAGE_RECORDS: DerivedIndexDefinition = {
  name: USAGE_INDEX_NAME,
  createCollector: () => new UsageCollector(),
};
