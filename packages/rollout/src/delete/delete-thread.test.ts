import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

import {
  type AgentStateStore,
  ErrorCode,
  ManualClock,
  NotFoundError,
  openStateStore,
} from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { runBackfill } from '../backfill/run-backfill.js';
import { reconcile } from '../reconcile/reconcile.js';
import { listThreads } from '../listing/list-threads.js';
import { searchThreads } from '../search/search-threads.js';
import { deleteThread } from './delete-thread.js';
import { TRASH_MANIFEST, TRASH_SUBDIR, type TrashManifest, listTrash } from './trash.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** A 0.169 thread that runs `echo hi`: compressed in the lived-in home. */
const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const ECHO_NAME = 'rollout-2026-11-21T05-44-17-01a1fca2-4d0c-7883-b67e-ad58b7675481.jsonl';
/** An archived (and compressed) thread of the lived-in home. */
const ARCHIVED = '01a1fca2-53fc-76e0-8b92-101a077348df';
const DAY = join('sessions', '2026', '11', '21');
const NOW = Date.parse('2026-12-07T10:00:00Z');

async function indexedHome(): Promise<{ home: string; store: AgentStateStore }> {
  const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
  const store = await openStateStore({ home, clock: new ManualClock(NOW) });
  await runBackfill({ store });
  return { home, store };
}

/** Stores a stage-1 memory output for the thread, as the memories pipeline does. */
async function plantMemory(store: AgentStateStore, threadId: string): Promise<void> {
  const thread = (await store.threads.get(threadId))!;
  const claim = await store.stage1Jobs.tryClaim({
    threadId,
    workerId: 'test',
    sourceUpdatedAt: thread.updatedAt,
    leaseSeconds: 60,
  });
  if (claim.outcome !== 'claimed') throw new Error(`not claimed: ${claim.outcome}`);
  await store.stage1Jobs.markSucceeded({
    threadId,
    ownershipToken: claim.ownershipToken,
    sourceUpdatedAt: thread.updatedAt,
    rawMemory: 'The echo thread printed hi.',
    rolloutSummary: 'Ran echo hi.',
  });
}

/** Everything the store holds of a thread. */
async function held(store: AgentStateStore, threadId: string) {
  return {
    row: await store.threads.get(threadId),
    documents: (await store.search.documents(threadId)).length,
    usage: (await store.usage.records(threadId)).length,
    memories: (await store.memories.listStage1Outputs({ limit: 100 })).filter(
      (output) => output.threadId === threadId,
    ).length,
  };
}

describe('deleteThread', () => {
  it('moves the rollout to the trash and removes the row, documents, usage and memory at once', async () => {
    const { home, store } = await indexedHome();
    await plantMemory(store, ECHO);
    const before = await held(store, ECHO);
    expect(before.row).toBeDefined();
    expect(before.documents).toBeGreaterThan(0);
    expect(before.usage).toBeGreaterThan(0);
    expect(before.memories).toBe(1);
    const found = await searchThreads({ store, query: 'echo' });
    expect(found.hits.map((hit) => hit.thread.id)).toContain(ECHO);
    const rollout = join(home, DAY, `${ECHO_NAME}.zst`);
    const bytes = readFileSync(rollout);
    const mtime = statSync(rollout).mtimeMs;

    const done = await deleteThread({ home, threadId: ECHO, store, clock: new ManualClock(NOW) });

    expect(done).toMatchObject({ threadId: ECHO, deleted: true, storeRowDeleted: true });
    expect(done.files).toEqual([{ path: rollout, bytes: bytes.length }]);
    expect(done.trashDir).toBe(join(home, TRASH_SUBDIR, `20261207T100000Z-${ECHO}`));
    expect(existsSync(rollout)).toBe(false);
    const trashed = join(done.trashDir!, DAY, `${ECHO_NAME}.zst`);
    expect(readFileSync(trashed).equals(bytes)).toBe(true);
    expect(statSync(trashed).mtimeMs).toBe(mtime);
    const manifest = JSON.parse(
      readFileSync(join(done.trashDir!, TRASH_MANIFEST), 'utf8'),
    ) as TrashManifest;
    expect(manifest).toEqual({
      threadId: ECHO,
      deletedAt: '2026-12-07T10:00:00.000Z',
      title: before.row!.title,
      files: [{ path: join(DAY, `${ECHO_NAME}.zst`), bytes: bytes.length }],
    });
    await expect(listTrash(home)).resolves.toEqual([{ dir: done.trashDir, manifest }]);

    expect(await held(store, ECHO)).toEqual({
      row: undefined,
      documents: 0,
      usage: 0,
      memories: 0,
    });
    const { hits } = await searchThreads({ store, query: 'echo' });
    expect(hits.map((hit) => hit.thread.id)).not.toContain(ECHO);
    const page = await listThreads({ home, store, pageSize: 100 });
    expect(page.items.map((thread) => thread.id)).not.toContain(ECHO);
    // A reconcile that indexes every rollout it finds does not bring it back: the trash is not a
    // rollout tree.
    await reconcile({ store, repair: true });
    await expect(store.threads.get(ECHO)).resolves.toBeUndefined();
    await store.close();
  });

  it('takes both names of a thread being materialized, and finds an archived one', async () => {
    const { home, store } = await indexedHome();
    const compressed = join(home, DAY, `${ECHO_NAME}.zst`);
    const plain = join(home, DAY, ECHO_NAME);
    // A plain twin beside the compressed file (Codex writes one when it resumes the thread).
    copyFileSync(compressed, plain);

    // And a copy in another day folder (what reconcile calls a duplicate rollout).
    const copy = join(home, 'sessions', '2026', '11', '22', `${ECHO_NAME}.zst`);
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(compressed, copy);

    const both = await deleteThread({ home, threadId: ECHO, store, clock: new ManualClock(NOW) });
    expect(both.files.map((file) => file.path)).toEqual([plain, compressed, copy]);
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(plain) || existsSync(compressed)).toBe(false);

    const archived = await deleteThread({
      home,
      threadId: ARCHIVED.toUpperCase(),
      store,
      clock: new ManualClock(NOW + 1000),
    });
    expect(archived.files.map((file) => relative(home, file.path))).toEqual([
      join(
        'archived_sessions',
        'rollout-2026-11-21T05-44-19-01a1fca2-53fc-76e0-8b92-101a077348df.jsonl.zst',
      ),
    ]);
    expect(archived.trashDir).toBe(join(home, TRASH_SUBDIR, `20261207T100001Z-${ARCHIVED}`));
    await store.close();
  });

  it('unlinks the rollouts with purge, leaving no trash', async () => {
    const { home, store } = await indexedHome();
    const done = await deleteThread({
      home,
      threadId: ECHO,
      store,
      purge: true,
      clock: new ManualClock(NOW),
    });
    expect(done).toMatchObject({ deleted: true, purged: true, trashDir: null });
    expect(existsSync(done.files[0]!.path)).toBe(false);
    expect(readdirSync(join(home, TRASH_SUBDIR))).toEqual([]);
    await expect(store.threads.get(ECHO)).resolves.toBeUndefined();
    await store.close();
  });

  it('leaves the thread whole when the store fails mid-way', async () => {
    const { home, store } = await indexedHome();
    const rollout = join(home, DAY, `${ECHO_NAME}.zst`);
    const failing: Pick<AgentStateStore, 'threads'> = {
      threads: Object.create(store.threads, {
        delete: { value: () => Promise.reject(new Error('disk I/O error')) },
      }) as AgentStateStore['threads'],
    };
    await expect(
      deleteThread({ home, threadId: ECHO, store: failing, clock: new ManualClock(NOW) }),
    ).rejects.toThrow('disk I/O error');
    expect(existsSync(rollout)).toBe(true);
    expect(readdirSync(join(home, TRASH_SUBDIR))).toEqual([]);
    expect((await held(store, ECHO)).documents).toBeGreaterThan(0);
    await store.close();
  });

  it('says which rollouts it could not put back, and keeps them from gc', async () => {
    const { home, store } = await indexedHome();
    const rollout = join(home, DAY, `${ECHO_NAME}.zst`);
    const failing: Pick<AgentStateStore, 'threads'> = {
      threads: Object.create(store.threads, {
        delete: {
          value: () => {
            writeFileSync(rollout, 'another writer'); // the way back is taken
            return Promise.reject(new Error('disk I/O error'));
          },
        },
      }) as AgentStateStore['threads'],
    };
    const error = await deleteThread({
      home,
      threadId: ECHO,
      store: failing,
      clock: new ManualClock(NOW),
    })
      .then(() => undefined)
      .catch((caught: unknown) => caught as Error);
    expect(error?.message).toMatch(/disk I\/O error.*1 rollout\(s\) could not be put back/);
    const [entry] = readdirSync(join(home, TRASH_SUBDIR));
    const trashDir = join(home, TRASH_SUBDIR, entry!);
    expect(error?.message).toContain(join(trashDir, DAY, `${ECHO_NAME}.zst`));
    expect(existsSync(join(trashDir, 'deleted.incomplete.json'))).toBe(true);
    await expect(listTrash(home)).resolves.toEqual([]);
    await store.close();
  });

  it('changes nothing when confirm declines', async () => {
    const { home, store } = await indexedHome();
    let asked: unknown;
    const plan = await deleteThread({
      home,
      threadId: ECHO,
      store,
      clock: new ManualClock(NOW),
      confirm: (candidate) => {
        asked = candidate;
        return false;
      },
    });
    expect(plan).toMatchObject({ deleted: false, storeRowDeleted: false });
    expect(asked).toEqual(plan);
    expect(existsSync(plan.files[0]!.path)).toBe(true);
    expect(existsSync(join(home, TRASH_SUBDIR))).toBe(false);
    await expect(store.threads.get(ECHO)).resolves.toBeDefined();
    await store.close();
  });

  it('deletes a row whose rollout is gone (a ghost), and says an unknown id is not found', async () => {
    const { home, store } = await indexedHome();
    const rollout = join(home, DAY, `${ECHO_NAME}.zst`);
    rmSync(rollout);
    const ghost = await deleteThread({ home, threadId: ECHO, store, clock: new ManualClock(NOW) });
    expect(ghost).toMatchObject({ files: [], deleted: true, storeRowDeleted: true });
    expect(existsSync(join(home, TRASH_SUBDIR))).toBe(false);

    const error = await deleteThread({ home, threadId: ECHO, store, clock: new ManualClock(NOW) })
      .then(() => undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toContain(ECHO);
    await expect(
      deleteThread({ home, threadId: 'not-a-uuid', store, clock: new ManualClock(NOW) }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await store.close();
  });

  it('refuses a rollout that is a link out of the home, by name, and moves nothing', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const outside = join(temp.make('outside'), ECHO_NAME);
    const rollout = join(home, DAY, ECHO_NAME);
    copyFileSync(rollout, outside);
    rmSync(rollout);
    symlinkSync(outside, rollout);
    await expect(
      deleteThread({ home, threadId: ECHO, clock: new ManualClock(NOW) }),
    ).rejects.toMatchObject({ code: ErrorCode.RolloutInvalid, path: rollout });
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(home, TRASH_SUBDIR))).toBe(false);
  });
});
