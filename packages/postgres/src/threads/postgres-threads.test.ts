import { realpathSync } from 'node:fs';
import { hostname } from 'node:os';

import type { ManualClock } from '@agent-state/state';
import {
  ErrorCode,
  type ThreadAnchor,
  type ThreadMetadata,
  type ThreadsPage,
} from '@agent-state/state';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId as idOf } from '@agent-state/test-utils/store-contract';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';

/** Where a thread read across homes lives (the metadata's optional `origin`). */
function originOf(
  thread: ThreadMetadata,
): { homeId: string; host: string; homePath: string } | undefined {
  return (thread as { origin?: { homeId: string; host: string; homePath: string } }).origin;
}

// What the contract suite, which opens one home at a time, cannot see: homes kept apart on one
// server, a store opened across homes, and the usage records a deleted thread gives back.
describe.skipIf(!postgresAvailable())('PostgresThreads', () => {
  const stores = usePostgresStores(1_800_000_000_000);
  const open = (acrossHomes?: true | { homeIds: string[] }): Promise<PostgresStore> =>
    stores.open({ acrossHomes });

  it('keeps each home to its own rows', async () => {
    const mine = await open();
    const theirs = await open();
    await mine.threads.upsertMany([sampleThread(1), sampleThread(2, { parentThreadId: idOf(1) })]);
    await theirs.threads.upsertMany([
      sampleThread(1, { title: 'theirs', rolloutPath: '/theirs/1.jsonl' }),
      sampleThread(3, { parentThreadId: idOf(1) }),
    ]);
    await mine.dynamicTools.persist(idOf(1), [{ name: 'a', description: '', inputSchema: 1 }]);
    await mine.discrepancies.record({ stage: 's', reason: 'r' });

    expect(await mine.threads.count()).toBe(2);
    expect((await mine.threads.get(idOf(1)))?.title).toBe('thread 1');
    expect(await mine.threads.get(idOf(3))).toBeUndefined();
    expect((await mine.threads.list({ pageSize: 10 })).items.map((t) => t.id)).toEqual([
      idOf(2),
      idOf(1),
    ]);
    expect((await mine.threads.scan({ limit: 10 })).map((t) => t.id)).toEqual([idOf(1), idOf(2)]);
    expect((await mine.threads.listSubAgents(idOf(1))).map((t) => t.id)).toEqual([idOf(2)]);
    expect(await mine.threads.rolloutPaths()).toEqual(
      new Set([sampleThread(1).rolloutPath, sampleThread(2).rolloutPath]),
    );
    expect(await theirs.dynamicTools.get(idOf(1))).toBeNull();
    expect(await theirs.discrepancies.counts()).toEqual([]);

    // Writes of one home never touch the other's rows of the same id.
    expect(await theirs.threads.renameRollout(idOf(1), { from: '/theirs/1.jsonl', to: '/x' })).toBe(
      true,
    );
    expect(await mine.threads.findRolloutPath(idOf(1))).toBe(sampleThread(1).rolloutPath);
    expect(await theirs.threads.delete(idOf(2))).toBe(false);
    expect(await theirs.threads.delete(idOf(1))).toBe(true);
    expect(await mine.threads.get(idOf(1))).toBeDefined();
    expect(await mine.dynamicTools.get(idOf(1))).toHaveLength(1);
    await theirs.discrepancies.clear();
    expect(await mine.discrepancies.counts()).toHaveLength(1);
  });

  it('reads every selected home when opened across homes, and refuses to write', async () => {
    const a = await open();
    const b = await open();
    const c = await open();
    await a.threads.upsertMany([sampleThread(1, { updatedAt: 1_700_000_100 }), sampleThread(2)]);
    await b.threads.upsertMany([sampleThread(1, { title: 'newer', updatedAt: 1_700_000_200 })]);
    await c.threads.upsertMany([sampleThread(9)]);
    await a.dynamicTools.persist(idOf(1), [
      { name: 'a1', description: '', inputSchema: 1 },
      { name: 'a2', description: '', inputSchema: 2 },
    ]);
    await b.dynamicTools.persist(idOf(1), [{ name: 'b1', description: '', inputSchema: 1 }]);
    const clock = a.clock as ManualClock;
    await a.discrepancies.record({ stage: 's', reason: 'r', threadId: 'from a' });
    await b.discrepancies.record({ stage: 's', reason: 'r', threadId: 'from b' });
    clock.advance(10_000);
    await a.discrepancies.record({ stage: 's', reason: 'r', threadId: 'a again' });

    const across = await open({ homeIds: [a.homeId!, b.homeId!] });
    expect(across.homeId).toBeUndefined();
    expect(await across.threads.count()).toBe(3);
    expect(await across.threads.get(idOf(1))).toMatchObject({
      title: 'newer',
      origin: { homeId: b.homeId, host: hostname(), homePath: realpathSync(b.home) },
    });
    const listed = await across.threads.list({ pageSize: 10 });
    // The same thread in two homes: both listed, by their home ids (descending).
    const [first, second] = [a, b].sort((x, y) => (x.homeId! > y.homeId! ? -1 : 1));
    const expected = [
      [idOf(2), a.homeId],
      [idOf(1), first!.homeId],
      [idOf(1), second!.homeId],
    ];
    expect(listed.items.map((t) => [t.id, originOf(t)?.homeId])).toEqual(expected);
    // A page a thread: a page may end between the two, and the next one starts at the second.
    const paged: unknown[] = [];
    for (let anchor: ThreadAnchor | null = null; ;) {
      const page: ThreadsPage = await across.threads.list({ pageSize: 1, anchor });
      paged.push(...page.items.map((t) => [t.id, originOf(t)?.homeId]));
      if (!page.nextAnchor) break;
      expect(page.nextAnchor.homeId).toBe(originOf(page.items[0]!)?.homeId);
      anchor = page.nextAnchor;
    }
    expect(paged).toEqual(expected);
    // A home's own store pages as the SQLite store does: no home in its anchors.
    expect((await a.threads.list({ pageSize: 1 })).nextAnchor).toEqual({
      ts: sampleThread(2).createdAt,
      id: idOf(2),
    });
    // A scan goes by id, then home id.
    const scanned = [realpathSync(second!.home), realpathSync(first!.home), realpathSync(a.home)];
    expect((await across.threads.scan({ limit: 10 })).map((t) => originOf(t)?.homePath)).toEqual(
      scanned,
    );
    // A page a thread: the page of the id both homes hold holds both, so the next (after that id)
    // misses neither.
    const pages: string[][] = [];
    for (let page = await across.threads.scan({ limit: 1 }); page.length > 0;) {
      pages.push(page.map((t) => originOf(t)!.homePath));
      page = await across.threads.scan({ limit: 1, afterId: page.at(-1)!.id });
    }
    expect(pages).toEqual([scanned.slice(0, 2), scanned.slice(2)]);
    // A home's own store says nothing of where its threads live.
    expect(await a.threads.get(idOf(2))).toEqual(sampleThread(2));
    expect(await across.threads.get(idOf(9))).toBeUndefined();
    expect(
      (await across.threads.getMany([idOf(1), idOf(2), idOf(9)])).map((t) => t.title).sort(),
    ).toEqual(['newer', 'thread 2']);
    const tools = await across.dynamicTools.get(idOf(1));
    expect([['a1', 'a2'], ['b1']]).toContainEqual(tools?.map((tool) => tool.name));
    expect(await across.discrepancies.counts()).toEqual([
      expect.objectContaining({ stage: 's', reason: 'r', count: 3, lastThreadId: 'a again' }),
    ]);
    expect(await (await open(true)).threads.count()).toBeGreaterThanOrEqual(4);

    const refused = { code: ErrorCode.StoreIo };
    await expect(across.threads.upsert(sampleThread(5))).rejects.toMatchObject(refused);
    await expect(across.threads.delete(idOf(1))).rejects.toMatchObject(refused);
    await expect(
      across.threads.markArchived(idOf(1), { rolloutPath: '/a', archivedAt: 1 }),
    ).rejects.toMatchObject(refused);
    await expect(
      across.threads.markUnarchived(idOf(1), { rolloutPath: '/a' }),
    ).rejects.toMatchObject(refused);
    await expect(
      across.threads.renameRollout(idOf(1), { from: '/a', to: '/b' }),
    ).rejects.toMatchObject(refused);
    await expect(
      across.dynamicTools.persist(idOf(1), [{ name: 'x', description: '', inputSchema: 1 }]),
    ).rejects.toMatchObject(refused);
    await expect(across.discrepancies.record({ stage: 's', reason: 'r' })).rejects.toMatchObject(
      refused,
    );
    await expect(across.discrepancies.clear()).rejects.toMatchObject(refused);
    expect(await a.threads.count()).toBe(2);
  });

  it('gives back the usage records a deleted thread marked inherited', async () => {
    const store = await open();
    const other = await open();
    const parent = idOf(1);
    const fork = idOf(2);
    await store.threads.upsertMany([sampleThread(1), sampleThread(2, { forkedFromId: parent })]);
    await other.threads.upsertMany([sampleThread(2, { forkedFromId: parent })]);
    const record = (homeId: string, threadId: string, line: number, excludedBy: string | null) =>
      sql`INSERT INTO usage_records (home_id, thread_id, line, time_ms, source, input_tokens,
            cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens, excluded,
            excluded_by, forked_from_id)
          VALUES (${homeId}, ${threadId}, ${line}, 0, 'token_count', 1, 0, 1, 0, 2,
            ${excludedBy === null ? null : 'inherited'}, ${excludedBy}, ${parent})`.execute(
        store.context.db,
      );
    await record(store.homeId!, parent, 1, null);
    await record(store.homeId!, fork, 1, parent);
    await record(store.homeId!, fork, 2, null);
    await record(other.homeId!, fork, 1, parent);
    const excluded = async (homeId: string) =>
      (
        await store.context.db
          .selectFrom('usage_records')
          .select(['thread_id', 'line', 'excluded', 'excluded_by'])
          .where('home_id', '=', homeId)
          .orderBy('thread_id')
          .orderBy('line')
          .execute()
      ).map((row) => [row.thread_id, row.line, row.excluded, row.excluded_by]);

    expect(await store.threads.delete(parent)).toBe(true);
    expect(await excluded(store.homeId!)).toEqual([
      [fork, 1, null, null],
      [fork, 2, null, null],
    ]);
    // Another home's fork of a thread of the same id is its own business.
    expect(await excluded(other.homeId!)).toEqual([[fork, 1, 'inherited', parent]]);
  });
});
