import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import { ErrorCode, ManualClock, type StateStore, openStateStore } from '@agent-state/state';
import { compressRollouts, copyCodexHome, tempDirs, zstdCompress } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';

import { runBackfill } from '../backfill/run-backfill.js';
import { RolloutFileError } from '../errors.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { listThreads } from '../listing/list-threads.js';
import { loadRollout } from '../reader/rollout-reader.js';
import { RolloutRecorder, type RolloutRecorderStore } from './rollout-recorder.js';
import { sampleTurn, sampleTurnTokens } from '../../test/sample-session.js';

const T0 = Date.parse('2026-12-20T08:00:00.000Z');
/** A Codex 0.100 thread with a command run (legacy format: resumable here). */
const LEGACY = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
/** A compressed (paginated) thread of the lived-in Codex 0.169 home, in `sessions/`. */
const LIVED_IN = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const FORK = '01a1fca2-aaaa-7bbb-8ccc-dddddddddddd';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

/** A store of `home`, backfilled as an existing Codex home is indexed. */
async function indexedStore(home: string, clock: ManualClock): Promise<StateStore> {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
  return store;
}

async function rolloutOf(home: string, id: string): Promise<string> {
  const path = await findRolloutFileById({ home, id });
  if (!path) throw new Error(`no rollout for ${id}`);
  return path;
}

const lines = async (path: string) => {
  const { entries, issueCount } = await loadRollout(path);
  expect(issueCount).toBe(0);
  return entries.map(({ line }) => line);
};
const temporaryFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

describe('RolloutRecorder on compressed rollouts', () => {
  it('resume materializes a .jsonl.zst, appends to the plain file and points the store row at it', async () => {
    // Real Codex 0.100 threads, compressed as Codex's cold-rollout worker does (mtime kept).
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const plain = await rolloutOf(home, LEGACY);
    const originalBytes = readFileSync(plain);
    const originalMtime = statSync(plain).mtimeMs;
    const [zst] = compressRollouts(home, { frames: 3, filter: (path) => path === plain });
    if (!zst) throw new Error('nothing compressed');
    const clock = new ManualClock(T0);
    const store = await indexedStore(home, clock);
    expect((await store.threads.get(LEGACY))?.rolloutPath).toBe(zst);
    const before = await lines(zst);

    const recorder = await RolloutRecorder.resume({ path: zst, store, clock });
    expect(recorder.path).toBe(plain);
    expect(recorder.threadId).toBe(LEGACY);
    // Materialized before anything is appended: the original bytes, the original mtime.
    expect(existsSync(zst)).toBe(false);
    expect(Math.round(statSync(plain).mtimeMs)).toBe(Math.round(originalMtime));
    expect(readFileSync(plain).equals(originalBytes)).toBe(true);
    expect((await store.threads.get(LEGACY))?.rolloutPath).toBe(plain);

    const tokensBefore = extractRolloutMetadata(plain, { defaultProvider: 'openai' }).metadata
      .tokensUsed;
    const turn = sampleTurn({
      turnId: '01a1fca2-ffff-7000-8000-000000000001',
      cwd: '/home/user/src/app',
      prompt: 'RUN: echo after a week',
      answer: 'after a week',
      approvalPolicy: 'never',
      sandboxPolicy: { type: 'read-only' },
      tokensBefore,
    });
    await recorder.record(turn);
    await recorder.close();

    expect(readFileSync(plain).subarray(0, originalBytes.length).equals(originalBytes)).toBe(true);
    const after = await lines(plain);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map(({ type, payload }) => ({ type, payload }))).toEqual(
      turn,
    );
    const extracted = extractRolloutMetadata(plain, { defaultProvider: 'openai' }).metadata;
    expect(extracted.tokensUsed).toBe(sampleTurnTokens(tokensBefore));
    expect(await store.threads.get(LEGACY)).toEqual(extracted);
    // Listed from the store as a live thread, not dropped as one whose file is gone.
    const page = await listThreads({ home, store, pageSize: 50 });
    expect(page.items.find((item) => item.id === LEGACY)?.rolloutPath).toBe(plain);
    expect(temporaryFiles(dirname(plain))).toEqual([]);
  });

  it('a row the store failed to point at the plain file at resume follows it at the next append', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const plain = await rolloutOf(home, LEGACY);
    const [zst] = compressRollouts(home, { filter: (path) => path === plain });
    const clock = new ManualClock(T0);
    const store = await indexedStore(home, clock);
    let failures = 1;
    const flaky: RolloutRecorderStore = {
      threads: {
        get: (id) => store.threads.get(id),
      },
      index: {
        write: async (entries) => {
          if (failures-- > 0) throw new Error('database is locked');
          return store.index.write(entries);
        },
      },
    };

    const recorder = await RolloutRecorder.resume({ path: zst!, store: flaky, clock });
    expect((await store.threads.get(LEGACY))?.rolloutPath).toBe(zst);
    await recorder.record([
      { type: 'event_msg', payload: { type: 'agent_message', message: 'Still here.' } },
    ]);
    await recorder.close();
    const extracted = extractRolloutMetadata(plain, { defaultProvider: 'openai' }).metadata;
    expect(await store.threads.get(LEGACY)).toEqual(extracted);
    expect(extracted.rolloutPath).toBe(plain);
  });

  it('resume refuses a compressed paginated rollout of the lived-in home, changing nothing on disk', async () => {
    const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
    const zst = await rolloutOf(home, LIVED_IN);
    expect(zst.endsWith('.jsonl.zst')).toBe(true);
    const bytes = readFileSync(zst);
    const mtimeMs = statSync(zst).mtimeMs;

    const error = await RolloutRecorder.resume({ path: zst, clock: new ManualClock(T0) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RolloutFileError);
    expect(error).toMatchObject({ code: ErrorCode.RolloutInvalid, path: zst });
    expect((error as Error).message).toContain('paginated');
    expect(readFileSync(zst).equals(bytes)).toBe(true);
    expect(statSync(zst).mtimeMs).toBe(mtimeMs);
    expect(existsSync(zst.slice(0, -'.zst'.length))).toBe(false);
    expect(temporaryFiles(dirname(zst))).toEqual([]);
  });

  it('resume of a damaged .zst fails with the typed error and leaves it as it was', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const plain = await rolloutOf(home, LEGACY);
    const bytes = readFileSync(plain);
    const zst = `${plain}.zst`;
    // The head (first frame) is sound; the second frame is cut short.
    const half = Math.floor(bytes.length / 2);
    const damaged = Buffer.concat([
      zstdCompress(bytes.subarray(0, half)),
      zstdCompress(bytes.subarray(half)).subarray(0, 40),
    ]);
    writeFileSync(zst, damaged);
    rmSync(plain);

    await expect(
      RolloutRecorder.resume({ path: zst, clock: new ManualClock(T0) }),
    ).rejects.toMatchObject({ code: ErrorCode.RolloutUnreadable, path: zst });
    expect(readFileSync(zst).equals(damaged)).toBe(true);
    expect(existsSync(plain)).toBe(false);
    expect(temporaryFiles(dirname(plain))).toEqual([]);
  });

  it('fork from a compressed parent of the lived-in home materializes the parent as Codex does, then forks it', async () => {
    const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
    const zst = await rolloutOf(home, LIVED_IN);
    const plain = zst.slice(0, -'.zst'.length);
    const decompressed = decompress(readFileSync(zst));
    const mtimeMs = statSync(zst).mtimeMs;
    const clock = new ManualClock(T0);
    const store = await indexedStore(home, clock);
    expect((await store.threads.get(LIVED_IN))?.rolloutPath).toBe(zst);
    const parentLines = await lines(zst);

    const fork = await RolloutRecorder.fork({
      home,
      parentPath: zst,
      threadId: FORK,
      originator: 'my_agent',
      store,
      clock,
    });
    await fork.record([
      { type: 'event_msg', payload: { type: 'agent_message', message: 'Going on.' } },
    ]);
    await fork.close();

    // The parent: its plain file byte for byte, its mtime, no .zst; its row follows.
    expect(existsSync(zst)).toBe(false);
    expect(readFileSync(plain).equals(decompressed)).toBe(true);
    expect(Math.round(statSync(plain).mtimeMs)).toBe(Math.round(mtimeMs));
    expect((await store.threads.get(LIVED_IN))?.rolloutPath).toBe(plain);
    expect(temporaryFiles(dirname(plain))).toEqual([]);

    // The fork: its own session_meta naming the parent, then the parent's legacy lines.
    const forkLines = await lines(fork.path);
    expect(forkLines[0]?.payload).toMatchObject({ id: FORK, forked_from_id: LIVED_IN });
    const legacy = new Set(['session_meta', 'response_item', 'event_msg', 'turn_context']);
    expect(forkLines.slice(1, -1).map((line) => [line.type, line.payload])).toEqual(
      parentLines.filter((line) => legacy.has(line.type)).map((line) => [line.type, line.payload]),
    );
    expect(forkLines.at(-1)?.payload).toEqual({ type: 'agent_message', message: 'Going on.' });
    expect((await store.threads.get(FORK))?.rolloutPath).toBe(fork.path);

    // Both are listed from the store, the parent at its plain path.
    const page = await listThreads({ home, store, pageSize: 100 });
    expect(page.items.find((item) => item.id === LIVED_IN)?.rolloutPath).toBe(plain);
    expect(page.items.find((item) => item.id === FORK)?.rolloutPath).toBe(fork.path);
  });

  it('fork refuses a compressed parent that names no thread without materializing it', async () => {
    const home = temp.make('home');
    const zst = join(home, 'sessions', 'rollout-2026-11-21T05-44-05-nameless.jsonl.zst');
    mkdirSync(dirname(zst), { recursive: true });
    const compressed = zstdCompress(
      Buffer.from(
        '{"timestamp":"t","type":"event_msg","payload":{"type":"agent_message","message":"x"}}\n',
      ),
    );
    writeFileSync(zst, compressed);
    await expect(
      RolloutRecorder.fork({ home, parentPath: zst, clock: new ManualClock(T0) }),
    ).rejects.toMatchObject({ code: ErrorCode.RolloutInvalid, path: zst });
    expect(readFileSync(zst).equals(compressed)).toBe(true);
    expect(readdirSync(dirname(zst))).toEqual(['rollout-2026-11-21T05-44-05-nameless.jsonl.zst']);
  });
});
