import { USAGE_INDEX_NAME, type IndexedThread, type UsageRecord } from '@agent-state/state';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId } from '@agent-state/test-utils/store-contract';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';

const T0 = Date.parse('2026-11-21T05:00:00Z');
const MINUTE = 60_000;

/** A counted call at `line`, `line` minutes after T0, with the running totals after it. */
function call(
  line: number,
  tokens: number,
  running: number,
  overrides: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    line,
    ordinal: null,
    timeMs: T0 + line * MINUTE,
    turnId: `turn-${line}`,
    model: 'gpt-5.5',
    source: 'token_count',
    inputTokens: tokens,
    cachedInputTokens: 0,
    cacheWriteInputTokens: null,
    outputTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: tokens,
    runningInputTokens: running,
    runningOutputTokens: 0,
    runningTotalTokens: running,
    excluded: null,
    excludedBy: null,
    forkedFromId: null,
    ...overrides,
  };
}

const entry = (n: number, records: UsageRecord[]): IndexedThread => ({
  metadata: sampleThread(n),
  derived: { [USAGE_INDEX_NAME]: records },
});

const PARENT = [call(5, 100, 100), call(9, 200, 300)];
const forkOf = (parent: number) => [
  call(3, 100, 100, { forkedFromId: sampleThreadId(parent) }),
  call(7, 200, 300, { forkedFromId: sampleThreadId(parent) }),
  call(12, 50, 350, { forkedFromId: sampleThreadId(parent) }),
];

// What the contract suite does not look at: forks and parents in one batch, batches of many
// threads, homes kept apart, and text PostgreSQL cannot hold.
describe.skipIf(!postgresAvailable())('PostgresUsage', () => {
  const stores = usePostgresStores(T0);
  const open = (acrossHomes?: true): Promise<PostgresStore> => stores.open({ acrossHomes });

  const marks = async (store: PostgresStore, n: number) =>
    (await store.usage.records(sampleThreadId(n))).map((r) => [r.line, r.excluded, r.excludedBy]);
  const total = async (store: PostgresStore) =>
    (await store.usage.aggregate({ groupBy: [] }))[0]?.totalTokens ?? 0;

  it('settles a fork and its parent written in one batch, in either order', async () => {
    const expected = [
      [3, 'inherited', sampleThreadId(1)],
      [7, 'inherited', sampleThreadId(1)],
      [12, null, null],
    ];
    for (const batch of [
      [entry(1, PARENT), entry(2, forkOf(1))],
      [entry(2, forkOf(1)), entry(1, PARENT)],
    ]) {
      const store = await open();
      await store.index.write(batch);
      expect(await marks(store, 2)).toEqual(expected);
      expect(await total(store)).toBe(300 + 50);
    }
  });

  it('credits a fork of a fork in one batch to the thread that counts each call', async () => {
    const store = await open();
    const grandchild = [
      call(2, 100, 100, { forkedFromId: sampleThreadId(2) }),
      call(4, 200, 300, { forkedFromId: sampleThreadId(2) }),
      call(6, 50, 350, { forkedFromId: sampleThreadId(2) }),
      call(8, 1, 351, { forkedFromId: sampleThreadId(2) }),
    ];
    await store.index.write([entry(3, grandchild), entry(2, forkOf(1)), entry(1, PARENT)]);
    expect(await marks(store, 3)).toEqual([
      [2, 'inherited', sampleThreadId(1)],
      [4, 'inherited', sampleThreadId(1)],
      [6, 'inherited', sampleThreadId(2)],
      [8, null, null],
    ]);
    expect(await total(store)).toBe(300 + 50 + 1);
  });

  it('ends on forks that name each other', async () => {
    const store = await open();
    await store.index.write([
      entry(1, [call(3, 10, 10, { forkedFromId: sampleThreadId(2) })]),
      entry(2, [call(3, 10, 10, { forkedFromId: sampleThreadId(1) })]),
      entry(4, [call(3, 10, 10, { forkedFromId: sampleThreadId(4) })]),
    ]);
    expect((await marks(store, 4))[0]).toEqual([3, null, null]);
    expect((await store.usage.coverage()).records).toBe(3);
  });

  it('writes a batch of many threads and records', async () => {
    const store = await open();
    const records = Array.from({ length: 40 }, (_, k) => call(k + 1, 10, 10 * (k + 1)));
    await store.index.write(Array.from({ length: 300 }, (_, i) => entry(i + 1, records)));
    expect(await store.usage.coverage()).toEqual({ threads: 300, indexed: 300, records: 12_000 });
    const [all] = await store.usage.aggregate({ groupBy: [] });
    expect(all).toMatchObject({ calls: 12_000, totalTokens: 120_000 });
    const byThread = await store.usage.aggregate({
      groupBy: ['thread'],
      threadIds: [sampleThreadId(7)],
    });
    expect(byThread).toMatchObject([{ threadId: sampleThreadId(7), calls: 40 }]);
  });

  it('keeps homes apart and sums them together across homes', async () => {
    const mine = await open();
    const theirs = await open();
    await mine.index.write([entry(1, PARENT)]);
    await theirs.index.write([entry(1, [call(5, 1, 1, { model: 'gpt-5-mini\u0000' })])]);
    expect(await total(mine)).toBe(300);
    expect(await total(theirs)).toBe(1);
    expect((await theirs.usage.records(sampleThreadId(1)))[0]!.model).toBe('gpt-5-mini\uFFFD');
    const across = await open(true);
    const byModel = await across.usage.aggregate({ groupBy: ['model'] });
    expect(byModel.map((row) => [row.model, row.totalTokens]).sort()).toEqual(
      expect.arrayContaining([
        ['gpt-5-mini\uFFFD', 1],
        ['gpt-5.5', expect.any(Number)],
      ]),
    );
    expect((await across.usage.records(sampleThreadId(1))).length).toBeGreaterThanOrEqual(3);
  });

  it('drops a thread’s records when the thread goes, by any delete', async () => {
    const store = await open();
    await store.index.write([entry(1, PARENT), entry(2, forkOf(1))]);
    await sql`DELETE FROM threads WHERE home_id = ${store.homeId}
      AND id = ${sampleThreadId(1)}`.execute(store.context.db);
    expect(await store.usage.records(sampleThreadId(1))).toEqual([]);
    expect((await marks(store, 2)).map(([, excluded]) => excluded)).toEqual([null, null, null]);
    expect(await store.usage.coverage()).toEqual({ threads: 1, indexed: 1, records: 3 });
  });
});
