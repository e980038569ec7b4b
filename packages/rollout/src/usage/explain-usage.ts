import {
  type AgentStateStore,
  NotFoundError,
  type ThreadMetadata,
  USAGE_INDEX_NAME,
  type UsageExclusion,
  type UsageRecord,
} from '@agent-state/state';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import { UsageCollector } from './usage-records.js';

/**
 * A usage record with why it counts or not, in words.
 *
 * @example
 * ```ts
 * console.log(`line ${record.line}: ${record.reason}`);
 * ```
 */
export interface ExplainedUsageRecord extends UsageRecord {
  /** `counted`, or why not: `no new usage (the running total of line 12 again)`, … */
  reason: string;
}

/**
 * A thread's usage, record by record (see {@link explainUsage}).
 *
 * @example
 * ```ts
 * const { records, counted, excluded } = await explainUsage({ store, threadId });
 * ```
 */
export interface UsageExplanation {
  thread: ThreadMetadata;
  /** Every record, in rollout order. */
  records: ExplainedUsageRecord[];
  /**
   * Whether the rollout could be read again for the records that do not count (repeats and
   * duplicates, which the store does not keep); when it could not (`rolloutError` says why), the
   * records are the store's alone.
   */
  fromRollout: boolean;
  rolloutError?: string | undefined;
  /** Tokens of the counted records. */
  counted: { calls: number; totalTokens: number };
  /** Records left out, by reason. */
  excluded: Record<UsageExclusion, number>;
}

/**
 * Options of {@link explainUsage}.
 *
 * @example
 * ```ts
 * const options: ExplainUsageOptions = { store, threadId: '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e' };
 * ```
 */
export interface ExplainUsageOptions {
  store: Pick<AgentStateStore, 'usage' | 'threads'>;
  threadId: string;
}

/**
 * Every usage record of a thread with its rollout line, counted or excluded with the reason: what
 * `agent-state usage --explain` prints, to trace a figure to the lines it came from. The records
 * that count come from the store; the repeats and duplicates, which it does not keep, from the
 * rollout, read again. A thread the store does not hold is a `NotFoundError`.
 *
 * @example
 * ```ts
 * const { records } = await explainUsage({ store, threadId: '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e' });
 * for (const r of records) console.log(r.line, r.totalTokens, r.reason);
 * ```
 */
export async function explainUsage(options: ExplainUsageOptions): Promise<UsageExplanation> {
  const thread = await options.store.threads.get(options.threadId);
  if (!thread) throw new NotFoundError(`thread ${options.threadId}`);
  const stored = await options.store.usage.records(thread.id);
  let read: { records: UsageRecord[]; error?: undefined } | { records?: undefined; error: string };
  try {
    read = { records: readUsageRecords(thread.rolloutPath) };
  } catch (error) {
    read = { error: error instanceof Error ? error.message : String(error) };
  }
  // The rollout's records, with what the store knows better (a legacy fork's inherited lines).
  const storedAt = new Map(stored.map((record) => [record.line, record]));
  const merged =
    read.records?.map((record) => {
      const known = storedAt.get(record.line);
      return known?.excluded === 'inherited'
        ? { ...record, excluded: known.excluded, excludedBy: known.excludedBy }
        : record;
    }) ?? stored;
  const records = merged.map((record) => ({ ...record, reason: reasonOf(record) }));
  const countedRecords = records.filter((record) => record.excluded === null);
  const excluded: Record<UsageExclusion, number> = { repeat: 0, duplicate: 0, inherited: 0 };
  for (const record of records) if (record.excluded !== null) excluded[record.excluded] += 1;
  return {
    thread,
    records,
    fromRollout: read.records !== undefined,
    ...(read.error === undefined ? {} : { rolloutError: read.error }),
    counted: {
      calls: countedRecords.length,
      totalTokens: countedRecords.reduce((sum, record) => sum + record.totalTokens, 0),
    },
    excluded,
  };
}

/**
 * Every usage record of a rollout, those that do not count included (repeats, duplicates), read
 * by the index's rules. Throws what reading the rollout throws.
 */
export function readUsageRecords(path: string): UsageRecord[] {
  const extracted = extractRolloutMetadata(path, {
    defaultProvider: DEFAULT_MODEL_PROVIDER,
    derivedIndexes: [
      {
        name: USAGE_INDEX_NAME,
        createCollector: () => new UsageCollector({ keepExcluded: true }),
      },
    ],
  });
  return [...(extracted.derived[USAGE_INDEX_NAME] as readonly UsageRecord[])];
}

function reasonOf(record: UsageRecord): string {
  switch (record.excluded) {
    case null:
      return 'counted';
    case 'repeat':
      return record.excludedBy === null
        ? 'no new usage (no input and no output)'
        : `no new usage (the running total of line ${record.excludedBy} again)`;
    case 'duplicate':
      return `the same call as the token_usage_record of line ${record.excludedBy ?? '?'}`;
    case 'inherited':
      return `copied from the parent thread ${record.excludedBy ?? '?'}, where it counts`;
  }
}
