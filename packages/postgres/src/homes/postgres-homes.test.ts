import {
  ErrorCode,
  type IndexedThread,
  SEARCH_INDEX_NAME,
  USAGE_INDEX_NAME,
  type UsageRecord,
} from '@agent-state/state';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread } from '@agent-state/test-utils/store-contract';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';
import { homeSyncLock } from './postgres-homes.js';

const T0 = Date.parse('2026-11-21T05:00:00Z');

/** A counted model call at `line`. */
function call(line: number): UsageRecord {
  return {
    line,
    ordinal: null,
    timeMs: T0 + line,
    turnId: null,
    model: 'gpt-5.5',
    source: 'token_count',
    inputTokens: 10,
    cachedInputTokens: 0,
    cacheWriteInputTokens: null,
    outputTokens: 1,
    reasoningOutputTokens: 0,
    totalTokens: 11,
    runningInputTokens: null,
    runningOutputTokens: null,
    runningTotalTokens: null,
    excluded: null,
    excludedBy: null,
    forkedFromId: null,
  };
}

/** Thread `n` with two search documents and one usage record. */
function entry(n: number): IndexedThread {
  const doc = (line: number) => ({
    kind: 'user_message' as const,
    turnId: null,
    timeMs: T0 + line,
    line,
    ordinal: null,
    text: `thread ${n} says hello ${line}`,
  });
  return {
    metadata: sampleThread(n),
    derived: { [SEARCH_INDEX_NAME]: [doc(1), doc(2)], [USAGE_INDEX_NAME]: [call(3)] },
  };
}

/** Rows of each table with a `home_id` column that belong to `homeId`, by table. */
async function rowsOf(store: PostgresStore, homeId: string): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.columns
    WHERE column_name = 'home_id' AND table_schema = current_schema()
    ORDER BY table_name`.execute(store.context.db);
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE home_id = ${homeId}`.execute(
      store.context.db,
    );
    counts[table] = rows[0]!.n;
  }
  return counts;
}

describe.skipIf(!postgresAvailable())('PostgresHomes.remove', () => {
  const stores = usePostgresStores(T0);

  it("removes a home and every row of it, never another home's, once its sync has ended", async () => {
    const mine = await stores.open();
    const theirs = await stores.open();
    await mine.index.write([entry(1), entry(2)]);
    await theirs.index.write([entry(1), entry(3)]);
    await mine.dynamicTools.persist(sampleThread(1).id, [
      { name: 'a', description: '', inputSchema: 1 },
    ]);
    await mine.discrepancies.record({ stage: 's', reason: 'r' });
    const before = await rowsOf(mine, theirs.homeId!);
    expect((await rowsOf(mine, mine.homeId!)).search_documents).toBe(4);

    // A sync of the home holds its lock: the removal waits for it to end.
    const syncing = await mine.context.db.connection().execute(async (connection) => {
      await sql`SELECT pg_advisory_lock(hashtext(${homeSyncLock(mine.homeId!)}))`.execute(
        connection,
      );
      const { rows: holder } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(
        connection,
      );
      let removedYet = false;
      const removal = mine.homes.remove().then((removed) => {
        removedYet = true;
        return removed;
      });
      // Until the removal ends (it did not wait) or the server shows it blocked by the holder.
      let blocked = false;
      while (!removedYet && !blocked) {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE ${holder[0]!.pid}::int = ANY(pg_blocking_pids(pid))`.execute(mine.context.db);
        blocked = rows[0]!.n > 0;
        if (!blocked) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const waited = blocked && !removedYet;
      await sql`SELECT pg_advisory_unlock(hashtext(${homeSyncLock(mine.homeId!)}))`.execute(
        connection,
      );
      return { waited, removed: await removal };
    });
    expect(syncing.waited).toBe(true);
    expect(syncing.removed).toMatchObject({
      homeId: mine.homeId,
      threads: 2,
      documents: 4,
      usageRecords: 2,
    });
    const after = await rowsOf(mine, mine.homeId!);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['threads', 'search_documents']));
    expect(await rowsOf(mine, theirs.homeId!)).toEqual(before);
    expect(await theirs.threads.count()).toBe(2);
    expect(await mine.homes.remove()).toBeUndefined();

    // Another home, by its id; a store read across homes refuses.
    const across = await stores.open({ acrossHomes: true });
    await expect(across.homes.remove(theirs.homeId)).rejects.toMatchObject({
      code: ErrorCode.StoreIo,
    });
    expect(await mine.homes.remove(theirs.homeId)).toMatchObject({ threads: 2, documents: 4 });
    expect(await across.homes.list()).toEqual([]);
  });
});
