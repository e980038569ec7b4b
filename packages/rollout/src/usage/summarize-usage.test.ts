import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  ManualClock,
  type StateStore,
  USAGE_INDEX_NAME,
  type UsageRecord,
  buildThreadMetadata,
  openStateStore,
} from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { sampleTurn } from '../../test/sample-session.js';
import { runBackfill } from '../backfill/run-backfill.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { RolloutRecorder } from '../recorder/rollout-recorder.js';
import { explainUsage } from './explain-usage.js';
import { OPENAI_PRICING, costOf, loadPricingTable, priceOf } from './pricing.js';
import { reindexUsage } from './reindex-usage.js';
import { summarizeUsage } from './summarize-usage.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

const T0 = Date.parse('2026-12-01T00:00:00Z');

async function indexedHome(version: 'v0.100.0' | 'v0.169.0' | 'v0.169.0-compressed') {
  const home = copyCodexHome(version, temp.make('home'));
  const clock = new ManualClock(T0);
  const store = await openStateStore({ home, clock });
  stores.push(store);
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  return { home, store, clock };
}

describe('summarizeUsage on the fixture homes', () => {
  it('sums a Codex 0.169 home by day, session and model, each call once', async () => {
    const { store } = await indexedHome('v0.169.0');
    const daily = await summarizeUsage({ store, timeZone: 'UTC' });
    expect(daily.rows.map((row) => row.key)).toEqual(['2026-11-21']);
    // Ten threads in sessions/ (3,387 tokens) and two archived ones (153 and 173).
    expect(daily.totals).toMatchObject({
      inputTokens: 3_293,
      cachedInputTokens: 0,
      outputTokens: 420,
      reasoningOutputTokens: 63,
      totalTokens: 3_713,
    });
    // 21 calls: the store keeps their token_usage_records, not their token_count twins.
    expect(daily.coverage).toEqual({ threads: 14, indexed: 14, records: 21 });

    const sessions = await summarizeUsage({ store, groupBy: 'session', timeZone: 'UTC' });
    expect(sessions.rows).toHaveLength(12); // two threads made no model call
    for (const row of sessions.rows) {
      const thread = await store.threads.get(row.key);
      expect(row.totalTokens, row.key).toBe(thread?.tokensUsed);
      expect(row.thread?.title).toBe(thread?.title);
    }
    const notArchived = await summarizeUsage({ store, archived: false, timeZone: 'UTC' });
    expect(notArchived.totals.totalTokens).toBe(3_387);

    // Days are those of the time zone asked for.
    const pacific = await summarizeUsage({ store, timeZone: 'America/Los_Angeles' });
    expect(pacific.rows.map((row) => row.key)).toEqual(['2026-11-20']);
    expect(pacific.timeZone).toBe('America/Los_Angeles');
  });

  it('prices known models, and says which are not known instead of counting them as free', async () => {
    const { store } = await indexedHome('v0.169.0');
    const byModel = await summarizeUsage({ store, groupBy: 'model' });
    expect(byModel.rows.map((row) => [row.key, row.costUsd])).toEqual([['gpt-5.5', null]]);
    expect(byModel.unpricedModels).toEqual(['gpt-5.5']);
    expect(byModel.totals).toMatchObject({ costUsd: null, knownCostUsd: 0 });

    const pricingFile = join(temp.make('pricing'), 'prices.json');
    writeFileSync(
      pricingFile,
      JSON.stringify({
        asOf: '2026-12-01',
        source: 'a contract',
        models: { 'gpt-5.5': { input: 2, cachedInput: 0.2, output: 16 } },
      }),
    );
    const pricing = loadPricingTable(pricingFile);
    const priced = await summarizeUsage({ store, groupBy: 'model', pricing });
    expect(priced.rows[0]!.costUsd).toBeCloseTo((3_293 * 2 + 420 * 16) / 1e6, 12);
    expect(priced.pricing).toEqual({ asOf: '2026-12-01', source: 'a contract' });
    expect(priced.unpricedModels).toEqual([]);
  });

  it('counts a fork by reference (compressed parent) for its own calls only', async () => {
    const { store } = await indexedHome('v0.169.0-compressed');
    const sessions = await summarizeUsage({ store, groupBy: 'session', timeZone: 'UTC' });
    const fork = sessions.rows.find((row) => row.key.startsWith('01a249b9-5d8c'));
    // Codex stores 663 for it (its parent's 520 and its own 143).
    expect(fork).toMatchObject({ totalTokens: 143, calls: 1, models: ['mock-model'] });
    expect((await store.threads.get(fork!.key))?.tokensUsed).toBe(663);
    const byModel = await summarizeUsage({ store, groupBy: 'model', breakdown: true });
    expect(byModel.rows.map((row) => row.key).sort()).toEqual(['gpt-5.5', 'mock-model']);
  });

  it('refuses an unknown time zone or report with the argument named', async () => {
    const { store } = await indexedHome('v0.169.0');
    await expect(summarizeUsage({ store, timeZone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(summarizeUsage({ store, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      /Mars\/Olympus/,
    );
    await expect(summarizeUsage({ store, groupBy: 'hourly' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('usage of legacy forks (RolloutRecorder.fork)', () => {
  it('excludes the parent calls a fork copied, and explains every record', async () => {
    const { home, store, clock } = await indexedHome('v0.100.0');
    const parentId = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
    const parentPath = (await findRolloutFileById({ home, id: parentId }))!;
    const parentTokens = (await store.threads.get(parentId))!.tokensUsed; // 520

    // Forked three times; each fork makes one call of its own.
    const forks: string[] = [];
    for (const n of [1, 2, 3]) {
      const fork = await RolloutRecorder.fork({ home, parentPath, store, clock });
      await fork.record(
        sampleTurn({
          turnId: `turn-fork-${n}`,
          cwd: '/home/user/projects/repo-a',
          prompt: `RUN: echo ${n}`,
          answer: 'done',
          approvalPolicy: 'never',
          sandboxPolicy: { type: 'read-only' },
          tokensBefore: parentTokens,
        }),
      );
      await fork.close();
      forks.push(fork.threadId);
    }
    const sessions = await summarizeUsage({ store, groupBy: 'session' });
    const tokensOf = (id: string) => sessions.rows.find((row) => row.key === id)?.totalTokens;
    expect(tokensOf(parentId)).toBe(parentTokens);
    for (const id of forks) {
      // The turn's two calls: 137 + 20, then 150 + 25.
      expect(tokensOf(id)).toBe(157 + 175);
    }

    // Counting the copies would bill the parent four times. Indexed again from nothing, in
    // another order (the forks are newer: the backfill reads them before their parent), the
    // same figures.
    const copy = temp.make('copy');
    for (const dir of ['sessions', 'archived_sessions']) {
      cpSync(join(home, dir), join(copy, dir), { recursive: true });
    }
    const fresh = await openStateStore({ home: copy });
    stores.push(fresh);
    expect((await runBackfill({ store: fresh, workers: 0 })).outcome).toBe('complete');
    const again = await summarizeUsage({ store: fresh, groupBy: 'session' });
    expect(again.totals.totalTokens).toBe(sessions.totals.totalTokens);
    expect(again.rows.map((row) => [row.key, row.totalTokens])).toEqual(
      sessions.rows.map((row) => [row.key, row.totalTokens]),
    );

    const explained = await explainUsage({ store, threadId: forks[0]! });
    expect(explained.excluded).toEqual({ repeat: 2, duplicate: 0, inherited: 3 });
    expect(explained.counted.calls).toBe(2);
    const inherited = explained.records.filter((r) => r.excluded === 'inherited');
    expect(
      inherited.every(
        (r) => r.reason === `copied from the parent thread ${parentId}, where it counts`,
      ),
    ).toBe(true);
    expect(explained.records.map((r) => r.line)).toEqual(
      [...explained.records.map((r) => r.line)].sort((a, b) => a - b),
    );
  });
});

describe('usage of other forks, and of stores older than usage', () => {
  it("excludes what a fork of a Codex 0.169 thread copied, matched by the records' running totals", async () => {
    const { home, store, clock } = await indexedHome('v0.169.0');
    const parentId = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';
    const parentPath = (await findRolloutFileById({ home, id: parentId }))!;
    // The recorder copies the parent's token_count lines, not its token_usage_records.
    const fork = await RolloutRecorder.fork({ home, parentPath, store, clock });
    await fork.close();
    const explained = await explainUsage({ store, threadId: fork.threadId });
    expect(explained.excluded).toEqual({ repeat: 0, duplicate: 0, inherited: 3 });
    expect(explained.counted).toEqual({ calls: 0, totalTokens: 0 });
    const sessions = await summarizeUsage({ store, groupBy: 'session' });
    expect(sessions.rows.find((row) => row.key === fork.threadId)).toBeUndefined();
    expect(sessions.rows.find((row) => row.key === parentId)?.totalTokens).toBe(520);
  });

  it('fills the usage index of threads a release without it indexed (reindexUsage)', async () => {
    const { store } = await indexedHome('v0.100.0');
    const before = await summarizeUsage({ store });
    // Rows written without the indexer, as by a release without usage.
    for (const thread of await store.threads.scan({ limit: 3 })) {
      await store.threads.delete(thread.id);
      await store.threads.upsert(thread);
    }
    expect(await store.usage.coverage()).toMatchObject({ threads: 12, indexed: 9 });
    const progress: number[] = [];
    const result = await reindexUsage({ store, onProgress: ({ done }) => progress.push(done) });
    expect(result).toEqual({ indexed: 3, failed: [] });
    expect(progress).toEqual([3]);
    expect(await store.usage.coverage()).toMatchObject({ threads: 12, indexed: 12 });
    expect((await summarizeUsage({ store })).totals).toEqual(before.totals);
    expect(await reindexUsage({ store })).toEqual({ indexed: 0, failed: [] });
  });
});

describe('pricing', () => {
  it('finds a model by its name, without a date suffix or provider prefix, never by a guess', () => {
    expect(priceOf(OPENAI_PRICING, 'gpt-5')).toEqual({
      input: 1.25,
      cachedInput: 0.125,
      output: 10,
    });
    expect(priceOf(OPENAI_PRICING, 'gpt-5-2025-08-07')).toEqual(priceOf(OPENAI_PRICING, 'gpt-5'));
    expect(priceOf(OPENAI_PRICING, 'openai/gpt-5-mini')).toEqual(
      priceOf(OPENAI_PRICING, 'gpt-5-mini'),
    );
    expect(priceOf(OPENAI_PRICING, 'gpt-5.5')).toBeUndefined();
    expect(priceOf(OPENAI_PRICING, null)).toBeUndefined();
    expect(
      costOf(
        { inputTokens: 2_000_000, cachedInputTokens: 1_000_000, outputTokens: 1_000_000 },
        { input: 1.25, cachedInput: 0.125, output: 10 },
      ),
    ).toBeCloseTo(1.25 + 0.125 + 10, 12);
  });

  it('says what is wrong with a pricing file, naming it', () => {
    const dir = temp.make('pricing');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ asOf: '2026-12-01', models: { x: { input: -1 } } }));
    expect(() => loadPricingTable(bad)).toThrow(/bad\.json: models\.x\.input/);
    writeFileSync(bad, '{');
    expect(() => loadPricingTable(bad)).toThrow(/bad\.json is not JSON/);
    expect(() => loadPricingTable(join(dir, 'none.json'))).toThrow(/not found/);
  });
});

describe('summarizeUsage between days', () => {
  it("takes days of the report's time zone, both ends included", async () => {
    const { store } = await indexedHome('v0.169.0');
    // Every call of the home was made on 2026-11-21 between 05:44 and 05:45 UTC.
    const total = async (options: object) =>
      (await summarizeUsage({ store, ...options })).totals.totalTokens;
    expect(await total({ timeZone: 'UTC', sinceDay: '2026-11-21', untilDay: '2026-11-21' })).toBe(
      3_713,
    );
    expect(await total({ timeZone: 'UTC', sinceDay: '2026-11-22' })).toBe(0);
    expect(await total({ timeZone: 'UTC', untilDay: '2026-11-20' })).toBe(0);
    // In Los Angeles it was still the 20th; in Tokyo, the 21st.
    expect(await total({ timeZone: 'America/Los_Angeles', untilDay: '2026-11-20' })).toBe(3_713);
    expect(
      await total({ timeZone: 'Asia/Tokyo', sinceDay: '2026-11-21', untilDay: '2026-11-21' }),
    ).toBe(3_713);
    expect(await total({ timeZone: 'Asia/Tokyo', untilDay: '2026-11-20' })).toBe(0);
    await expect(summarizeUsage({ store, sinceDay: '2026-02-30' })).rejects.toThrow(/sinceDay/);
    await expect(
      summarizeUsage({ store, groupBy: 'model', timeZone: 'Nowhere/City' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('summarizeUsage by week, and across clock changes', () => {
  /** A store holding one thread whose counted calls were made at `times` (ISO). */
  async function storeWithCalls(times: readonly string[]) {
    const home = temp.make('home');
    const store = await openStateStore({ home });
    stores.push(store);
    const id = '01a1fca2-0000-7000-8000-0000000000aa';
    await store.index.write([
      {
        metadata: buildThreadMetadata(
          {
            id,
            rolloutPath: join(home, 'sessions', `${id}.jsonl`),
            createdAt: 1_790_000_000,
            source: 'cli',
          },
          { defaultProvider: 'openai' },
        ),
        derived: {
          [USAGE_INDEX_NAME]: times.map((time, index): UsageRecord => ({
            line: index + 1,
            ordinal: null,
            timeMs: Date.parse(time),
            turnId: null,
            model: 'gpt-5',
            source: 'token_count',
            inputTokens: 10,
            cachedInputTokens: 0,
            cacheWriteInputTokens: null,
            outputTokens: 1,
            reasoningOutputTokens: 0,
            totalTokens: 11,
            runningInputTokens: 10 * (index + 1),
            runningOutputTokens: index + 1,
            runningTotalTokens: 11 * (index + 1),
            excluded: null,
            excludedBy: null,
            forkedFromId: null,
          })),
        },
      },
    ]);
    return store;
  }

  it('starts weeks on Monday, in the time zone asked for', async () => {
    // Sunday 2026-11-22 23:30 in Paris is Sunday 22:30 UTC; Monday 2026-11-23 00:30 in Paris is
    // Sunday 23:30 UTC.
    const store = await storeWithCalls(['2026-11-22T22:30:00Z', '2026-11-22T23:30:00Z']);
    const paris = await summarizeUsage({ store, groupBy: 'weekly', timeZone: 'Europe/Paris' });
    expect(paris.rows.map((row) => [row.key, row.calls])).toEqual([
      ['2026-11-16', 1],
      ['2026-11-23', 1],
    ]);
    const utc = await summarizeUsage({ store, groupBy: 'weekly', timeZone: 'UTC' });
    expect(utc.rows.map((row) => [row.key, row.calls])).toEqual([['2026-11-16', 2]]);
  });

  it('starts a day at its first instant where the clocks skip its midnight', async () => {
    // Santiago moves from -04 to -03 at midnight on 2026-09-06: that day starts at 01:00 local,
    // 04:00 UTC. 03:30 UTC is still 23:30 on 09-05; 04:30 UTC is 01:30 on 09-06.
    const store = await storeWithCalls(['2026-09-06T03:30:00Z', '2026-09-06T04:30:00Z']);
    const santiago = { timeZone: 'America/Santiago' };
    const since = await summarizeUsage({ store, ...santiago, sinceDay: '2026-09-06' });
    expect(since.rows.map((row) => [row.key, row.calls])).toEqual([['2026-09-06', 1]]);
    const until = await summarizeUsage({ store, ...santiago, untilDay: '2026-09-05' });
    expect(until.rows.map((row) => [row.key, row.calls])).toEqual([['2026-09-05', 1]]);
    // And a day a clock change makes 25 hours long (Paris, 2026-10-25) keeps both its ends.
    const paris = await storeWithCalls(['2026-10-24T22:00:00Z', '2026-10-25T22:59:00Z']);
    const day = await summarizeUsage({
      store: paris,
      timeZone: 'Europe/Paris',
      sinceDay: '2026-10-25',
      untilDay: '2026-10-25',
    });
    expect(day.totals.calls).toBe(2);
  });

  it('takes the later of a day and a time as the start, the earlier as the end', async () => {
    const store = await storeWithCalls(['2026-11-21T01:00:00Z', '2026-11-21T12:00:00Z']);
    const both = await summarizeUsage({
      store,
      timeZone: 'UTC',
      sinceDay: '2026-11-21',
      sinceMs: Date.parse('2026-11-21T06:00:00Z'),
      untilDay: '2026-11-21',
      untilMs: Date.parse('2026-11-22T06:00:00Z'),
    });
    expect(both.totals.calls).toBe(1);
  });
});
