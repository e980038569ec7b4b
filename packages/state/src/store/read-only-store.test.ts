import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { errorCategory } from '@agent-state/errors';

import { ErrorCode } from '../errors.js';
import { type ThreadMetadata, buildThreadMetadata } from '../threads/thread-metadata.js';
import { STATE_MIGRATIONS } from './state-migrations.js';
import { openStateStore } from './state-store.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ID = '01a1fca2-4d0c-7883-b67e-ad58b7675481';

function thread(): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      { id: ID, rolloutPath: '/r.jsonl', createdAt: 1_800_000_000, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
    title: 'Read me',
  };
}

/** Every file of the home with its size and mtime: what a read-only open must leave alone. */
function snapshot(home: string): Record<string, [number, number]> {
  return Object.fromEntries(
    readdirSync(home).map((name) => {
      const stat = statSync(join(home, name));
      return [name, [stat.size, stat.mtimeMs]];
    }),
  );
}

describe('openStateStore({ readOnly: true })', () => {
  it('reads an existing store and writes nothing to the home; every write is refused', async () => {
    const home = temp.make('home');
    const writer = await openStateStore({ home });
    await writer.threads.upsert(thread());
    await writer.close();
    const before = snapshot(home);

    const reader = await openStateStore({ home, readOnly: true });
    try {
      expect((await reader.threads.get(ID))?.title).toBe('Read me');
      const refused = await reader.threads.upsert({ ...thread(), title: 'changed' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(errorCategory(refused)).toBe('store');
    } finally {
      await reader.close();
    }
    // SQLite may add the empty `-wal` and `-shm` companions a reader of a WAL database needs.
    const after = snapshot(home);
    expect(after).toMatchObject(before);
    for (const name of Object.keys(after).filter((name) => !(name in before))) {
      expect(name).toMatch(/^agent_state_1\.sqlite-(?:wal|shm)$/);
    }
    expect(after['agent_state_1.sqlite-wal']?.[0] ?? 0).toBe(0);
  });

  it('sees what a writer in the same process commits', async () => {
    const home = temp.make('home');
    const writer = await openStateStore({ home });
    const reader = await openStateStore({ home, readOnly: true });
    try {
      await writer.threads.upsert(thread());
      expect((await reader.threads.get(ID))?.title).toBe('Read me');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a home without a store: NOT_FOUND naming the file and the backfill; nothing is created', async () => {
    const home = temp.make('home');
    await expect(openStateStore({ home, readOnly: true })).rejects.toThrow(
      /agent_state_1\.sqlite.*agent-state backfill.*not found/,
    );
    expect(readdirSync(home)).toEqual([]);
  });

  it('a store of an older schema is refused with how to migrate it, and left as it was', async () => {
    const home = temp.make('home');
    const writer = await openStateStore({ home });
    const path = writer.path;
    await writer.close();
    const db = new Database(path);
    db.pragma(`user_version = ${Math.max(...STATE_MIGRATIONS.map((m) => m.version)) - 1}`);
    db.close();
    await expect(openStateStore({ home, readOnly: true })).rejects.toMatchObject({
      code: ErrorCode.StoreIo,
    });
    await expect(openStateStore({ home, readOnly: true })).rejects.toThrow(/to migrate it/);
    expect(existsSync(path)).toBe(true);
  });
});
