import { rmSync } from 'node:fs';

import {
  type AgentStateStore,
  type IndexedThread,
  SEARCH_INDEX_NAME,
  type StateStore,
  type ThreadMetadata,
  USAGE_INDEX_NAME,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';
import { postgresAvailable, tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import { sampleThread, sampleThreadId } from '@agent-state/test-utils/store-contract';
import { afterEach, describe, expect, it } from 'vitest';

import { type PostgresStore, openPostgresStore } from '../store/postgres-store.js';
import { syncHome } from './sync-home.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Thread `n` as the indexer writes it: covered by both derived indexes. */
function entry(n: number, overrides: Partial<ThreadMetadata> = {}): IndexedThread {
  return {
    metadata: sampleThread(n, overrides),
    derived: { [SEARCH_INDEX_NAME]: [], [USAGE_INDEX_NAME]: [] },
  };
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** What a sync read of the local threads: the calls to `threads` and the ids of the rows read. */
interface ThreadReads {
  calls: string[];
  ids: string[];
}

/**
 * `store`, whose `threads` records every call and every row it returns; `around` runs after
 * each call of `threads` (to change the store while a sync runs).
 */
function counting(
  store: AgentStateStore,
  around: (method: string) => Promise<void> = async () => undefined,
): { source: AgentStateStore; reads: ThreadReads } {
  const reads: ThreadReads = { calls: [], ids: [] };
  const threads = new Proxy(store.threads, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        reads.calls.push(String(property));
        const result: unknown = await Reflect.apply(value, target, args);
        const rows = Array.isArray(result) ? result : result ? [result] : [];
        for (const row of rows as unknown[]) {
          if (row && typeof row === 'object' && 'id' in row) reads.ids.push(String(row.id));
        }
        await around(String(property));
        return result;
      };
    },
  });
  const source = new Proxy(store, {
    get: (target, property, receiver) =>
      property === 'threads' ? threads : (Reflect.get(target, property, receiver) as unknown),
  });
  return { source, reads };
}

describe.skipIf(!postgresAvailable())('syncHome', () => {
  const server = useTestPostgres();

  /** A home with threads 1..count indexed, pushed once to a fresh database. */
  /** A fresh home with `count` sample threads (rows only), and its store on a fresh database. */
  async function newHome(count: number): Promise<{
    home: string;
    source: StateStore;
    target: PostgresStore;
    close: () => Promise<void>;
  }> {
    const url = await server().createDatabase();
    const home = temp.make('home');
    const source = await openStateStore({ home });
    const target = await openPostgresStore({ url, home });
    await source.threads.upsertMany(Array.from({ length: count }, (_, i) => sampleThread(i + 1)));
    return {
      home,
      source,
      target,
      close: async () => {
        await target.close();
        await source.close();
      },
    };
  }

  /** A home of `count` threads with their documents and records, synced once. */
  async function syncedHome(count: number): ReturnType<typeof newHome> {
    const pair = await newHome(0);
    await pair.source.index.write(range(1, count).map((n) => entry(n)));
    expect(await syncHome(pair)).toMatchObject({ threads: count, pushed: count });
    return pair;
  }

  async function watermark(target: PostgresStore) {
    return target.context.db
      .selectFrom('homes')
      .select(['sync_feed_id', 'sync_seq', 'sync_redacted', 'sync_format'])
      .executeTakeFirstOrThrow();
  }

  async function remoteTitle(target: PostgresStore, n: number): Promise<string | undefined> {
    return (await target.threads.get(sampleThreadId(n)))?.title;
  }

  it('stops between batches when asked (the batches in flight end), says how much is left, and the next sync pushes exactly that', async () => {
    const { source, target, close } = await newHome(7);
    try {
      const controller = new AbortController();
      const stopped = await syncHome({
        source,
        target,
        batchSize: 2,
        signal: controller.signal,
        onProgress: ({ pushed }) => {
          // The second batch is on its way already: it is written, and the sync stops after it.
          if (pushed === 2) controller.abort();
        },
      });
      expect(stopped).toMatchObject({ threads: 7, pushed: 4, stopped: 3 });
      expect(await target.threads.count()).toBe(4);

      // A thread deleted at home is removed from the server too.
      await source.threads.delete(sampleThread(1).id);
      const rest = await syncHome({ source, target });
      expect(rest).toMatchObject({ threads: 6, pushed: 3, unchanged: 3, deleted: 1, stopped: 0 });
      expect(await target.threads.count()).toBe(6);
      expect(await syncHome({ source, target })).toMatchObject({ pushed: 0, unchanged: 6 });
    } finally {
      await close();
    }
  });

  it('after a sync, reads only the threads changed since, and pushes exactly those', async () => {
    const { source, target, close } = await syncedHome(30);
    try {
      const mark = await watermark(target);
      expect(mark).toEqual({
        sync_feed_id: await source.changes.feedId(),
        sync_seq: await source.changes.head(),
        sync_redacted: false,
        sync_format: 1,
      });

      await source.index.write([entry(7, { title: 'seven' }), entry(21, { title: 'twenty-one' })]);
      const { source: spied, reads } = counting(source);
      const result = await syncHome({ source: spied, target });
      expect(result).toMatchObject({ threads: 30, pushed: 2, unchanged: 28, deleted: 0 });
      expect(reads.calls).not.toContain('scan');
      expect(reads.ids.sort()).toEqual([7, 21].map(sampleThreadId));
      expect(await remoteTitle(target, 7)).toBe('seven');
      expect(await remoteTitle(target, 21)).toBe('twenty-one');
      expect((await watermark(target)).sync_seq).toBe(await source.changes.head());

      // Nothing changed: nothing read, nothing pushed.
      const idle = counting(source);
      expect(await syncHome({ source: idle.source, target })).toMatchObject({
        threads: 30,
        pushed: 0,
        unchanged: 30,
      });
      expect(idle.reads.ids).toEqual([]);

      // A thread rewritten as it was is read, compared and not pushed.
      await source.index.write([entry(9)]);
      const same = counting(source);
      expect(await syncHome({ source: same.source, target })).toMatchObject({ pushed: 0 });
      expect(same.reads.ids).toEqual([sampleThreadId(9)]);
    } finally {
      await close();
    }
  });

  it('pushes a home again, whole, after the home was removed from the server', async () => {
    const pair = await syncedHome(3);
    expect(await pair.target.homes.remove()).toMatchObject({ threads: 3 });
    // The same store, still open: the sync records the home again before it pushes.
    expect(await syncHome(pair)).toMatchObject({ threads: 3, pushed: 3 });
    expect(await pair.target.threads.count()).toBe(3);
    expect(await pair.target.homes.list()).toEqual([
      expect.objectContaining({ homeId: pair.target.homeId, threads: 3 }),
    ]);
    await pair.close();
  });

  it('removes from the server a thread deleted at home, from the change feed alone', async () => {
    const { source, target, close } = await syncedHome(10);
    try {
      await source.threads.delete(sampleThreadId(4));
      // Created and deleted between two syncs: never on the server, nothing to remove.
      await source.index.write([entry(40)]);
      await source.threads.delete(sampleThreadId(40));
      const { source: spied, reads } = counting(source);
      expect(await syncHome({ source: spied, target })).toMatchObject({
        threads: 9,
        pushed: 0,
        unchanged: 9,
        deleted: 1,
      });
      expect(reads.calls).not.toContain('scan');
      expect(await target.threads.get(sampleThreadId(4))).toBeUndefined();
      expect(await target.threads.count()).toBe(9);
    } finally {
      await close();
    }
  });

  it('compares every thread again when the home store was rebuilt (another feed)', async () => {
    const { home, source, target, close } = await syncedHome(10);
    const oldFeed = await source.changes.feedId();
    await source.close();
    rmSync(stateDbPath(home), { force: true });
    rmSync(`${stateDbPath(home)}-wal`, { force: true });
    rmSync(`${stateDbPath(home)}-shm`, { force: true });
    const rebuilt = await openStateStore({ home });
    try {
      expect(await rebuilt.changes.feedId()).not.toBe(oldFeed);
      // The same threads but one, and one more: as many changes as the old feed had, and more.
      await rebuilt.index.write([...range(1, 9), 11].map((n) => entry(n)));
      await rebuilt.index.write(range(1, 9).map((n) => entry(n)));
      expect(await rebuilt.changes.head()).toBeGreaterThan((await watermark(target)).sync_seq!);
      const { source: spied, reads } = counting(rebuilt);
      expect(await syncHome({ source: spied, target })).toMatchObject({
        threads: 10,
        pushed: 1,
        unchanged: 9,
        deleted: 1,
      });
      expect(reads.calls).toContain('scan');
      expect(await target.threads.get(sampleThreadId(10))).toBeUndefined();
      expect((await watermark(target)).sync_feed_id).toBe(await rebuilt.changes.feedId());
    } finally {
      await rebuilt.close();
      await close();
    }
  });

  it('a failed batch fails the sync once the batch beside it has ended; the next sync pushes what is missing', async () => {
    const { source, target, close } = await newHome(7);
    try {
      const write = target.index.writeWithFingerprints.bind(target.index);
      let batches = 0;
      target.index.writeWithFingerprints = async (entries) => {
        batches += 1;
        if (batches === 2) throw new Error('the second batch failed');
        await write(entries);
      };
      await expect(syncHome({ source, target, batchSize: 2 })).rejects.toThrow(
        'the second batch failed',
      );
      // The first and third batches (written beside the second) are there, and nothing else
      // runs once the sync has failed.
      expect(batches).toBe(3);
      expect(await target.threads.count()).toBe(4);
      target.index.writeWithFingerprints = write;
      expect(await syncHome({ source, target })).toMatchObject({ pushed: 3, unchanged: 4 });
      expect(await target.threads.count()).toBe(7);
    } finally {
      await close();
    }
  });

  it('compares every thread again when redaction changes, even after a sync of the other setting stopped', async () => {
    const { source, target, close } = await syncedHome(10);
    try {
      const redact = (text: string) => text.replace(/thread/gu, '[REDACTED]');
      // Redacted now: every thread goes again, 6 of them (the two batches in flight) before the
      // sync is stopped.
      const controller = new AbortController();
      const stopped = await syncHome({
        source,
        target,
        redact,
        batchSize: 3,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      expect(stopped).toMatchObject({ pushed: 6, stopped: 4 });
      expect(await watermark(target)).toMatchObject({ sync_feed_id: null, sync_seq: null });

      // Not redacted again: the 6 redacted threads are found and pushed as they are.
      const { source: spied, reads } = counting(source);
      expect(await syncHome({ source: spied, target })).toMatchObject({ pushed: 6 });
      expect(reads.calls).toContain('scan');
      expect(await remoteTitle(target, 1)).toBe('thread 1');

      expect(await syncHome({ source, target, redact })).toMatchObject({ pushed: 10 });
      expect(await remoteTitle(target, 1)).toBe('[REDACTED] 1');
      expect(await watermark(target)).toMatchObject({ sync_redacted: true });
      const again = counting(source);
      expect(await syncHome({ source: again.source, target, redact })).toMatchObject({
        pushed: 0,
      });
      expect(again.reads.calls).not.toContain('scan');
    } finally {
      await close();
    }
  });

  it('a stopped sync leaves the watermark where it was, and the next one pushes the rest', async () => {
    const { source, target, close } = await syncedHome(20);
    try {
      const before = await watermark(target);
      await source.index.write(range(1, 6).map((n) => entry(n, { title: `changed ${n}` })));
      const controller = new AbortController();
      const stopped = await syncHome({
        source,
        target,
        batchSize: 2,
        signal: controller.signal,
        onProgress: ({ pushed }) => {
          if (pushed === 2) controller.abort();
        },
      });
      // The batch in flight when it was asked to stop was written too.
      expect(stopped).toMatchObject({ threads: 20, pushed: 4, unchanged: 14, stopped: 2 });
      expect(await watermark(target)).toEqual(before);

      const { source: spied, reads } = counting(source);
      expect(await syncHome({ source: spied, target })).toMatchObject({
        pushed: 2,
        unchanged: 18,
        stopped: 0,
      });
      expect(reads.ids.sort()).toEqual(range(1, 6).map(sampleThreadId));
      for (const n of range(1, 6)) expect(await remoteTitle(target, n)).toBe(`changed ${n}`);
    } finally {
      await close();
    }
  });

  it('a thread changed while a sync runs is pushed by the next sync', async () => {
    const { source, target, close } = await syncedHome(10);
    try {
      await source.index.write([entry(2, { title: 'first' })]);
      // Right after the sync read the changed rows: thread 2 changes again, thread 5 changes.
      let changedMeanwhile = false;
      const { source: spied } = counting(source, async (method) => {
        if (method !== 'getMany' || changedMeanwhile) return;
        changedMeanwhile = true;
        await source.index.write([entry(2, { title: 'second' }), entry(5, { title: 'five' })]);
      });
      expect(await syncHome({ source: spied, target })).toMatchObject({ pushed: 1 });
      expect(changedMeanwhile).toBe(true);
      expect(await remoteTitle(target, 2)).toBe('first');
      expect(await remoteTitle(target, 5)).toBe('thread 5');

      expect(await syncHome({ source, target })).toMatchObject({ pushed: 2 });
      expect(await remoteTitle(target, 2)).toBe('second');
      expect(await remoteTitle(target, 5)).toBe('five');
    } finally {
      await close();
    }
  });
});
