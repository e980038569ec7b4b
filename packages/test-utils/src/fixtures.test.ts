import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  CODEX_FIXTURE_VERSIONS,
  codexFixtureDir,
  copyCodexHome,
  loadExpectedThreads,
} from './fixtures.js';
import { tempDirs } from './temp-dirs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('Codex fixture homes', () => {
  it.each(CODEX_FIXTURE_VERSIONS)(
    '%s: copies the home and restores every rollout mtime',
    (version) => {
      const home = copyCodexHome(version, temp.make('home'));
      const mtimes = JSON.parse(
        readFileSync(join(codexFixtureDir(version), 'mtimes.json'), 'utf8'),
      ) as Record<string, { mtime_ms: number }>;
      expect(Object.keys(mtimes).length).toBeGreaterThan(10);
      for (const [relative, { mtime_ms }] of Object.entries(mtimes)) {
        expect(Math.round(statSync(join(home, relative)).mtimeMs)).toBe(mtime_ms);
      }
      expect(readdirSync(home).sort()).toEqual([
        'archived_sessions',
        'session_index.jsonl',
        'sessions',
      ]);
    },
  );

  it('loads Codex’s own thread rows, live and backfilled', () => {
    expect(loadExpectedThreads('v0.100.0')).toHaveLength(12);
    expect(loadExpectedThreads('v0.169.0', 'backfill')).toHaveLength(14);
  });
});

describe('temporary directories', () => {
  it('removes what it made', () => {
    const dirs = tempDirs();
    const a = dirs.make('a');
    dirs.cleanup();
    expect(() => statSync(a)).toThrowError(/ENOENT/);
  });
});
