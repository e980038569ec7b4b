import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { openStateStore } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { reconcile } from '../reconcile/reconcile.js';
import { collectRollouts } from './collect-rollouts.js';
import { runBackfill } from './run-backfill.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const OUTSIDE_ID = '01a1fca2-0000-7000-8000-00000000abcd';
const OUTSIDE_NAME = `rollout-2026-11-22T00-00-00-${OUTSIDE_ID}.jsonl`;

/**
 * A valid rollout outside the home, and links to it from inside the home: a file link in a day
 * folder of `sessions/`, one in `archived_sessions/`, and a linked day folder holding it.
 */
function homeWithLinksOut(): { home: string; regular: string[]; outside: string } {
  const home = temp.make('home');
  const corpus = generateCorpus({ home, count: 2, seed: 3, archivedShare: 0 });
  const elsewhere = temp.make('elsewhere');
  const outside = join(elsewhere, 'day', OUTSIDE_NAME);
  mkdirSync(dirname(outside), { recursive: true });
  writeFileSync(
    outside,
    `${JSON.stringify({
      timestamp: '2026-11-22T00:00:00.000Z',
      type: 'session_meta',
      payload: { id: OUTSIDE_ID, timestamp: '2026-11-22T00:00:00.000Z', cwd: '/secret' },
    })}\n`,
  );
  const day = join(home, 'sessions', '2026', '11', '22');
  mkdirSync(day, { recursive: true });
  symlinkSync(outside, join(day, OUTSIDE_NAME));
  mkdirSync(join(home, 'archived_sessions'), { recursive: true });
  symlinkSync(outside, join(home, 'archived_sessions', OUTSIDE_NAME));
  symlinkSync(dirname(outside), join(home, 'sessions', '2026', '11', '23'));
  return { home, regular: corpus.files.map((f) => f.path).sort(), outside };
}

describe('collectRollouts', () => {
  it('collects regular files only, as Codex does: no link to a file or folder is followed', async () => {
    const { home, regular } = homeWithLinksOut();
    const { files, problems } = await collectRollouts(home);
    expect(files.map((f) => f.path).sort()).toEqual(regular);
    expect(problems).toEqual([]);
  });

  it('so the backfill and reconcile never read, nor record, a rollout outside the home', async () => {
    const { home, regular } = homeWithLinksOut();
    const store = await openStateStore({ home });
    try {
      const result = await runBackfill({ store, workers: 0 });
      expect(result).toMatchObject({ outcome: 'complete', scanned: 2, upserted: 2, failed: 0 });
      expect(await store.threads.get(OUTSIDE_ID)).toBeUndefined();
      expect(await store.threads.count()).toBe(regular.length);
      const report = await reconcile({ store, workers: 0, repair: true });
      expect(report.findings).toEqual([]);
      expect(await store.threads.get(OUTSIDE_ID)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
