import type * as Fs from 'node:fs';
import { type PathLike, mkdirSync, writeFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';

import { ErrorCode } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { listThreadFiles } from './file-listing.js';
import { readHeadSummary } from './head-summary.js';

// Running as root ignores file permissions, so read errors are injected instead.
const { UNREADABLE_ID, UNREADABLE_HOME, denied, isUnreadableFolder } = vi.hoisted(() => {
  const unreadableDay = /[\\/]2025[\\/]01[\\/]13$/;
  const unreadableHome = 'home-unreadable';
  return {
    UNREADABLE_ID: '00000000-0000-0000-0000-0000000000ff',
    UNREADABLE_HOME: unreadableHome,
    denied: (path: PathLike) =>
      Object.assign(new Error(`EACCES: permission denied, '${path.toString()}'`), {
        code: 'EACCES',
      }),
    isUnreadableFolder: (path: PathLike) => {
      const text = path.toString();
      return unreadableDay.test(text) || text.includes(unreadableHome);
    },
  };
});

// Folders are listed both ways (ahead on the thread pool, or synchronously when reached).
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof Fs>();
  const readdirSync = ((path: PathLike, ...rest: unknown[]) => {
    if (isUnreadableFolder(path)) throw denied(path);
    return (actual.readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof actual.readdirSync;
  return { ...actual, readdirSync, default: { ...actual, readdirSync } };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const open: typeof actual.open = async (path, ...rest) => {
    if (path.toString().endsWith(`${UNREADABLE_ID}.jsonl`)) throw denied(path);
    return actual.open(path, ...rest);
  };
  const readdir = (async (path: PathLike, ...rest: unknown[]) => {
    if (isUnreadableFolder(path)) throw denied(path);
    return (actual.readdir as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof actual.readdir;
  return { ...actual, open, readdir, default: { ...actual, open, readdir } };
});

const temp = tempDirs();
afterEach(() => temp.cleanup());

const u = (n: number) => `00000000-0000-0000-0000-${n.toString(16).padStart(12, '0')}`;

function writeSession(home: string, day: string, id: string): string {
  const dir = join(home, 'sessions', '2025', '01', day);
  mkdirSync(dir, { recursive: true });
  const ts = `2025-01-${day}T10-00-00`;
  const path = join(dir, `rollout-${ts}-${id}.jsonl`);
  const lines = [
    { timestamp: ts, type: 'session_meta', payload: { id, timestamp: ts, cwd: '.' } },
    { timestamp: ts, type: 'event_msg', payload: { type: 'user_message', message: 'hi' } },
  ];
  writeFileSync(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
  return path;
}

describe('listThreadFiles with unreadable files and folders', () => {
  it('skips a rollout it cannot read, without failing the page', async () => {
    const home = temp.make('home');
    writeSession(home, '12', u(3));
    const unreadable = writeSession(home, '11', UNREADABLE_ID);
    writeSession(home, '10', u(1));
    await expect(readHeadSummary(unreadable)).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: unreadable,
      message: `${unreadable}: permission denied`,
    });
    for (const sortKey of ['created', 'updated'] as const) {
      const page = await listThreadFiles({
        home,
        pageSize: 10,
        sortKey,
        defaultProvider: 'openai',
      });
      expect(page.items.map((item) => item.id)).toEqual([u(3), u(1)]);
      expect(page.numScannedFiles).toBe(3);
    }
  });

  it('skips a day folder it cannot read', async () => {
    const home = temp.make('home');
    writeSession(home, '14', u(4));
    writeSession(home, '13', u(3));
    writeSession(home, '12', u(2));
    const page = await listThreadFiles({
      home,
      pageSize: 10,
      sortKey: 'created',
      defaultProvider: 'openai',
    });
    expect(page.items.map((item) => item.id)).toEqual([u(4), u(2)]);
  });

  it('reports a sessions folder it cannot list', async () => {
    const home = join(temp.make('home'), UNREADABLE_HOME);
    mkdirSync(join(home, 'sessions'), { recursive: true });
    const listing = listThreadFiles({
      home,
      pageSize: 10,
      sortKey: 'created',
      defaultProvider: 'openai',
    });
    await expect(listing).rejects.toBeInstanceOf(RolloutFileError);
    await expect(listing).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: join(home, 'sessions'),
    });
  });
});
