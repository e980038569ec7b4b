import { type StateStore, openStateStore } from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { sampleThread } from '@agent-state/test-utils/store-contract';
import { afterEach, describe, expect, it } from 'vitest';

import { runBackfill } from '../backfill/run-backfill.js';
import { type SharedStoreHome, inspectSharedStore } from './inspect-shared-store.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

describe('inspectSharedStore', () => {
  it("counts the store's threads and what each index covers, and warns of a home never synced", async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const store = await openStateStore({ home });
    stores.push(store);
    await runBackfill({ store, workers: 0 });
    const homes: SharedStoreHome[] = [
      {
        homeId: 'a',
        host: 'laptop',
        homePath: '/home/a/.codex',
        lastSyncAt: 1_790_000_000,
        threads: 10,
      },
      { homeId: 'b', host: 'ci-runner', homePath: '/home/ci/.codex', lastSyncAt: null, threads: 4 },
    ];
    const report = await inspectSharedStore(store, {
      server: 'postgres://me@db/agent_state',
      homes,
    });

    const search = await store.search.coverage();
    const usage = await store.usage.coverage();
    expect(report).toMatchObject({
      server: 'postgres://me@db/agent_state',
      homes,
      threads: {
        total: await store.threads.count(),
        archived: await store.threads.count({ archived: true }),
      },
      search: { threads: search.threads, indexed: search.indexed },
      usage: { threads: usage.threads, indexed: usage.indexed },
    });
    expect(report.info.schemaVersion).toBe((await store.info()).schemaVersion);
    expect(report.problems).toEqual([
      {
        severity: 'warning',
        code: 'home-never-synced',
        message:
          'the home /home/ci/.codex on ci-runner has never completed a sync: the store may hold part of it',
        fix: 'run `agent-state sync` on ci-runner',
      },
    ]);

    // A thread its home never indexed: a warning for each index.
    await store.threads.upsert(sampleThread(99));
    const later = await inspectSharedStore(store, {
      server: 'postgres://me@db/agent_state',
      homes: [],
    });
    expect(later.problems).toEqual([
      expect.objectContaining({
        code: 'search-not-indexed',
        message: '1 thread is not indexed for search',
      }),
      expect.objectContaining({
        code: 'usage-not-indexed',
        fix: 'run `agent-state usage --reindex` in their homes, then `agent-state sync`',
      }),
    ]);
  });
});
