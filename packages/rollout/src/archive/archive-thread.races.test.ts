import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { dirname, join } from 'node:path';

import {
  ErrorCode,
  ManualClock,
  type StateStore,
  buildThreadMetadata,
  isAgentStateError,
  openStateStore,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { ArchiveRefusedError } from './archive-errors.js';
import { archiveThread, unarchiveThread } from './archive-thread.js';

// What another process (or the file system) does at the worst moment: each hook runs just before
// the real call, with its paths, and may throw (a file-system error) or change the files.
type Hook = (...paths: string[]) => void;
const hooks = vi.hoisted(() => {
  const installed: { link?: Hook; unlink?: Hook; rename?: Hook; mkdir?: Hook } = {};
  return installed;
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const hooked = <F extends (...args: never[]) => Promise<unknown>>(
    name: keyof typeof hooks,
    real: F,
  ): F =>
    (async (...args: unknown[]) => {
      hooks[name]?.(...args.filter((arg): arg is string => typeof arg === 'string'));
      return (real as unknown as (...forwarded: unknown[]) => Promise<unknown>)(...args);
    }) as unknown as F;
  const overrides = {
    link: hooked('link', actual.link),
    unlink: hooked('unlink', actual.unlink),
    rename: hooked('rename', actual.rename),
    mkdir: hooked('mkdir', actual.mkdir),
  };
  return { ...actual, ...overrides, default: { ...actual, ...overrides } };
});

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const key of Object.keys(hooks)) delete hooks[key as keyof typeof hooks];
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const NAME = `rollout-2026-11-21T05-44-05-${ID}.jsonl`;
const CONTENT = `{"timestamp":"2026-11-21T05:44:05.123Z","type":"session_meta","payload":{"id":"${ID}"}}\n`;
const NOW = Date.parse('2026-11-22T08:00:00.000Z');

function setUp(): { home: string; source: string; archived: string; clock: ManualClock } {
  const home = temp.make('home');
  const source = join(home, 'sessions', '2026', '11', '21', NAME);
  mkdirSync(dirname(source), { recursive: true });
  writeFileSync(source, CONTENT);
  utimesSync(source, new Date('2026-11-21T06:00:00Z'), new Date('2026-11-21T06:00:00Z'));
  return {
    home,
    source,
    archived: join(home, 'archived_sessions', NAME),
    clock: new ManualClock(NOW),
  };
}

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/** Runs `hook` once, at the first call whose last path is `target`. */
function once(target: string, hook: Hook): Hook {
  let done = false;
  return (...paths) => {
    if (done || paths[paths.length - 1] !== target) return;
    done = true;
    hook(...paths);
  };
}

async function storeWithThread(home: string, clock: ManualClock, rolloutPath: string) {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  await store.threads.upsert(
    buildThreadMetadata(
      { id: ID, rolloutPath, createdAt: Date.parse('2026-11-21T05:44:05Z') / 1000, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
  );
  return store;
}

describe('archiveThread never overwrites a file it did not create', () => {
  it('refuses when another process creates the destination just before the move', async () => {
    const { home, source, archived, clock } = setUp();
    const store = await storeWithThread(home, clock, source);
    const intruder = once(archived, () => writeFileSync(archived, 'written by Codex\n'));
    hooks.link = intruder;
    hooks.rename = intruder;

    const attempt = archiveThread({ home, threadId: ID, store, clock });
    await expect(attempt).rejects.toBeInstanceOf(ArchiveRefusedError);
    await expect(attempt).rejects.toMatchObject({ reason: 'destination-exists', path: archived });
    expect(readFileSync(archived, 'utf8')).toBe('written by Codex\n');
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
    expect((await store.threads.get(ID))?.rolloutPath).toBe(source);
  });

  it('refuses the same way when unarchiving into a dated folder', async () => {
    const { home, source, archived, clock } = setUp();
    mkdirSync(dirname(archived), { recursive: true });
    renameSync(source, archived);
    const intruder = once(source, () => writeFileSync(source, 'a new session\n'));
    hooks.link = intruder;
    hooks.rename = intruder;

    await expect(unarchiveThread({ home, threadId: ID, clock })).rejects.toMatchObject({
      reason: 'destination-exists',
      path: source,
    });
    expect(readFileSync(source, 'utf8')).toBe('a new session\n');
    expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
  });

  it('falls back to a checked rename where hard links are not supported', async () => {
    const { home, source, archived, clock } = setUp();
    hooks.link = (from) => {
      throw errno('EPERM', 'link', from);
    };
    const move = await archiveThread({ home, threadId: ID, clock });
    expect(move).toMatchObject({ from: source, to: archived });
    expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
    expect(existsSync(source)).toBe(false);
  });
});

describe('archiveThread racing another archive of the same thread', () => {
  it('reports the thread as already archived when the other process moved it first', async () => {
    const { home, source, archived, clock } = setUp();
    const rival = once(archived, () => renameSync(source, archived));
    hooks.link = rival;
    hooks.rename = rival;

    const attempt = archiveThread({ home, threadId: ID, clock });
    await expect(attempt).rejects.toBeInstanceOf(ArchiveRefusedError);
    await expect(attempt).rejects.toMatchObject({
      reason: 'already-archived',
      code: ErrorCode.RolloutInvalid,
      path: archived,
    });
    expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
  });

  it('two archives at once: one moves the file, the other gets a typed error', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { home, archived, clock } = setUp();
      const settled = await Promise.allSettled([
        archiveThread({ home, threadId: ID, clock }),
        archiveThread({ home, threadId: ID, clock }),
      ]);
      const rejected = settled.filter((s) => s.status === 'rejected');
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      const reason: unknown = rejected[0]!.reason;
      expect(isAgentStateError(reason)).toBe(true);
      expect(reason).toMatchObject({ reason: 'already-archived' });
      expect(readFileSync(archived, 'utf8')).toBe(CONTENT);
      expect(readdirSync(join(home, 'sessions', '2026', '11', '21'))).toEqual([]);
    }
  });
});

describe('archiveThread file-system errors', () => {
  it('names the rollout when the move crosses file systems (EXDEV), moving nothing', async () => {
    const { home, source, archived, clock } = setUp();
    hooks.link = (from) => {
      throw errno('EXDEV', 'link', from);
    };
    hooks.rename = (from) => {
      throw errno('EXDEV', 'rename', from);
    };
    const attempt = archiveThread({ home, threadId: ID, clock });
    await expect(attempt).rejects.toBeInstanceOf(RolloutFileError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: source,
      message: `${source}: cannot move it to ${archived}: it is on another file system`,
    });
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
    expect(existsSync(archived)).toBe(false);
  });

  it('names the rollout when the destination folder is not writable (EACCES)', async () => {
    const { home, source, archived, clock } = setUp();
    hooks.link = (from) => {
      throw errno('EACCES', 'link', from);
    };
    await expect(archiveThread({ home, threadId: ID, clock })).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: source,
      message: `${source}: cannot move it to ${archived}: permission denied`,
    });
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
  });

  it('names the folder it cannot create', async () => {
    const { home, source, clock } = setUp();
    const folder = join(home, 'archived_sessions');
    hooks.mkdir = (path) => {
      if (path === folder) throw errno('EACCES', 'mkdir', path);
    };
    const attempt = archiveThread({ home, threadId: ID, clock });
    await expect(attempt).rejects.toBeInstanceOf(RolloutFileError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: folder,
      message: `${folder}: cannot create the folder: permission denied`,
    });
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
  });

  it('undoes the new link when the old name cannot be removed, leaving the rollout in place', async () => {
    const { home, source, archived, clock } = setUp();
    hooks.unlink = (path) => {
      if (path === source) throw errno('EACCES', 'unlink', path);
    };
    await expect(archiveThread({ home, threadId: ID, clock })).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: source,
      message: `${source}: cannot move it to ${archived}: permission denied`,
    });
    expect(readFileSync(source, 'utf8')).toBe(CONTENT);
    expect(existsSync(archived)).toBe(false);
  });
});
