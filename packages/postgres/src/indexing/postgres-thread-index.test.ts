import { ErrorCode } from '@agent-state/state';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId } from '@agent-state/test-utils/store-contract';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';
import type { PostgresDerivedIndex } from './postgres-derived-index.js';
import { PostgresThreadIndex } from './postgres-thread-index.js';

// What the contract suite cannot see of the PostgreSQL write path: one `replace` per derived index
// per batch, inside the transaction; the sync fingerprint; the speed of a large batch.
describe.skipIf(!postgresAvailable())('PostgresThreadIndex', () => {
  const stores = usePostgresStores(1_800_000_000_000);
  const open = (): Promise<PostgresStore> => stores.open();

  /** A derived index that records its calls and keeps each thread's record count in a table. */
  function recordingIndex(name: string, fail = false) {
    const calls: Array<{ homeId: string; threads: Array<[string, number]>; nowMs: number }> = [];
    const index: PostgresDerivedIndex = {
      name,
      async replace(trx, homeId, threads, nowMs) {
        calls.push({
          homeId,
          threads: threads.map((t) => [t.threadId, t.records.length]),
          nowMs,
        });
        for (const { threadId, records } of threads) {
          // Coverage rows of the search index stand in for the index's own tables.
          await trx
            .insertInto('search_threads')
            .values({
              home_id: homeId,
              thread_id: threadId,
              documents: records.length,
              indexed_at: nowMs,
            })
            .onConflict((oc) =>
              oc.columns(['home_id', 'thread_id']).doUpdateSet({ documents: records.length }),
            )
            .execute();
        }
        if (fail) throw new Error(`${name} failed`);
      },
    };
    return { index, calls };
  }

  it('calls each derived index once per batch with every thread carrying its records', async () => {
    const store = await open();
    const a = recordingIndex('a');
    const b = recordingIndex('b');
    const index = new PostgresThreadIndex(store.context, [a.index, b.index]);
    await index.write([
      { metadata: sampleThread(1), derived: { b: [1], a: [1, 2] } },
      { metadata: sampleThread(2) },
      { metadata: sampleThread(3), derived: { a: [] } },
      { metadata: sampleThread(1, { title: 'again' }), derived: { a: [1, 2, 3] } },
    ]);
    expect(a.calls).toEqual([
      {
        homeId: store.homeId,
        threads: [
          [sampleThreadId(1), 3],
          [sampleThreadId(3), 0],
        ],
        nowMs: 1_800_000_000_000,
      },
    ]);
    expect(b.calls).toEqual([
      { homeId: store.homeId, threads: [[sampleThreadId(1), 1]], nowMs: 1_800_000_000_000 },
    ]);
    expect((await store.threads.get(sampleThreadId(1)))?.title).toBe('again');
    await index.write([{ metadata: sampleThread(4) }]);
    expect(a.calls).toHaveLength(1);
  });

  it('rolls the whole batch back when a derived index fails', async () => {
    const store = await open();
    const failing = recordingIndex('a', true);
    const index = new PostgresThreadIndex(store.context, [failing.index]);
    await expect(
      index.write([
        {
          metadata: sampleThread(1),
          dynamicTools: [{ name: 't', description: '', inputSchema: 1 }],
        },
        { metadata: sampleThread(2), derived: { a: [1] } },
      ]),
    ).rejects.toThrow('a failed');
    expect(await store.threads.count()).toBe(0);
    expect(await store.dynamicTools.get(sampleThreadId(1))).toBeNull();
    const { rows } =
      await sql`SELECT * FROM search_threads WHERE home_id = ${store.homeId}`.execute(
        store.context.db,
      );
    expect(rows).toEqual([]);
  });

  it('records a sync fingerprint only when given, and keeps it through other writes', async () => {
    const store = await open();
    const fingerprints = async () =>
      (
        await store.context.db
          .selectFrom('threads')
          .select(['id', 'sync_fingerprint'])
          .where('home_id', '=', store.homeId!)
          .orderBy('id')
          .execute()
      ).map((row) => row.sync_fingerprint);
    await store.index.write([{ metadata: sampleThread(1) }]);
    expect(await fingerprints()).toEqual([null]);
    await store.index.writeWithFingerprints([
      { metadata: sampleThread(1), fingerprint: 'f1' },
      { metadata: sampleThread(2), fingerprint: 'f2' },
      { metadata: sampleThread(3) },
    ]);
    expect(await fingerprints()).toEqual(['f1', 'f2', null]);
    await store.index.write([{ metadata: sampleThread(1, { title: 'changed' }) }]);
    await store.threads.upsert(sampleThread(2, { title: 'changed' }));
    expect(await fingerprints()).toEqual(['f1', 'f2', null]);
    await store.index.writeWithFingerprints([{ metadata: sampleThread(1), fingerprint: 'g1' }]);
    expect(await fingerprints()).toEqual(['g1', 'f2', null]);
  });

  it('writes into its own home only, and not at all when opened across homes', async () => {
    const mine = await open();
    const theirs = await open();
    await mine.index.write([{ metadata: sampleThread(1, { title: 'mine' }) }]);
    await theirs.index.write([{ metadata: sampleThread(1, { title: 'theirs' }) }]);
    expect((await mine.threads.get(sampleThreadId(1)))?.title).toBe('mine');
    expect((await theirs.threads.get(sampleThreadId(1)))?.title).toBe('theirs');

    const across = await stores.open({ acrossHomes: { homeIds: [mine.homeId!, theirs.homeId!] } });
    expect(await across.threads.count()).toBe(2);
    await expect(across.index.write([{ metadata: sampleThread(2) }])).rejects.toMatchObject({
      code: ErrorCode.StoreIo,
    });
  });

  it('writes 10,000 threads with tools in one batch, and replaces them', async () => {
    const store = await open();
    const batch = Array.from({ length: 10_000 }, (_, n) => ({
      metadata: sampleThread(n, { cwd: `/home/user/projects/p${n % 50}`, tokensUsed: n * 7 }),
      dynamicTools:
        n % 10 === 0 ? [{ name: 'lookup', description: 'd', inputSchema: { n } }] : null,
    }));
    // Once to create the rows, once to replace them: both paths of the upsert (their time is the
    // bench's, postgres.bench.ts, not a test's).
    for (let round = 0; round < 2; round += 1) await store.index.write(batch);
    expect(await store.threads.count()).toBe(10_000);
    expect(await store.dynamicTools.get(sampleThreadId(9_990))).toEqual([
      { name: 'lookup', description: 'd', inputSchema: { n: 9_990 } },
    ]);
    expect(await store.threads.get(sampleThreadId(1234))).toEqual(batch[1234]!.metadata);
  });
});
