import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  ManualClock,
  STATE_DB_GENERATION,
  type StateStore,
  logsDbPath,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { collectRollouts } from '../backfill/collect-rollouts.js';
import { runBackfill } from '../backfill/run-backfill.js';
import { inspectHome } from './inspect-home.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

/** A fresh copy of Codex 0.169.0's lived-in home, and how many rollouts it holds. */
async function codexHome(): Promise<{ home: string; rollouts: number }> {
  const home = copyCodexHome('v0.169.0', temp.make('home'));
  return { home, rollouts: (await collectRollouts(home)).files.length };
}

describe('inspectHome', () => {
  it('reports a Codex home before its backfill: a sound store, every rollout not indexed', async () => {
    const { home, rollouts } = await codexHome();
    const report = await inspectHome({ home });
    expect(report).toMatchObject({
      ok: true,
      home,
      store: {
        path: stateDbPath(home),
        generation: STATE_DB_GENERATION,
        opened: true,
        integrity: { ok: true, problems: [] },
      },
      backfill: { status: 'pending', lastWatermark: null },
      threads: { total: 0, archived: 0 },
      rollouts: { total: rollouts, notIndexed: rollouts },
      discrepancies: [],
      memories: { stage1: { running: 0, pending: 0, done: 0, error: 0, exhausted: 0 } },
      logs: { path: logsDbPath(home), sizeBytes: null, droppedEntries: 0 },
    });
    expect(rollouts).toBeGreaterThan(0);
    expect(report.store.schemaVersion).toBeGreaterThan(0);
    expect(report.problems).toEqual([
      {
        severity: 'warning',
        code: 'backfill-incomplete',
        message: 'the backfill has not run yet: the store does not list the existing sessions',
        fix: 'run `agent-state backfill`',
      },
    ]);
  });

  it('finds no problem once the backfill indexed the home, and leaves a store it is given open', async () => {
    const { home, rollouts } = await codexHome();
    const store = await openStateStore({ home });
    stores.push(store);
    await runBackfill({ store, workers: 0 });
    const report = await inspectHome({ home, store });
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.backfill?.status).toBe('complete');
    expect(report.rollouts).toEqual({ total: rollouts, notIndexed: 0 });
    expect(report.threads?.total).toBe(await store.threads.count());
    expect(report.threads?.archived).toBeGreaterThan(0);
    // Still open: the report did not close the caller's store.
    expect(await store.threads.count()).toBeGreaterThan(0);
  });

  it('judges a backfill lease by the clock it is given: running, then interrupted once it expired', async () => {
    const { home } = await codexHome();
    const clock = new ManualClock(1_795_239_845_000);
    const store = await openStateStore({ home, clock });
    stores.push(store);
    const claim = await store.backfill.tryClaim({ leaseSeconds: 600 });
    expect(claim.outcome).toBe('claimed');

    const running = await inspectHome({ home, store });
    expect(running.problems.map((problem) => problem.code)).toEqual(['backfill-running']);
    expect(running.problems[0]?.message).toContain('(its lease runs until 2026-11-21T05:54:05Z)');

    const later = new ManualClock(clock.now() + 601_000);
    const expired = await inspectHome({ home, store, clock: later });
    expect(expired.problems).toEqual([
      expect.objectContaining({
        code: 'backfill-interrupted',
        message: 'a backfill was interrupted before it completed (its lease expired)',
      }),
    ]);
  });

  it('reports a store that does not open as an error of the report, naming the file', async () => {
    const { home } = await codexHome();
    const path = stateDbPath(home);
    writeFileSync(path, Buffer.alloc(4096, 'not a database '));
    const report = await inspectHome({ home });
    expect(report).toMatchObject({
      ok: false,
      store: { path, opened: false, schemaVersion: null, sizeBytes: 4096 },
      backfill: null,
      threads: null,
      rollouts: null,
      discrepancies: null,
      memories: null,
    });
    expect(report.store.integrity?.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ severity: 'error', code: 'store-corrupt' }),
    ]);
    expect(report.problems[0]?.message).toContain(path);
    expect(report.problems[0]?.fix).toContain('then run `agent-state backfill`');
  });

  it('says which threads the search index does not hold, and how to fill it', async () => {
    const { home } = await codexHome();
    const store = await openStateStore({ home });
    stores.push(store);
    expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
    const clean = await inspectHome({ home, store });
    expect(clean.search).toEqual({
      threads: 14,
      indexed: 14,
      documents: expect.any(Number) as number,
    });
    expect(clean.problems.map((p) => p.code)).not.toContain('threads-not-searchable');
    // Rows written without the indexer, as by a release without search.
    for (const thread of await store.threads.scan({ limit: 2 })) {
      await store.threads.delete(thread.id);
      await store.threads.upsert(thread);
    }
    const report = await inspectHome({ home, store });
    expect(report.search).toMatchObject({ threads: 14, indexed: 12 });
    expect(report.problems).toContainEqual({
      severity: 'warning',
      code: 'threads-not-searchable',
      message: expect.stringMatching(/^2 threads are not in the search index/) as string,
      fix: 'run `agent-state search --reindex` (it reads only their rollouts)',
    });
    expect(clean.usage).toEqual({ threads: 14, indexed: 14, records: 21 });
    expect(report.usage).toMatchObject({ threads: 14, indexed: 12 });
    expect(report.problems).toContainEqual({
      severity: 'warning',
      code: 'threads-not-counted',
      message: expect.stringMatching(/^2 threads are not in the usage index/) as string,
      fix: 'run `agent-state usage --reindex` (it reads only their rollouts)',
    });
  });

  it('says where the bytes are: rollouts by month, archived, trash, databases, memories', async () => {
    const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
    const memories = temp.make('memories');
    mkdirSync(join(memories, 'rollout_summaries'));
    writeFileSync(join(memories, 'MEMORY.md'), 'x'.repeat(100));
    writeFileSync(join(memories, 'rollout_summaries', 'a.md'), 'y'.repeat(20));
    const { files } = await collectRollouts(home);
    const bytes = (filter: (path: string) => boolean) =>
      files
        .filter((file) => filter(file.path))
        .reduce((sum, file) => sum + statSync(file.path).size, 0);

    const { sizes } = await inspectHome({ home, memoriesRoot: memories });

    expect(
      sizes.sessionsByMonth.map(({ month, files, compressed }) => ({ month, files, compressed })),
    ).toEqual([
      { month: '2026-12', files: 3, compressed: 0 },
      { month: '2026-11', files: 12, compressed: 11 },
    ]);
    expect(sizes.archived).toEqual({
      files: 2,
      compressed: 2,
      bytes: bytes((path) => path.includes('archived_sessions')),
    });
    expect(sizes.sessionsByMonth.reduce((sum, month) => sum + month.bytes, 0)).toBe(
      bytes((path) => !path.includes('archived_sessions')),
    );
    expect(sizes.trash).toEqual({ threads: 0, bytes: 0 });
    expect(sizes.databases.state).toBeGreaterThan(0);
    expect(sizes.memories).toEqual({ files: 2, bytes: 120 });
    expect(sizes.totalBytes).toBe(
      bytes(() => true) + sizes.databases.state + sizes.databases.logs + 120,
    );
    expect((await inspectHome({ home })).sizes.memories).toBeNull();
  });
});
