import {
  cpSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { ManualClock, type StateStore, openStateStore } from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { sampleTurn } from '../../test/sample-session.js';
import { archiveThread } from '../archive/archive-thread.js';
import { runBackfill } from '../backfill/run-backfill.js';
import { reconcile } from '../reconcile/reconcile.js';
import { RolloutRecorder } from '../recorder/rollout-recorder.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function open(home: string, clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))) {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  return store;
}

function rolloutOf(home: string, idPrefix: string): string {
  const find = (dir: string): string | undefined => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        const found = find(path);
        if (found) return found;
      } else if (name.includes(idPrefix)) return path;
    }
    return undefined;
  };
  return find(home)!;
}

/** Every thread's search documents and usage records, and their coverage, as the store holds them. */
async function derivedState(store: StateStore) {
  const threads = await store.threads.scan({ limit: 100 });
  const byThread = await Promise.all(
    threads.map(
      async (t) =>
        [t.id, await store.search.documents(t.id), await store.usage.records(t.id)] as const,
    ),
  );
  return {
    searchCoverage: await store.search.coverage(),
    usageCoverage: await store.usage.coverage(),
    documents: Object.fromEntries(byThread.map(([id, documents]) => [id, documents])),
    usage: Object.fromEntries(byThread.map(([id, , records]) => [id, records])),
  };
}

describe('the derived indexes (search, usage) kept current by every writer of threads', () => {
  it('equal a fresh rebuild after recording, archiving, and repairs of rewritten and deleted rollouts', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    const store = await open(home, clock);
    expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');

    // A turn recorded into an existing thread: its two model calls are counted, nothing else.
    const recordedId = '01a1fca2-1e56-79a2-9955-5ffd414a49ab';
    const usageBefore = await store.usage.records(recordedId);
    const resumed = await RolloutRecorder.resume({
      path: rolloutOf(home, '01a1fca2-1e56'),
      store,
      clock,
    });
    await resumed.record(
      sampleTurn({
        turnId: 'turn-deploy',
        cwd: '/home/user/projects/repo-a',
        prompt: 'RUN: make deploy-staging',
        answer: 'Deployed to staging without errors',
        approvalPolicy: 'never',
        sandboxPolicy: { type: 'read-only' },
        tokensBefore: 1000,
      }),
    );
    await resumed.close();
    expect(
      (await store.search.search({ query: 'deploy-staging' })).hits.map((h) => h.thread.id),
    ).toEqual([recordedId]);
    const usageAfter = await store.usage.records(recordedId);
    expect(usageAfter.slice(0, usageBefore.length)).toEqual(usageBefore);
    expect(usageAfter.slice(usageBefore.length).map((r) => [r.excluded, r.totalTokens])).toEqual([
      [null, 157],
      [null, 175],
    ]);

    // An archived thread keeps its documents, now found among archived threads.
    await archiveThread({ home, threadId: '01a1fca2-2018-7240-818e-e0e7accbda04', store, clock });
    expect((await store.search.search({ query: '"ls -la"', archived: true })).totalThreads).toBe(1);

    // A rollout rewritten behind the store's back, then reconciled.
    const rewritten = rolloutOf(home, '01a1fca2-1d67');
    writeFileSync(
      rewritten,
      readFileSync(rewritten, 'utf8').replaceAll('Summarize the purpose', 'Outline the intent'),
    );
    utimesSync(rewritten, new Date('2026-12-02T00:00:00Z'), new Date('2026-12-02T00:00:00Z'));
    // A rollout deleted behind the store's back.
    rmSync(rolloutOf(home, '01a1fca2-2119'));
    const report = await reconcile({ store, home, repair: true, workers: 0 });
    expect(report.findings.length).toBeGreaterThanOrEqual(2);
    expect(await store.search.search({ query: '"Summarize the purpose"' })).toMatchObject({
      totalThreads: 0,
    });
    expect(await store.search.search({ query: '"Outline the intent"' })).toMatchObject({
      totalThreads: 1,
    });
    expect(await store.search.documents('01a1fca2-2119-7cc1-a24c-7256e154b01c')).toEqual([]);

    // The same home indexed from nothing holds the same documents.
    const fresh = await open(copyWithMtimes(home, temp.make('fresh')));
    expect((await runBackfill({ store: fresh, workers: 0 })).outcome).toBe('complete');
    const incremental = await derivedState(store);
    const rebuilt = await derivedState(fresh);
    expect(incremental).toEqual(rebuilt);
    // The deleted rollout's thread left no records behind.
    expect(await store.usage.records('01a1fca2-2119-7cc1-a24c-7256e154b01c')).toEqual([]);
    expect(await store.checkIntegrity()).toEqual([]);
  });
});

/** A copy of a home's rollouts and session index, mtimes kept (what a second machine would see). */
function copyWithMtimes(from: string, to: string): string {
  cpSync(from, to, {
    recursive: true,
    preserveTimestamps: true,
    filter: (source) => statSync(source).isDirectory() || /rollout-|session_index/.test(source),
  });
  return to;
}
