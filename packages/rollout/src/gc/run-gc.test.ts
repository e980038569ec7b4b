import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { join, relative } from 'node:path';

import {
  type AgentStateStore,
  type LogEntry,
  ManualClock,
  type ThreadMetadata,
  openLogsStore,
  openStateStore,
} from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';

import { runBackfill } from '../backfill/run-backfill.js';
import { deleteThread } from '../delete/delete-thread.js';
import { TRASH_SUBDIR } from '../delete/trash.js';
import { listThreads } from '../listing/list-threads.js';
import { searchThreads } from '../search/search-threads.js';
import { compressRolloutFile } from './compress-rollout-file.js';
import { runGc } from './run-gc.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** The 0.169 fixture's rollouts were written on 2026-11-21: 16 days before this clock. */
const NOW = Date.parse('2026-12-07T10:00:00Z');
const DAY_MS = 86_400_000;
const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';

/** Every file under the home's rollout trees: relative path, bytes and mtime. */
function tree(home: string): Map<string, { bytes: Buffer; mtimeMs: number }> {
  const files = new Map<string, { bytes: Buffer; mtimeMs: number }>();
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else {
        files.set(relative(home, path), {
          bytes: readFileSync(path),
          mtimeMs: statSync(path).mtimeMs,
        });
      }
    }
  };
  visit(join(home, 'sessions'));
  visit(join(home, 'archived_sessions'));
  return files;
}

async function indexedHome(): Promise<{ home: string; store: AgentStateStore }> {
  const home = copyCodexHome('v0.169.0', temp.make('home'));
  const store = await openStateStore({ home, clock: new ManualClock(NOW) });
  await runBackfill({ store });
  return { home, store };
}

/** The store's threads by id, each without its rollout path (which gc changes). */
async function threadsById(store: AgentStateStore): Promise<Map<string, Partial<ThreadMetadata>>> {
  const rows = await store.threads.scan({ limit: 1000 });
  return new Map(rows.map(({ rolloutPath: _path, ...rest }) => [rest.id, rest]));
}

describe('runGc', () => {
  it('compresses cold rollouts as Codex does: byte for byte, mtimes kept, indexed alike', async () => {
    const { home, store } = await indexedHome();
    const before = tree(home);
    const threads = await threadsById(store);
    const page = await listThreads({ home, store, pageSize: 100 });

    const report = await runGc({ home, store, clock: new ManualClock(NOW) });

    expect(report.compressed).toHaveLength(before.size);
    expect(report.skipped).toEqual([]);
    const after = tree(home);
    expect([...after.keys()].sort()).toEqual(
      [...before.keys()].map((path) => `${path}.zst`).sort(),
    );
    for (const [path, original] of before) {
      const compressed = after.get(`${path}.zst`)!;
      expect(compressed.bytes.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
      expect(decompress(compressed.bytes).equals(original.bytes)).toBe(true);
      // Node sets times as a double of seconds: kept to the microsecond.
      expect(Math.abs(compressed.mtimeMs - original.mtimeMs)).toBeLessThan(0.001);
    }
    const bytesBefore = [...before.values()].reduce((sum, file) => sum + file.bytes.length, 0);
    const bytesAfter = [...after.values()].reduce((sum, file) => sum + file.bytes.length, 0);
    expect(report.bytes.rollouts).toEqual({ before: bytesBefore, after: bytesAfter });
    expect(bytesAfter).toBeLessThan(bytesBefore / 2);

    // The store points at the compressed files, with the same metadata.
    expect(await threadsById(store)).toEqual(threads);
    for (const row of await store.threads.scan({ limit: 1000 })) {
      expect(row.rolloutPath.endsWith('.jsonl.zst')).toBe(true);
    }
    const again = await listThreads({ home, store, pageSize: 100 });
    expect(again.items.map((thread) => thread.id)).toEqual(page.items.map((thread) => thread.id));
    const { hits } = await searchThreads({ store, query: 'echo' });
    expect(hits.map((hit) => hit.thread.id)).toContain(ECHO);

    // A second pass has nothing left to do.
    const second = await runGc({ home, store, clock: new ManualClock(NOW) });
    expect(second.compressed).toEqual([]);
    await store.close();
  });

  it('indexes a compressed rollout whose thread the store did not hold', async () => {
    const { home, store } = await indexedHome();
    const threads = await threadsById(store);
    await store.threads.delete(ECHO);
    await runGc({ home, store, clock: new ManualClock(NOW) });
    const row = await store.threads.get(ECHO);
    expect(row?.rolloutPath.endsWith('.jsonl.zst')).toBe(true);
    expect(await threadsById(store)).toEqual(threads);
    await store.close();
  });

  it('--dry-run lists what it would compress and changes nothing', async () => {
    const { home, store } = await indexedHome();
    const before = tree(home);
    const threads = await threadsById(store);
    const report = await runGc({ home, store, clock: new ManualClock(NOW), dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.compressed).toHaveLength(before.size);
    expect(report.compressed.every((entry) => entry.bytesAfter === null)).toBe(true);
    expect(report.bytes.after).toBe(report.bytes.before);
    expect(tree(home)).toEqual(before);
    expect(await threadsById(store)).toEqual(threads);
    await store.close();
  });

  // Windows cannot say which files processes hold open (/proc or lsof).
  it.skipIf(process.platform === 'win32')(
    'leaves recent rollouts, and one a process holds open',
    async () => {
      const { home, store } = await indexedHome();
      const paths = [...tree(home).keys()].map((path) => join(home, path));
      const recent = paths[0]!;
      const held = paths[1]!;
      utimesSync(recent, new Date(NOW), new Date(NOW - DAY_MS));
      const handle = openSync(held, 'a');
      try {
        const report = await runGc({ home, store, clock: new ManualClock(NOW) });
        const compressed = report.compressed.map((entry) => entry.from);
        expect(compressed).not.toContain(recent);
        expect(compressed).not.toContain(held);
        expect(compressed).toHaveLength(paths.length - 2);
        expect(report.openFilesChecked).toBe(true);
        expect(report.skipped).toEqual([{ path: held, reason: 'open' }]);
        expect(existsSync(recent) && existsSync(held)).toBe(true);
      } finally {
        closeSync(handle);
      }
      await store.close();
    },
  );

  it('empties the trash of deletions older than its age, and prunes our logs', async () => {
    const { home, store } = await indexedHome();
    const old = await deleteThread({
      home,
      threadId: ECHO,
      store,
      clock: new ManualClock(NOW - 40 * DAY_MS),
    });
    const recentId = (await store.threads.scan({ limit: 1 }))[0]!.id;
    const recent = await deleteThread({
      home,
      threadId: recentId,
      store,
      clock: new ManualClock(NOW),
    });
    const logs = await openLogsStore({ home, clock: new ManualClock(NOW) });
    const entry = (ts: number): LogEntry => ({
      ts,
      tsNanos: 0,
      level: 'INFO',
      target: 'test',
      message: 'x'.repeat(200),
      modulePath: null,
      file: null,
      line: null,
      threadId: null,
      processUuid: null,
    });
    logs.insert([
      ...Array.from({ length: 500 }, () => entry(NOW / 1000 - 100 * 86_400)),
      entry(NOW / 1000 - 60),
    ]);
    logs.close();

    const report = await runGc({ home, store, clock: new ManualClock(NOW), dryRun: false });
    expect(report.trash.map((entry) => entry.threadId)).toEqual([ECHO]);
    expect(existsSync(old.trashDir!)).toBe(false);
    expect(existsSync(recent.trashDir!)).toBe(true);
    expect(readdirSync(join(home, TRASH_SUBDIR))).toHaveLength(1);
    expect(report.bytes.trash.after).toBe(recent.files[0]!.bytes);
    expect(report.logs).toMatchObject({ deletedRows: 500 });
    expect(report.logs!.bytesAfter).toBeLessThan(report.logs!.bytesBefore);
    await store.close();
  });
});

describe('compressRolloutFile', () => {
  it('keeps a rollout written to during its compression, and removes its copy', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const path = join(home, [...tree(home).keys()][0]!);
    const original = readFileSync(path);
    const outcome = await compressRolloutFile(path, {
      beforePublish: () => appendFileSync(path, '{"type":"event_msg"}\n'),
    });
    expect(outcome).toEqual({ outcome: 'skipped', path, reason: 'changed' });
    expect(readFileSync(path).subarray(0, original.length).equals(original)).toBe(true);
    expect(existsSync(`${path}.zst`)).toBe(false);
    expect(readdirSync(join(path, '..')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('streams a large rollout through the encoder and checks it the same way', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const path = join(home, [...tree(home).keys()][0]!);
    const original = readFileSync(path);
    const outcome = await compressRolloutFile(path, { inMemoryBytes: 0 });
    expect(outcome).toMatchObject({ outcome: 'compressed', to: `${path}.zst` });
    expect(decompress(readFileSync(`${path}.zst`)).equals(original)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a rollout whose compressed twin exists (Codex materializing it)', async () => {
    const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
    const compressed = [...tree(home).keys()].find((path) => path.endsWith('.zst'))!;
    const plain = join(home, compressed.slice(0, -'.zst'.length));
    appendFileSync(plain, decompress(readFileSync(join(home, compressed))));
    await expect(compressRolloutFile(plain)).resolves.toEqual({
      outcome: 'skipped',
      path: plain,
      reason: 'compressed-twin-exists',
    });
    expect(existsSync(plain)).toBe(true);
  });
});
