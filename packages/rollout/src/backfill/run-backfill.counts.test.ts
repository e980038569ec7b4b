import { mkdirSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { join } from 'node:path';

import { ErrorCode, openStateStore } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { type BackfillProgress, runBackfill } from './run-backfill.js';

// Running as root ignores permissions: a folder named `locked` cannot be listed, by injection.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const readdir = (async (path: string, ...rest: unknown[]) => {
    if (path.toString().endsWith('locked')) {
      throw Object.assign(new Error(`EACCES: permission denied, scandir '${path.toString()}'`), {
        code: 'EACCES',
      });
    }
    return (actual.readdir as (...args: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof actual.readdir;
  return { ...actual, readdir, default: { ...actual, readdir } };
});

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('backfill counts', () => {
  it('counts a folder it cannot list in failed, as it lists it in failures', async () => {
    const home = temp.make('home');
    generateCorpus({ home, count: 2, seed: 30, archivedShare: 0 });
    const locked = join(home, 'sessions', '2026', 'locked');
    mkdirSync(locked, { recursive: true });
    const store = await openStateStore({ home });
    try {
      const progress: BackfillProgress[] = [];
      const result = await runBackfill({ store, workers: 0, onProgress: (p) => progress.push(p) });
      expect(result).toMatchObject({ outcome: 'complete', scanned: 2, upserted: 2, failed: 1 });
      expect(result.failures).toEqual([
        {
          kind: 'folder',
          path: locked,
          code: ErrorCode.RolloutUnreadable,
          message: `${locked}: cannot list the folder: permission denied`,
        },
      ]);
      expect(result.failed).toBe(result.failures.length);
      expect(progress.map((p) => p.failed)).toEqual([1, 1]);
    } finally {
      await store.close();
    }
  });
});
