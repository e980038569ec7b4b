import { tempDirs } from '@agent-state/test-utils';
import {
  SAMPLE_DYNAMIC_TOOLS,
  sampleThread,
  sampleThreadId,
} from '@agent-state/test-utils/store-contract';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ErrorCode } from '../errors.js';
import { stateDbPath } from '../paths/home.js';
import { SEARCH_INDEX_NAME } from '../search/sqlite-search-index.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { USAGE_INDEX_NAME } from '../usage/sqlite-usage-index.js';
import type { UsageRecord } from '../usage/usage-record.js';

const temp = tempDirs();
let store: StateStore;
let home: string;

beforeEach(async () => {
  home = temp.make('home');
  store = await openStateStore({ home });
});
afterEach(async () => {
  await store.close();
  temp.cleanup();
});

const record: UsageRecord = {
  line: 4,
  ordinal: null,
  timeMs: 1_800_000_000_000,
  turnId: 'turn-1',
  model: 'gpt-5.5',
  source: 'token_count',
  inputTokens: 100,
  cachedInputTokens: 0,
  cacheWriteInputTokens: null,
  outputTokens: 10,
  reasoningOutputTokens: 0,
  totalTokens: 110,
  runningInputTokens: 100,
  runningOutputTokens: 10,
  runningTotalTokens: 110,
  excluded: null,
  excludedBy: null,
  forkedFromId: null,
};

/** The ids changed after `afterSeq`, in feed order (one page is enough here). */
async function changedSince(afterSeq: number): Promise<string[]> {
  return (await store.changes.since({ afterSeq, limit: 100 })).map((change) => change.threadId);
}

describe('the change feed (store.changes)', () => {
  it('starts empty, and each write moves exactly the threads it wrote to the head of the feed', async () => {
    expect(await store.changes.head()).toBe(0);
    expect(await changedSince(0)).toEqual([]);

    await store.threads.upsertMany([sampleThread(1), sampleThread(2), sampleThread(3)]);
    expect(await changedSince(0)).toEqual([1, 2, 3].map(sampleThreadId));
    const afterUpserts = await store.changes.head();
    expect(afterUpserts).toBeGreaterThanOrEqual(3);

    // The indexer's write of one thread with its tools, documents and usage records.
    await store.index.write([
      {
        metadata: sampleThread(2, { title: 'renamed' }),
        dynamicTools: SAMPLE_DYNAMIC_TOOLS,
        derived: {
          [SEARCH_INDEX_NAME]: [
            {
              kind: 'user_message',
              turnId: 'turn-1',
              timeMs: 1_800_000_000_000,
              line: 3,
              ordinal: null,
              text: 'hello',
            },
          ],
          [USAGE_INDEX_NAME]: [record],
        },
      },
    ]);
    expect(await changedSince(afterUpserts)).toEqual([sampleThreadId(2)]);
    const afterIndex = await store.changes.head();
    expect(afterIndex).toBeGreaterThan(afterUpserts);

    // Every other kind of write: archive, rename of the rollout, tools stored later.
    await store.threads.markArchived(sampleThreadId(3), {
      rolloutPath: '/archived/rollout-3.jsonl',
      archivedAt: 1_700_000_100,
    });
    await store.dynamicTools.persist(sampleThreadId(1), SAMPLE_DYNAMIC_TOOLS.slice(0, 1));
    expect(await changedSince(afterIndex)).toEqual([3, 1].map(sampleThreadId));
    const afterArchive = await store.changes.head();
    await store.threads.renameRollout(sampleThreadId(3), {
      from: '/archived/rollout-3.jsonl',
      to: '/archived/rollout-3.jsonl.zst',
    });
    expect(await changedSince(afterArchive)).toEqual([sampleThreadId(3)]);

    // Nothing written, nothing fed: tools already stored are kept, a rename that does not apply
    // changes no row.
    const settled = await store.changes.head();
    await store.dynamicTools.persist(sampleThreadId(1), SAMPLE_DYNAMIC_TOOLS.slice(0, 1));
    await store.threads.renameRollout(sampleThreadId(3), { from: '/elsewhere', to: '/x' });
    expect(await store.changes.head()).toBe(settled);
    // Every thread appears once, at its last change.
    expect(await changedSince(0)).toEqual([2, 1, 3].map(sampleThreadId));
  });

  it('feeds writes made by any connection, since the triggers are in the file', async () => {
    await store.threads.upsertMany([sampleThread(1), sampleThread(2)]);
    const head = await store.changes.head();
    const raw = new Database(stateDbPath(home));
    raw.prepare("UPDATE threads SET title = 'by hand' WHERE id = ?").run(sampleThreadId(1));
    raw.close();
    expect(await store.changes.since({ afterSeq: head, limit: 10 })).toEqual([
      { threadId: sampleThreadId(1), seq: head + 1 },
    ]);
  });

  it('keeps a deleted thread as a tombstone: its id is listed and no thread has it', async () => {
    await store.index.write([
      {
        metadata: sampleThread(1),
        dynamicTools: SAMPLE_DYNAMIC_TOOLS,
        derived: { [USAGE_INDEX_NAME]: [record] },
      },
      { metadata: sampleThread(2) },
    ]);
    const head = await store.changes.head();
    expect(await store.threads.delete(sampleThreadId(1))).toBe(true);
    expect(await changedSince(head)).toEqual([sampleThreadId(1)]);
    expect(await store.threads.get(sampleThreadId(1))).toBeUndefined();
    expect(await changedSince(0)).toEqual([2, 1].map(sampleThreadId));
    // A thread written again after its delete is a change like any other.
    const afterDelete = await store.changes.head();
    await store.threads.upsert(sampleThread(1));
    expect(await changedSince(afterDelete)).toEqual([sampleThreadId(1)]);
  });

  it('pages in sequence order up to the head', async () => {
    for (const n of [5, 3, 9, 1, 7]) await store.threads.upsert(sampleThread(n));
    const pages: string[][] = [];
    for (let afterSeq = 0; ;) {
      const page = await store.changes.since({ afterSeq, limit: 2 });
      if (page.length === 0) break;
      pages.push(page.map((change) => change.threadId));
      afterSeq = page[page.length - 1]!.seq;
      if (page.length < 2) expect(afterSeq).toBe(await store.changes.head());
    }
    expect(pages).toEqual([[5, 3], [9, 1], [7]].map((page) => page.map(sampleThreadId)));
    const seqs = (await store.changes.since({ afterSeq: 0, limit: 10 })).map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(5);
    expect(await store.changes.since({ afterSeq: await store.changes.head(), limit: 10 })).toEqual(
      [],
    );
  });

  it('refuses a sequence number or a limit out of range', async () => {
    for (const options of [
      { afterSeq: -1, limit: 10 },
      { afterSeq: 1.5, limit: 10 },
      { afterSeq: 0, limit: 0 },
      { afterSeq: 0, limit: 10_001 },
    ]) {
      await expect(store.changes.since(options)).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
      });
    }
  });

  it('has an id of its own in every store, kept across opens and readable read-only', async () => {
    const id = await store.changes.feedId();
    expect(id).toMatch(/^[0-9a-f]{32}$/u);
    const other = await openStateStore({ home: temp.make('other-home') });
    try {
      expect(await other.changes.feedId()).not.toBe(id);
    } finally {
      await other.close();
    }
    await store.threads.upsert(sampleThread(1));
    await store.close();
    const reader = await openStateStore({ home, readOnly: true });
    try {
      expect(await reader.changes.feedId()).toBe(id);
      expect(await reader.changes.head()).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    store = await openStateStore({ home });
    expect(await store.changes.feedId()).toBe(id);
  });
});
