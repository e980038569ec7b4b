import {
  type IndexedThread,
  ManualClock,
  USAGE_INDEX_NAME,
  type UsageRecord,
} from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { sampleThread, sampleThreadId } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

const T0 = Date.parse('2026-11-21T05:00:00Z');
const MINUTE = 60_000;

/**
 * A counted `token_count` record at `line`, `line` minutes after T0, whose running totals are
 * `running` (input, output) after a call of `input` and `output` tokens.
 */
function call(
  line: number,
  input: number,
  output: number,
  running: [number, number],
  overrides: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    line,
    ordinal: null,
    timeMs: T0 + line * MINUTE,
    turnId: `turn-${line}`,
    model: 'gpt-5.5',
    source: 'token_count',
    inputTokens: input,
    cachedInputTokens: Math.floor(input / 2),
    cacheWriteInputTokens: null,
    outputTokens: output,
    reasoningOutputTokens: Math.floor(output / 4),
    totalTokens: input + output,
    runningInputTokens: running[0],
    runningOutputTokens: running[1],
    runningTotalTokens: running[0] + running[1],
    excluded: null,
    excludedBy: null,
    forkedFromId: null,
    ...overrides,
  };
}

function entry(
  n: number,
  records: UsageRecord[],
  overrides: Parameters<typeof sampleThread>[1] = {},
): IndexedThread {
  return { metadata: sampleThread(n, overrides), derived: { [USAGE_INDEX_NAME]: records } };
}

/** A parent's three calls (the second a repeat), as its rollout gives them. */
const PARENT: UsageRecord[] = [
  call(5, 100, 10, [100, 10]),
  call(6, 100, 10, [100, 10], { excluded: 'repeat', excludedBy: '5' }),
  call(9, 200, 20, [300, 30]),
];

/** A legacy fork of thread 1: its copies of the parent's lines, then its own call. */
function legacyFork(): UsageRecord[] {
  const parent = sampleThreadId(1);
  return [
    call(3, 100, 10, [100, 10], { forkedFromId: parent }),
    call(4, 100, 10, [100, 10], { forkedFromId: parent, excluded: 'repeat', excludedBy: '3' }),
    call(7, 200, 20, [300, 30], { forkedFromId: parent }),
    call(12, 50, 5, [350, 35], { forkedFromId: parent }),
  ];
}

/** The contract of `store.usage` (see `UsageStore`): records in, sums of the counted ones out. */
export function describeUsageContract(factory: StoreContractFactory): void {
  describe('usage', () => {
    const h = useContractStore(factory, () => new ManualClock(T0));

    it('sums counted records per group, leaving excluded ones out', async () => {
      await h.store.index.write([
        entry(1, PARENT, { cwd: 'projects/app' }),
        entry(2, [call(3, 40, 4, [40, 4], { model: 'gpt-5-mini' })], { cwd: 'projects/web' }),
      ]);
      const [all] = await h.store.usage.aggregate({ groupBy: [] });
      expect(all).toMatchObject({
        calls: 3,
        inputTokens: 340,
        cachedInputTokens: 170,
        outputTokens: 34,
        reasoningOutputTokens: 8,
        totalTokens: 374,
        firstMs: T0 + 3 * MINUTE,
        lastMs: T0 + 9 * MINUTE,
      });
      const byModel = await h.store.usage.aggregate({ groupBy: ['model'] });
      expect(byModel.map((row) => [row.model, row.calls, row.totalTokens]).sort()).toEqual([
        ['gpt-5-mini', 1, 44],
        ['gpt-5.5', 2, 330],
      ]);
      const byCwd = await h.store.usage.aggregate({ groupBy: ['cwd', 'thread'] });
      expect(byCwd.map((row) => [row.cwd, row.threadId, row.totalTokens]).sort()).toEqual([
        ['projects/app', sampleThreadId(1), 330],
        ['projects/web', sampleThreadId(2), 44],
      ]);
    });

    it('groups by quarter hour and filters by time, model, cwd, thread and archive', async () => {
      await h.store.index.write([
        entry(1, PARENT, { cwd: 'projects/app' }),
        entry(2, [call(3, 40, 4, [40, 4], { model: 'gpt-5-mini' })], {
          cwd: 'projects/web',
          archivedAt: 1_700_000_100,
        }),
      ]);
      const quarters = await h.store.usage.aggregate({ groupBy: ['quarterHour'] });
      expect(quarters.map((row) => [row.quarterHourMs, row.calls]).sort()).toEqual([
        [T0, 3], // lines 3, 5 and 9: minutes 3 to 9 of the first quarter hour
      ]);
      const total = async (options: object) =>
        (await h.store.usage.aggregate({ groupBy: [], ...options }))[0]?.totalTokens ?? 0;
      expect(await total({ sinceMs: T0 + 6 * MINUTE })).toBe(220);
      expect(await total({ untilMs: T0 + 6 * MINUTE })).toBe(154);
      expect(await total({ models: ['gpt-5-mini'] })).toBe(44);
      expect(await total({ cwds: ['projects/app'] })).toBe(330);
      expect(await total({ archived: true })).toBe(44);
      expect(await total({ archived: false })).toBe(330);
      expect(await total({ threadIds: [sampleThreadId(2)] })).toBe(44);
      expect(await h.store.usage.aggregate({ groupBy: [], models: ['none'] })).toEqual([]);
      await expect(h.store.usage.aggregate({ groupBy: ['day' as never] })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    });

    it("gives back a thread's records, counted and excluded, in rollout order", async () => {
      await h.store.index.write([entry(1, [...PARENT].reverse())]);
      const records = await h.store.usage.records(sampleThreadId(1));
      expect(records).toEqual(PARENT);
      expect(await h.store.usage.records(sampleThreadId(9))).toEqual([]);
    });

    it('excludes the lines a legacy fork copied from its parent, whichever is indexed first', async () => {
      // The fork first: its parent is not known yet, so its copies count.
      await h.store.index.write([entry(2, legacyFork())]);
      let [fork] = await h.store.usage.aggregate({ groupBy: [], threadIds: [sampleThreadId(2)] });
      expect(fork?.totalTokens).toBe(385);
      // Then the parent: the fork's first two counted records repeat it, and are its.
      await h.store.index.write([entry(1, PARENT)]);
      [fork] = await h.store.usage.aggregate({ groupBy: [], threadIds: [sampleThreadId(2)] });
      expect(fork).toMatchObject({ calls: 1, totalTokens: 55 });
      const records = await h.store.usage.records(sampleThreadId(2));
      expect(records.map((r) => [r.line, r.excluded, r.excludedBy])).toEqual([
        [3, 'inherited', sampleThreadId(1)],
        [4, 'repeat', '3'],
        [7, 'inherited', sampleThreadId(1)],
        [12, null, null],
      ]);
      const [all] = await h.store.usage.aggregate({ groupBy: [] });
      expect(all?.totalTokens).toBe(330 + 55);

      // Rewriting the fork keeps the resolution; deleting the parent gives the copies back.
      await h.store.index.write([entry(2, legacyFork())]);
      [fork] = await h.store.usage.aggregate({ groupBy: [], threadIds: [sampleThreadId(2)] });
      expect(fork?.totalTokens).toBe(55);
      await h.store.threads.delete(sampleThreadId(1));
      expect((await h.store.usage.aggregate({ groupBy: [] }))[0]?.totalTokens).toBe(385);
    });

    it('matches a fork to its parent only as far as their running totals agree', async () => {
      const parent = sampleThreadId(1);
      await h.store.index.write([
        entry(1, PARENT),
        // Forked after the parent's first call, then its own call of the same size as the
        // parent's second: a different running total after it.
        entry(2, [
          call(3, 100, 10, [100, 10], { forkedFromId: parent }),
          call(6, 150, 15, [250, 25], { forkedFromId: parent }),
        ]),
      ]);
      const records = await h.store.usage.records(sampleThreadId(2));
      expect(records.map((r) => r.excluded)).toEqual(['inherited', null]);
    });

    it('groups by quarter hour, whatever the hour', async () => {
      await h.store.index.write([
        entry(1, [
          call(14, 10, 1, [10, 1]),
          call(15, 10, 1, [20, 2]),
          call(44, 10, 1, [30, 3]),
          call(45, 10, 1, [40, 4]),
          call(75, 10, 1, [50, 5]),
        ]),
      ]);
      const quarters = await h.store.usage.aggregate({ groupBy: ['quarterHour'] });
      expect(
        quarters
          .map((row) => [(row.quarterHourMs! - T0) / MINUTE, row.calls])
          .sort((a, b) => a[0]! - b[0]!),
      ).toEqual([
        [0, 1],
        [15, 1],
        [30, 1],
        [45, 1],
        [75, 1],
      ]);
    });

    it("attributes a fork of a fork's copies to the thread that counts them", async () => {
      const parent = sampleThreadId(1);
      const child = sampleThreadId(2);
      // The child copied the parent's calls and made one; the grandchild copied the child's file.
      const childRecords = [
        call(3, 100, 10, [100, 10], { forkedFromId: parent }),
        call(7, 200, 20, [300, 30], { forkedFromId: parent }),
        call(9, 50, 5, [350, 35], { forkedFromId: parent }),
      ];
      const grandchildRecords = [
        call(2, 100, 10, [100, 10], { forkedFromId: child }),
        call(4, 200, 20, [300, 30], { forkedFromId: child }),
        call(6, 50, 5, [350, 35], { forkedFromId: child }),
        call(8, 1, 1, [351, 36], { forkedFromId: child }),
      ];
      // Written grandchild first, then the child, then the parent: every order settles.
      await h.store.index.write([entry(3, grandchildRecords)]);
      await h.store.index.write([entry(2, childRecords)]);
      await h.store.index.write([entry(1, PARENT)]);
      const marks = async (n: number) =>
        (await h.store.usage.records(sampleThreadId(n))).map((r) => [r.excluded, r.excludedBy]);
      expect(await marks(2)).toEqual([
        ['inherited', parent],
        ['inherited', parent],
        [null, null],
      ]);
      expect(await marks(3)).toEqual([
        ['inherited', parent],
        ['inherited', parent],
        ['inherited', child],
        [null, null],
      ]);
      const total = async () => (await h.store.usage.aggregate({ groupBy: [] }))[0]?.totalTokens;
      expect(await total()).toBe(330 + 55 + 2);

      // The child goes: what it counted of its own counts in the grandchild again, not the
      // parent's calls.
      await h.store.threads.delete(child);
      expect(await marks(3)).toEqual([
        ['inherited', parent],
        ['inherited', parent],
        [null, null],
        [null, null],
      ]);
      expect(await total()).toBe(330 + 55 + 2);
    });

    it("counts a fork's copies again once its parent no longer has them", async () => {
      const parent = sampleThreadId(1);
      await h.store.index.write([
        entry(1, PARENT),
        entry(2, [
          call(3, 100, 10, [100, 10], { forkedFromId: parent }),
          call(7, 200, 20, [300, 30], { forkedFromId: parent }),
        ]),
      ]);
      expect((await h.store.usage.records(sampleThreadId(2))).map((r) => r.excluded)).toEqual([
        'inherited',
        'inherited',
      ]);
      // The parent's rollout rewritten: its first call is another one now.
      await h.store.index.write([entry(1, [call(5, 90, 9, [90, 9])])]);
      expect((await h.store.usage.records(sampleThreadId(2))).map((r) => r.excluded)).toEqual([
        null,
        null,
      ]);
    });

    it('says how many threads the index covers and lists the others', async () => {
      await h.store.index.write([
        entry(1, PARENT),
        { metadata: sampleThread(2) }, // written without derived records
        entry(3, []),
      ]);
      expect(await h.store.usage.coverage()).toEqual({ threads: 3, indexed: 2, records: 3 });
      const unindexed = await h.store.usage.unindexed({ limit: 10 });
      expect(unindexed.map((thread) => thread.id)).toEqual([sampleThreadId(2)]);
      await h.store.threads.delete(sampleThreadId(1));
      expect(await h.store.usage.coverage()).toEqual({ threads: 2, indexed: 1, records: 0 });
    });

    it('refuses records of the wrong shape, writing nothing of the batch', async () => {
      const bad = { ...call(3, 1, 1, [1, 1]), inputTokens: -1 };
      await expect(h.store.index.write([entry(1, PARENT), entry(2, [bad])])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      expect(await h.store.usage.coverage()).toEqual({ threads: 0, indexed: 0, records: 0 });
    });
  });
}
