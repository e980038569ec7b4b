import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import {
  type LogRecord,
  type StateStore,
  buildThreadMetadata,
  createLogger,
  openStateStore,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { findRolloutFileById } from './find-rollout-file.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const NAME = `rollout-2026-11-21T05-44-05-${ID}.jsonl`;
const CONTENT = `{"timestamp":"2026-11-21T05:44:05.123Z","type":"session_meta","payload":{"id":"${ID}"}}\n`;

function writeFile(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, CONTENT);
  return path;
}

function captureLogger() {
  const records: LogRecord[] = [];
  return { records, logger: createLogger((r) => records.push(r), { minLevel: 'trace' }) };
}

async function storePointingTo(home: string, rolloutPath: string): Promise<StateStore> {
  const store = await openStateStore({ home });
  stores.push(store);
  await store.threads.upsert(
    buildThreadMetadata(
      { id: ID, rolloutPath, createdAt: 1_795_239_845, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
  );
  return store;
}

describe('findRolloutFileById with a store, and symbolic links', () => {
  it('does not take a symbolic link named like the rollout, only a regular file', async () => {
    const home = temp.make('home');
    const outside = writeFile(join(temp.make('elsewhere'), NAME));
    const link = join(home, 'sessions', '2026', '11', '22', NAME);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(outside, link);
    const { logger } = captureLogger();

    expect(await findRolloutFileById({ home, id: ID, archived: false, logger })).toBe(undefined);
    const real = writeFile(join(home, 'sessions', '2026', '11', '21', NAME));
    expect(await findRolloutFileById({ home, id: ID, archived: false, logger })).toBe(real);
  });

  it('ignores a stored path that is a link out of the home, or lies out of it, and searches', async () => {
    const home = temp.make('home');
    const elsewhere = temp.make('elsewhere');
    const outside = writeFile(join(elsewhere, '2026', NAME));
    const link = join(home, 'sessions', '2026', '11', '22', NAME);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(outside, link);
    // A day folder that is a link out of the home: the file in it is regular, but not ours.
    symlinkSync(join(elsewhere, '2026'), join(home, 'sessions', '2026', '11', '23'));
    const { records, logger } = captureLogger();

    for (const stored of [link, join(home, 'sessions', '2026', '11', '23', NAME), outside]) {
      const store = await storePointingTo(home, stored);
      expect(await findRolloutFileById({ home, id: ID, archived: false, store, logger })).toBe(
        undefined,
      );
    }
    const aboutStored = records.filter((r) => r.message.startsWith('store holds'));
    expect(aboutStored.map((r) => r.fields.path)).toEqual([
      link,
      join(home, 'sessions', '2026', '11', '23', NAME),
      outside,
    ]);

    const real = writeFile(join(home, 'sessions', '2026', '11', '21', NAME));
    const store = await storePointingTo(home, link);
    expect(await findRolloutFileById({ home, id: ID, archived: false, store, logger })).toBe(real);
  });

  it('takes a stored path that is a regular file of the folder asked for', async () => {
    const home = temp.make('home');
    const stored = writeFile(join(home, 'archived_sessions', NAME));
    const store = await storePointingTo(home, stored);
    const { logger } = captureLogger();
    expect(await findRolloutFileById({ home, id: ID, archived: true, store, logger })).toBe(stored);
  });
});
