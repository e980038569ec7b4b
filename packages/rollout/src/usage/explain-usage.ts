import {
  type AgentStateStore,
  NotFoundError,
  type ThreadMetadata,
  type UsageExclusion,
  type UsageRecord,
} from '@agent-state/state';

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
  /** Tokens of the counted records. */
  counted: { calls: number; totalTokens: number };
  /** Records left out, by reason. */
  excluded: Record<UsageExclusion, number>;
}

/**
 * Every usage record of a thread with its rollout line, counted or excluded with the reason: what
 * `agent-state usage --explain` prints, to trace a figure to the lines it came from. A thread the
 * store does not hold is a `NotFoundError`.
 *
 * @example
 * ```ts
 * const { records } = await explainUsage({ store, threadId: '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e' });
 * for (const r of records) console.log(r.line, r.totalTokens, r.reason);
 * ```
 */
export async function explainUsage(options: {
  store: Pick<AgentStateStore, 'usage' | 'threads'>;
  threadId: string;
}): Promise<UsageExplanation> {
  const thread = await options.store.threads.get(options.threadId);
  if (!thread) throw new NotFoundError(`thread ${options.threadId}`);
  const records = (await options.store.usage.records(thread.id)).map((record) => ({
    ...record,
    reason: reasonOf(record),
  }));
  const countedRecords = records.filter((record) => record.excluded === null);
  const excluded: Record<UsageExclusion, number> = { repeat: 0, duplicate: 0, inherited: 0 };
  for (const record of records) if (record.excluded !== null) excluded[record.excluded] += 1;
  return {
    thread,
    records,
    counted: {
      calls: countedRecords.length,
      totalTokens: countedRecords.reduce((sum, record) => sum + record.totalTokens, 0),
    },
    excluded,
  };
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
