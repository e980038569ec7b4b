import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { type StateStore, type ThreadMetadata, openStateStore } from '@agent-state/state';
import {
  CODEX_FIXTURE_VERSIONS,
  CODEX_SEED_COLUMNS,
  type CodexFixtureVersion,
  codexFixtureDir,
  compressRollouts,
  copyCodexHome,
  loadExpectedThreads,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { listThreadFiles } from '../listing/file-listing.js';
import { findThread } from '../listing/find-thread.js';
import {
  type ListThreadsOptions,
  type ListedThread,
  listThreads,
} from '../listing/list-threads.js';
import { isCompressedRolloutPath, plainRolloutPath } from '../paths/rollout-paths.js';
import { reconcile } from '../reconcile/reconcile.js';
import { collectRollouts } from './collect-rollouts.js';
import { runBackfill } from './run-backfill.js';
import { BACKFILL_GENERATION, findUnindexedRollouts } from './unindexed-rollouts.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function open(home: string): Promise<StateStore> {
  const store = await openStateStore({ home });
  stores.push(store);
  return store;
}

/** Every row of the store as Codex's original (Codex, early 2026) columns, ordered as Codex's fixtures are. */
async function seedRows(store: StateStore, home: string, ids: readonly string[]) {
  const rows = (await Promise.all(ids.map((id) => store.threads.get(id))))
    .filter((m): m is ThreadMetadata => m !== undefined)
    .map((m) => ({
      id: m.id,
      rollout_path: relative(home, m.rolloutPath),
      created_at: m.createdAt,
      updated_at: m.updatedAt,
      source: m.source,
      model_provider: m.modelProvider,
      cwd: m.cwd,
      title: m.title,
      sandbox_policy: m.sandboxPolicy,
      approval_mode: m.approvalMode,
      tokens_used: m.tokensUsed,
      archived: m.archivedAt === null ? 0 : 1,
      archived_at: m.archivedAt,
      git_sha: m.gitSha,
      git_branch: m.gitBranch,
      git_origin_url: m.gitOriginUrl,
      cli_version: m.cliVersion,
      first_user_message: m.firstUserMessage ?? '',
    }));
  return rows.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

function expectedRows(
  version: CodexFixtureVersion,
  rename: (path: string) => string = (p) => p,
): Array<Record<string, unknown> & { id: string; rollout_path: string }> {
  return loadExpectedThreads(version, 'backfill').map((row) => ({
    id: row.id,
    ...Object.fromEntries(CODEX_SEED_COLUMNS.map((c) => [c, row[c]])),
    rollout_path: rename(row.rollout_path),
  }));
}

async function all(options: Omit<ListThreadsOptions, 'cursor'>): Promise<ListedThread[]> {
  const items: ListedThread[] = [];
  let cursor: string | null = null;
  do {
    const page = await listThreads({ ...options, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

interface CodexListItem {
  id: string;
  preview: string;
  modelProvider: string;
  createdAt: number;
  updatedAt: number;
  path: string;
  cwd: string;
  cliVersion: string;
}

/** The fields of Codex's `thread/list` items that our list items carry as Codex does. */
function asCodexItem(home: string, t: ListedThread | CodexListItem): CodexListItem {
  const path = 'rolloutPath' in t ? relative(home, t.rolloutPath) : t.path;
  return {
    id: t.id,
    preview: t.preview,
    modelProvider: t.modelProvider,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    // Codex's thread/list names a compressed rollout by its plain path; its DB keeps the `.zst`.
    path: plainRolloutPath(path),
    cwd: t.cwd,
    cliVersion: t.cliVersion,
  };
}

describe('a lived-in Codex 0.169 home (compressed rollouts, a fork by reference, a sub-agent)', () => {
  const version = 'v0.169.0-compressed';
  const codexList = JSON.parse(
    readFileSync(join(codexFixtureDir(version), 'thread-list.json'), 'utf8'),
  ) as { active: CodexListItem[]; archived: CodexListItem[] };

  it('backfills all 17 threads with every original (Codex, early 2026) column equal to Codex’s own backfill', async () => {
    const home = copyCodexHome(version, temp.make('lived-in'));
    const expected = expectedRows(version);
    expect((await collectRollouts(home)).files).toHaveLength(17);
    const store = await open(home);
    const result = await runBackfill({ store, workers: 0 });
    expect(result).toMatchObject({ outcome: 'complete', scanned: 17, upserted: 17, failed: 0 });
    const rows = await seedRows(
      store,
      home,
      expected.map((row) => row.id),
    );
    expect(rows).toEqual(expected);
    expect(rows.filter((row) => row.rollout_path.endsWith('.jsonl.zst'))).toHaveLength(13);
  });

  it('lists, from the store and from the files, what Codex’s thread/list answers, in its order', async () => {
    const home = copyCodexHome(version, temp.make('lived-in'));
    const store = await open(home);
    for (const archived of [false, true]) {
      const want = (archived ? codexList.archived : codexList.active).map((t) =>
        asCodexItem(home, t),
      );
      const files = await listThreadFiles({
        home,
        pageSize: 50,
        archived,
        sortKey: 'created',
        defaultProvider: 'openai',
      });
      // Before a backfill, Codex 0.169 builds its DB first and never lists by files. Ours lists
      // by files as Codex 0.100 does: the same threads and order, plus the blank-message thread
      // (preview ""), and an image-only first message previews as "" there.
      const blank = '01a1fca2-5f95-74d0-894d-b869110d0997';
      const ids = (items: Array<{ id: string }>) =>
        items.map((t) => t.id).filter((id) => id !== blank);
      expect(ids(files.items)).toEqual(ids(want));
      expect(ids(await all({ home, store, pageSize: 50, archived }))).toEqual(ids(want));
    }
    expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
    for (const archived of [false, true]) {
      const want = (archived ? codexList.archived : codexList.active).map((t) =>
        asCodexItem(home, t),
      );
      for (const pageSize of [50, 3]) {
        const got = await all({ home, store, pageSize, archived });
        expect(got.map((t) => asCodexItem(home, t))).toEqual(want);
      }
      expect((await listThreads({ home, store, pageSize: 50, archived })).source).toBe('store');
    }
  });

  it('a store completed by a release that read plain rollouts only is completed by the next backfill, which reads nothing else', async () => {
    const home = copyCodexHome(version, temp.make('lived-in'));
    const expected = expectedRows(version);
    const store = await open(home);
    // What the previous release did: a generation-1 backfill of the plain rollouts.
    const plain = (await collectRollouts(home)).files.filter(
      (f) => !isCompressedRolloutPath(f.path),
    );
    expect(plain).toHaveLength(4);
    const claim = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 1 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    await store.threads.upsertMany(
      plain.map(
        (f) =>
          extractRolloutMetadata(f.path, { archived: f.archived, defaultProvider: 'openai' })
            .metadata,
      ),
    );
    await store.backfill.markComplete(claim.lease, { lastWatermark: plain.at(-1)!.watermark });
    expect((await findUnindexedRollouts({ store })).files).toHaveLength(13);

    // Reading a plain rollout again would now fail: this run must not touch them.
    for (const file of plain) writeFileSync(file.path, 'not a rollout any more\n');
    const result = await runBackfill({ store, workers: 0 });
    expect(result).toMatchObject({
      outcome: 'complete',
      scanned: 13,
      upserted: 13,
      failed: 0,
      caughtUpFrom: 1,
    });
    expect(
      await seedRows(
        store,
        home,
        expected.map((row) => row.id),
      ),
    ).toEqual(expected);
    expect(await store.backfill.get()).toMatchObject({
      status: 'complete',
      generation: BACKFILL_GENERATION,
    });
    expect((await findUnindexedRollouts({ store })).files).toEqual([]);
    expect((await runBackfill({ store, workers: 0 })).outcome).toBe('already-complete');
  });

  it('a catch-up killed half-way is resumed with what is still missing', async () => {
    const home = copyCodexHome(version, temp.make('lived-in'));
    const store = await open(home);
    const plain = (await collectRollouts(home)).files.filter(
      (f) => !isCompressedRolloutPath(f.path),
    );
    const claim = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 1 });
    if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
    await store.threads.upsertMany(
      plain.map(
        (f) =>
          extractRolloutMetadata(f.path, { archived: f.archived, defaultProvider: 'openai' })
            .metadata,
      ),
    );
    await store.backfill.markComplete(claim.lease, { lastWatermark: plain.at(-1)!.watermark });
    // The first catch-up stops after one batch of 5 (as if killed: the lease is released).
    const controller = new AbortController();
    const first = await runBackfill({
      store,
      workers: 0,
      batchSize: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 5) controller.abort();
      },
    });
    expect(first).toMatchObject({ outcome: 'aborted', scanned: 5, caughtUpFrom: 1 });
    expect(await store.backfill.get()).toMatchObject({ status: 'pending', generation: 1 });
    const second = await runBackfill({ store, workers: 0, batchSize: 5 });
    expect(second).toMatchObject({ outcome: 'complete', scanned: 8, failed: 0, caughtUpFrom: 1 });
    expect(await store.threads.count()).toBe(17);
  });

  it('finds a compressed thread by id, and reconcile finds nothing wrong after a backfill', async () => {
    const home = copyCodexHome(version, temp.make('lived-in'));
    const store = await open(home);
    await runBackfill({ store, workers: 0 });
    const id = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
    const found = await findThread({ home, store, id });
    expect(found?.path.endsWith(`-${id}.jsonl.zst`)).toBe(true);
    const report = await reconcile({ home, store });
    expect(report.findings).toEqual([]);
  });
});

describe.each(CODEX_FIXTURE_VERSIONS)(
  'the %s fixture home compressed with a real zstd encoder',
  (version) => {
    it.each([1, 4])('gives the same metadata as plain (%i frame(s) per file)', async (frames) => {
      const home = copyCodexHome(version, temp.make(version));
      const compressed = compressRollouts(home, { frames });
      expect(compressed.length).toBe(loadExpectedThreads(version, 'backfill').length);
      const store = await open(home);
      const result = await runBackfill({ store, workers: 0 });
      expect(result).toMatchObject({ outcome: 'complete', failed: 0, upserted: compressed.length });
      const expected = expectedRows(version, (path) => `${path}.zst`);
      expect(
        await seedRows(
          store,
          home,
          expected.map((row) => row.id),
        ),
      ).toEqual(expected);
    });

    it('indexes the compressed rollouts on worker threads too', async () => {
      const home = copyCodexHome(version, temp.make(version));
      compressRollouts(home, { frames: 2 });
      const store = await open(home);
      const result = await runBackfill({ store, workers: 2 });
      expect(result).toMatchObject({ outcome: 'complete', failed: 0 });
      const expected = expectedRows(version, (path) => `${path}.zst`);
      expect(
        await seedRows(
          store,
          home,
          expected.map((row) => row.id),
        ),
      ).toEqual(expected);
    });
  },
);
