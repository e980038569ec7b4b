import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { copyCodexHome, loadExpectedThreads, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { findRolloutFileById } from './find-rollout-file.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ID = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const OTHER = '0199a213-81c0-7800-8aa1-bbab2a035a54';

function touch(home: string, ...parts: string[]): string {
  const path = join(home, ...parts);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
  return path;
}

describe('findRolloutFileById', () => {
  it('finds every thread of the v0.100.0 fixture home, active and archived', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const rows = loadExpectedThreads('v0.100.0');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const archived = row.archived === 1;
      expect(await findRolloutFileById({ home, id: row.id, archived })).toBe(
        join(home, row.rollout_path),
      );
      expect(await findRolloutFileById({ home, id: row.id, archived: !archived })).toBeUndefined();
    }
  });

  it('matches the id exactly, in any case, at any depth under sessions', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', '2025', '01', '01', `rollout-2025-01-01T00-00-00-${OTHER}.jsonl`);
    touch(home, 'sessions', '2025', '01', '01', `rollout-2025-01-01T00-00-00-${ID}.jsonl.bak`);
    touch(home, 'sessions', '2025', '01', '01', `not-rollout-${ID}.jsonl`);
    touch(home, 'sessions', '2025', '01', '01', `rollout-2025-01-01T00-00-00-x${ID}.jsonl`);
    expect(await findRolloutFileById({ home, id: ID })).toBeUndefined();
    const path = touch(home, 'sessions', 'extra', `rollout-2025-01-02T00-00-00-${ID}.jsonl`);
    expect(await findRolloutFileById({ home, id: ID.toUpperCase() })).toBe(path);
  });

  it('looks only directly in archived_sessions when archived', async () => {
    const home = temp.make('home');
    touch(home, 'archived_sessions', 'nested', `rollout-2025-01-01T00-00-00-${ID}.jsonl`);
    expect(await findRolloutFileById({ home, id: ID, archived: true })).toBeUndefined();
    const path = touch(home, 'archived_sessions', `rollout-2025-01-01T00-00-00-${ID}.jsonl`);
    expect(await findRolloutFileById({ home, id: ID, archived: true })).toBe(path);
    expect(await findRolloutFileById({ home, id: ID })).toBeUndefined();
  });

  it('ignores folders named like a rollout', async () => {
    const home = temp.make('home');
    mkdirSync(join(home, 'sessions', `rollout-2025-01-01T00-00-00-${ID}.jsonl`), {
      recursive: true,
    });
    expect(await findRolloutFileById({ home, id: ID })).toBeUndefined();
  });

  it('returns undefined for an invalid id or a home without sessions, without throwing', async () => {
    const home = temp.make('home');
    touch(home, 'sessions', `rollout-2025-01-01T00-00-00-${ID}.jsonl`);
    for (const id of ['', 'not-a-uuid', '../../etc/passwd', `${ID}.jsonl`, '*']) {
      expect(await findRolloutFileById({ home, id })).toBeUndefined();
    }
    expect(await findRolloutFileById({ home: join(home, 'missing'), id: ID })).toBeUndefined();
    expect(
      await findRolloutFileById({ home: join(home, 'missing'), id: ID, archived: true }),
    ).toBeUndefined();
  });
});
