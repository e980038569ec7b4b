import { ErrorCode, type ThreadMetadata } from '@agent-state/state';
import { postgresAvailable } from '@agent-state/test-utils';
import { sampleThread, sampleThreadId as idOf } from '@agent-state/test-utils/store-contract';
import { describe, expect, it } from 'vitest';

import type { PostgresStore } from '../store/postgres-store.js';
import { usePostgresStores } from '../testing/use-postgres-stores.js';

const NOW = 1_800_000_000;

/** A thread phase 1 would extract: a user message, a cwd of its own. */
function memoryThread(n: number, overrides: Partial<ThreadMetadata> = {}): ThreadMetadata {
  return sampleThread(n, {
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000 + n,
    cwd: `/p/${n}`,
    firstUserMessage: 'hello',
    ...overrides,
  });
}

/** Claims the thread's stage-1 job; its token. */
async function claimToken(store: PostgresStore, thread: ThreadMetadata): Promise<string> {
  const claim = await store.stage1Jobs.tryClaim({
    threadId: thread.id,
    workerId: 'w',
    sourceUpdatedAt: thread.updatedAt,
    leaseSeconds: 3600,
  });
  if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);
  return claim.ownershipToken;
}

/** Stores an output for each thread, through a claim of its job. */
async function remember(store: PostgresStore, threads: readonly ThreadMetadata[]): Promise<void> {
  await store.threads.upsertMany(threads);
  for (const thread of threads) {
    const stored = await store.stage1Jobs.markSucceeded({
      threadId: thread.id,
      ownershipToken: await claimToken(store, thread),
      sourceUpdatedAt: thread.updatedAt,
      rawMemory: 'raw',
      rolloutSummary: `summary of ${thread.title}`,
    });
    expect(stored).toBe(true);
  }
}

// What the contract suite, which opens one home at a time, cannot see: the memory controls of one
// home never touch another home's threads of the same ids, and a store opened across homes reads
// every home's modes but refuses to change them.
describe.skipIf(!postgresAvailable())('PostgresMemories', () => {
  const stores = usePostgresStores(NOW * 1000);

  it('keeps memory modes and forgetting to the home', async () => {
    const mine = await stores.open();
    const theirs = await stores.open();
    await remember(mine, [memoryThread(1), memoryThread(2)]);
    await remember(theirs, [memoryThread(1), memoryThread(3)]);

    expect(await mine.memories.setMemoryMode({ cwd: '/p/1', mode: 'disabled' })).toEqual({
      threadIds: [idOf(1)],
      changed: 1,
    });
    expect((await mine.memories.jobCounts()).disabledThreads).toBe(1);
    expect((await theirs.memories.jobCounts()).disabledThreads).toBe(0);
    expect((await theirs.memories.listStage1Outputs({ limit: 10 })).map((o) => o.threadId)).toEqual(
      [idOf(3), idOf(1)],
    );

    // A thread of another home is unknown here, whatever its id.
    await expect(mine.memories.forget({ threadIds: [idOf(2), idOf(3)] })).rejects.toMatchObject({
      code: ErrorCode.NotFound,
    });
    expect((await mine.memories.jobCounts()).outputs).toBe(2);

    expect(await theirs.memories.forget({ threadIds: [idOf(1)] })).toEqual({
      threadIds: [idOf(1)],
      outputs: 1,
      jobs: 1,
      consolidationQueued: true,
    });
    expect(await theirs.memories.jobCounts()).toMatchObject({ outputs: 1, disabledThreads: 1 });
    const kept = await mine.memories.listStage1Outputs({ limit: 10, includeDisabled: true });
    expect(kept.map((o) => [o.threadId, o.memoryMode])).toEqual([
      [idOf(2), 'enabled'],
      [idOf(1), 'disabled'],
    ]);
    expect((await mine.memories.jobCounts()).stage1.done).toBe(2);
  });

  it('takes the job of a worker that still holds it: its result is dropped', async () => {
    const store = await stores.open();
    const thread = memoryThread(1);
    await remember(store, [thread]);
    const newer = { ...thread, updatedAt: thread.updatedAt + 100 };
    await store.threads.upsert(newer);
    const token = await claimToken(store, newer);

    expect(await store.memories.forget({ cwd: '/p/1' })).toMatchObject({ outputs: 1, jobs: 1 });
    expect(
      await store.stage1Jobs.markSucceeded({
        threadId: thread.id,
        ownershipToken: token,
        sourceUpdatedAt: newer.updatedAt,
        rawMemory: 'raw',
        rolloutSummary: 'too late',
      }),
    ).toBe(false);
    expect(await store.memories.listStage1Outputs({ limit: 10, includeDisabled: true })).toEqual(
      [],
    );
    expect((await store.memories.jobCounts()).stage1).toEqual({
      running: 0,
      pending: 0,
      done: 0,
      error: 0,
      exhausted: 0,
    });
  });

  it('reads every home across homes, and refuses to change a mode or forget', async () => {
    const a = await stores.open();
    const b = await stores.open();
    await remember(a, [memoryThread(1), memoryThread(2)]);
    await remember(b, [memoryThread(1, { updatedAt: 1_700_000_100 })]);
    await a.memories.setMemoryMode({ threadIds: [idOf(1)], mode: 'disabled' });

    const across = await stores.open({ acrossHomes: { homeIds: [a.homeId!, b.homeId!] } });
    expect((await across.memories.jobCounts()).disabledThreads).toBe(1);
    expect(
      (await across.memories.listStage1Outputs({ limit: 10, includeDisabled: true })).map((o) => [
        o.threadId,
        o.memoryMode,
      ]),
    ).toEqual([
      [idOf(1), 'enabled'],
      [idOf(2), 'enabled'],
      [idOf(1), 'disabled'],
    ]);
    expect(
      (await across.memories.listStage1Outputs({ limit: 10, cwd: '/p/1' })).map(
        (o) => o.sourceUpdatedAt,
      ),
    ).toEqual([1_700_000_100]);

    const refused = { code: ErrorCode.StoreIo };
    await expect(
      across.memories.setMemoryMode({ threadIds: [idOf(2)], mode: 'disabled' }),
    ).rejects.toMatchObject(refused);
    await expect(across.memories.forget({ cwd: '/p/2' })).rejects.toMatchObject(refused);
    expect((await a.memories.jobCounts()).disabledThreads).toBe(1);
    expect((await a.memories.listStage1Outputs({ limit: 10 })).map((o) => o.threadId)).toEqual([
      idOf(2),
    ]);
  });
});
