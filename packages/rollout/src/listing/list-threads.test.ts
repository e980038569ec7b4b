import {
  cpSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

import {
  ManualClock,
  type StateStore,
  StoreCorruptError,
  openStateStore,
} from '@agent-state/state';
import {
  codexFixtureDir,
  copyCodexHome,
  generateCorpus,
  tempDirs,
  zstdCompress,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { runBackfill } from '../backfill/run-backfill.js';
import { reconcile } from '../reconcile/reconcile.js';
import { findThread } from './find-thread.js';
import { type ListThreadsOptions, type ListedThread, listThreads } from './list-threads.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function backfilled(
  version: 'v0.100.0' | 'v0.169.0',
): Promise<{ home: string; store: StateStore }> {
  const home = copyCodexHome(version, temp.make(version));
  const store = await openStateStore({ home });
  stores.push(store);
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  return { home, store };
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
  source: string;
  gitInfo: { sha: string | null; branch: string | null; originUrl: string | null } | null;
}

function asCodexItem(home: string, t: ListedThread): CodexListItem {
  const git = t.gitSha ?? t.gitBranch ?? t.gitOriginUrl;
  return {
    id: t.id,
    preview: t.preview,
    modelProvider: t.modelProvider,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    path: relative(home, t.rolloutPath),
    cwd: t.cwd,
    cliVersion: t.cliVersion,
    source: t.source,
    gitInfo:
      git === null ? null : { sha: t.gitSha, branch: t.gitBranch, originUrl: t.gitOriginUrl },
  };
}

describe('DB-first listing', () => {
  it('returns Codex 0.100’s own thread/list answer from the store, in its order, page by page', async () => {
    const { home, store } = await backfilled('v0.100.0');
    const codex = JSON.parse(
      readFileSync(join(codexFixtureDir('v0.100.0'), 'thread-list.json'), 'utf8'),
    ) as {
      active: Array<CodexListItem & { turns: unknown }>;
      archived: Array<CodexListItem & { turns: unknown }>;
    };
    for (const archived of [false, true]) {
      const want = (archived ? codex.archived : codex.active).map(
        ({ turns: _turns, ...item }) => item,
      );
      for (const pageSize of [50, 4, 1]) {
        const got = await all({ home, store, pageSize, archived });
        expect(got.map((t) => asCodexItem(home, t))).toEqual(want);
      }
      const page = await listThreads({ home, store, pageSize: 50, archived });
      expect(page.source).toBe('store');
    }
  });

  it('keeps a thread whose rollout was compressed since it was indexed, and follows its new name', async () => {
    const { home, store } = await backfilled('v0.169.0');
    const before = await listThreads({ home, store, pageSize: 50 });
    const victim = before.items[0]!;
    const plain = victim.rolloutPath;
    // What Codex's cold-rollout compression does, behind the store's back.
    const { mtime } = statSync(plain);
    writeFileSync(`${plain}.zst`, zstdCompress(readFileSync(plain)));
    utimesSync(`${plain}.zst`, mtime, mtime);
    rmSync(plain);

    const after = await listThreads({ home, store, pageSize: 50, freshness: false });
    expect(after.items.map((thread) => thread.id)).toEqual(before.items.map((thread) => thread.id));
    expect(after.droppedStale).toBe(0);
    expect((await store.threads.get(victim.id))?.rolloutPath).toBe(`${plain}.zst`);
  });

  it('falls back to the rollouts while the backfill is not complete, with the same cursors', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('fallback'));
    const store = await openStateStore({ home });
    stores.push(store);
    const first = await listThreads({ home, store, pageSize: 3 });
    expect(first).toMatchObject({ source: 'files', fallbackReason: 'backfill-incomplete' });
    const fromFiles = await all({ home, store, pageSize: 3 });
    const noStore = await all({ home, store: null, pageSize: 50 });
    expect(fromFiles.map((t) => t.id)).toEqual(noStore.map((t) => t.id));
    expect(fromFiles).toHaveLength(10); // file mode also lists the blank-message thread, like Codex 0.100
  });

  it('drops, deletes and counts rows whose rollout is gone', async () => {
    const { home, store } = await backfilled('v0.100.0');
    const [newest] = (await listThreads({ home, store, pageSize: 1 })).items;
    rmSync(newest!.rolloutPath);
    const page = await listThreads({ home, store, pageSize: 50, freshness: false });
    expect(page.droppedStale).toBe(1);
    expect(page.items.map((t) => t.id)).not.toContain(newest!.id);
    expect(await store.threads.get(newest!.id)).toBeUndefined();
    expect(await store.discrepancies.counts()).toMatchObject([
      {
        stage: 'list_threads_db',
        reason: 'stale_db_path_dropped',
        count: 1,
        lastThreadId: newest!.id,
      },
    ]);
  });

  it('falls back to the rollouts when the store fails while answering', async () => {
    const { home, store } = await backfilled('v0.100.0');
    const expected = await all({ home, pageSize: 50 });
    const broken = {
      ...store,
      threads: {
        ...store.threads,
        list: () =>
          Promise.reject(
            new StoreCorruptError(
              join(home, 'agent_state_1.sqlite'),
              'database disk image is malformed',
            ),
          ),
      },
    } as unknown as StateStore;
    const page = await listThreads({ home, store: broken, pageSize: 50 });
    expect(page).toMatchObject({ source: 'files', fallbackReason: 'store-error' });
    expect(page.items.map((t) => t.id)).toEqual(expected.map((t) => t.id));
    // Not a store failure (a bug, a bad argument): thrown as it is.
    const buggy = {
      ...store,
      threads: { ...store.threads, list: () => Promise.reject(new TypeError('boom')) },
    } as unknown as StateStore;
    await expect(listThreads({ home, store: buggy, pageSize: 50 })).rejects.toThrow('boom');
  });

  it('a home copied with its database lists its own rollouts, not the original’s', async () => {
    const { home: original } = await backfilled('v0.100.0');
    const copy = temp.make('copy');
    cpSync(original, copy, { recursive: true });
    const store = await openStateStore({ home: copy });
    stores.push(store);
    // One thread exists only in the original now.
    const gone = (await listThreads({ home: copy, store, pageSize: 1, freshness: false })).items[0];
    rmSync(join(copy, relative(original, gone!.rolloutPath)));

    const page = await listThreads({ home: copy, store, pageSize: 50, freshness: false });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((t) => t.rolloutPath.startsWith(join(copy, 'sessions')))).toBe(true);
    expect(page.items.map((t) => t.id)).not.toContain(gone!.id);
    expect(page.droppedStale).toBe(1);
    expect(page.repaired).toBe(page.items.length);
    // Repaired in the store: the next page reads it as it is.
    const again = await listThreads({ home: copy, store, pageSize: 50, freshness: false });
    expect(again).toMatchObject({ repaired: 0, droppedStale: 0 });
    expect(again.items).toEqual(page.items);
  });

  it('leaves rows alone when the home is reached by another path to the same folder', async () => {
    const { home, store } = await backfilled('v0.100.0');
    const link = join(temp.make('link'), 'home');
    symlinkSync(home, link);
    const viaLink = await listThreads({ home: link, store, pageSize: 50, freshness: false });
    expect(viaLink).toMatchObject({ repaired: 0, droppedStale: 0 });
    expect(viaLink.items.every((t) => t.rolloutPath.startsWith(join(home, 'sessions')))).toBe(true);
    expect(await store.discrepancies.counts()).toEqual([]);
  });

  it('indexes rollouts written after the backfill on the next first page', async () => {
    const { home, store } = await backfilled('v0.169.0');
    const before = (await listThreads({ home, store, pageSize: 50 })).items.length;
    const corpus = generateCorpus({
      home,
      count: 3,
      seed: 8,
      archivedShare: 0,
      endMs: Date.parse('2027-01-01T00:00:00Z'),
    });
    const page = await listThreads({ home, store, pageSize: 50 });
    expect(page.repaired).toBe(3);
    expect(
      page.items
        .slice(0, 3)
        .map((t) => t.id)
        .sort(),
    ).toEqual(corpus.files.map((f) => f.id).sort());
    expect(page.items).toHaveLength(before + 3);
    expect((await listThreads({ home, store, pageSize: 50 })).repaired).toBe(0);
  });

  it('does not index a symbolic link among the newest rollouts (it may lead out of the home)', async () => {
    const { home, store } = await backfilled('v0.169.0');
    const elsewhere = temp.make('elsewhere');
    const [outside] = generateCorpus({
      home: elsewhere,
      count: 1,
      seed: 8,
      archivedShare: 0,
      endMs: Date.parse('2027-01-01T00:00:00Z'),
    }).files;
    const link = join(home, relative(elsewhere, outside!.path));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(outside!.path, link);
    const page = await listThreads({ home, store, pageSize: 50 });
    expect(page.repaired).toBe(0);
    expect(page.items.map((t) => t.id)).not.toContain(outside!.id);
    expect(await store.threads.get(outside!.id)).toBeUndefined();
  });

  it('walks the same date folders as the file listing when checking the newest rollouts', async () => {
    const { home, store } = await backfilled('v0.169.0');
    const [template] = generateCorpus({ home: temp.make('corpus'), count: 2, seed: 8 }).files;
    const content = readFileSync(template!.path, 'utf8');
    const id = (n: number) => `01a1fca2-0000-7000-8000-${String(n).padStart(12, '0')}`;
    const place = (year: string, n: number) => {
      const path = join(
        home,
        'sessions',
        year,
        '01',
        '01',
        `rollout-2027-01-01T00-00-0${n}-${id(n)}.jsonl`,
      );
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content.replaceAll(template!.id, id(n)));
      return path;
    };
    place('70000', 1); // not a u16: Codex's listing never looks there
    place('+2027', 2); // a u16 to Rust's parser: 2027
    const page = await listThreads({ home, store, pageSize: 50 });
    expect(page.repaired).toBe(1);
    expect(await store.threads.get(id(1))).toBeUndefined();
    expect(await store.threads.get(id(2))).toMatchObject({ id: id(2) });
  });

  it('attaches user-set names from session_index.jsonl', async () => {
    const { home, store } = await backfilled('v0.169.0');
    const items = await all({ home, store, pageSize: 50 });
    expect(items.find((t) => t.id === '01a1fca2-5c8e-74b0-8fda-13bef72eecb4')?.name).toBe(
      'IDE thread ✓',
    );
    expect(items.filter((t) => t.name !== null)).toHaveLength(1);
  });
});

describe('find by id', () => {
  it('uses the store, then the rollouts, and writes what it found back', async () => {
    const { home, store } = await backfilled('v0.100.0');
    const id = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
    expect(await findThread({ home, store, id })).toMatchObject({ via: 'store', metadata: { id } });

    await store.threads.delete(id);
    const found = await findThread({ home, store, id });
    expect(found).toMatchObject({ via: 'files', metadata: { id, tokensUsed: 520 } });
    expect(await store.threads.get(id)).toEqual(found!.metadata);

    const moved = join(home, 'archived_sessions', found!.path.split('/').pop()!);
    renameSync(found!.path, moved);
    expect(await findThread({ home, store, id, archived: false })).toBeUndefined();
    expect(await findThread({ home, store, id })).toMatchObject({ via: 'files', path: moved });
    expect((await store.discrepancies.counts()).map((c) => c.reason).sort()).toEqual([
      'falling_back',
      'stale_db_path',
    ]);
    await expect(findThread({ home, store, id: '../etc' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('reconcile', () => {
  it('finds missing, stale and differing rows, repairs them on request, and counts them', async () => {
    const { store } = await backfilled('v0.169.0');
    expect((await reconcile({ store, workers: 0 })).findings).toEqual([]);

    const all14 = await store.threads.scan({ limit: 100 });
    const [a, b, c] = all14;
    await store.threads.delete(a!.id); // missing row
    await store.threads.upsert({ ...b!, title: 'wrong', tokensUsed: 1 }); // differing fields
    rmSync(c!.rolloutPath); // stale row

    const seen = await reconcile({ store, workers: 0 });
    expect(seen.counts).toEqual({
      missing_row: 1,
      stale_row: 1,
      field_mismatch: 1,
      unreadable_rollout: 0,
      duplicate_rollout: 0,
    });
    expect(seen.findings.find((f) => f.reason === 'field_mismatch')).toMatchObject({
      threadId: b!.id,
      fields: ['title', 'tokensUsed'],
      repaired: false,
    });
    expect(await store.threads.get(a!.id)).toBeUndefined(); // nothing changed without repair

    const fixed = await reconcile({ store, workers: 0, repair: true });
    expect(fixed.repaired).toBe(3);
    expect(await store.threads.get(a!.id)).toEqual(a);
    expect(await store.threads.get(b!.id)).toEqual(b);
    expect(await store.threads.get(c!.id)).toBeUndefined();
    expect((await reconcile({ store, workers: 0 })).findings).toEqual([]);
    const counts = Object.fromEntries(
      (await store.discrepancies.counts()).map((d) => [d.reason, d.count]),
    );
    expect(counts).toEqual({ missing_row: 2, stale_row: 2, field_mismatch: 2 });
  });

  it('treats rows pointing into another home as stale, and repairs the paths of this one', async () => {
    const { home: original } = await backfilled('v0.169.0');
    const copy = temp.make('copy');
    cpSync(original, copy, { recursive: true });
    const store = await openStateStore({ home: copy });
    stores.push(store);
    const [gone] = await store.threads.scan({ limit: 1 });
    rmSync(join(copy, relative(original, gone!.rolloutPath)));

    const report = await reconcile({ store, workers: 0, repair: true });
    expect(report.findings.find((f) => f.reason === 'stale_row')).toMatchObject({
      threadId: gone!.id,
      message: 'the rollout is not in this home',
      repaired: true,
    });
    expect(report.counts.stale_row).toBe(1);
    expect(report.counts.field_mismatch).toBe(report.scannedRollouts);
    expect(Number.isInteger(report.durationMs)).toBe(true);
    expect(await store.threads.get(gone!.id)).toBeUndefined();
    const rows = await store.threads.scan({ limit: 100 });
    expect(rows.every((row) => row.rolloutPath.startsWith(copy))).toBe(true);
    expect((await reconcile({ store, workers: 0 })).findings).toEqual([]);
  });

  it('keeps a live archive time and reports unreadable rollouts with their path', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    const home = copyCodexHome('v0.100.0', temp.make('archive'));
    const store = await openStateStore({ home, clock });
    stores.push(store);
    await runBackfill({ store, workers: 0 });
    const archived = (await store.threads.scan({ limit: 100 })).find((t) => t.archivedAt !== null)!;
    await store.threads.upsert({ ...archived, archivedAt: archived.archivedAt! + 100 });
    const bad = join(home, 'sessions', 'rollout-broken.jsonl');
    renameSync(join(home, 'session_index.jsonl'), bad);
    const report = await reconcile({ store, workers: 0 });
    expect(report.findings).toEqual([
      expect.objectContaining({ reason: 'unreadable_rollout', path: bad, repaired: false }),
    ]);
  });
});
