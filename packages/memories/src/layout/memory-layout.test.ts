import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findUndocumentedExports, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { memoriesRoot, memoryLayout, migrateLegacyUserMemory } from './memory-layout.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function put(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Every file under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('memory layout', () => {
  it('puts the shared root under the home', () => {
    expect(memoriesRoot('/home/me/.codex')).toBe('/home/me/.codex/memories');
    expect(memoryLayout({ home: '/home/me/.codex' })).toEqual({
      root: '/home/me/.codex/memories',
      memoryFile: '/home/me/.codex/memories/MEMORY.md',
      memorySummaryFile: '/home/me/.codex/memories/memory_summary.md',
      skillsDir: '/home/me/.codex/memories/skills',
      rolloutSummariesDir: '/home/me/.codex/memories/rollout_summaries',
      rawMemoriesFile: '/home/me/.codex/memories/raw_memories.md',
    });
  });

  it('takes a configured root over the home', () => {
    const layout = memoryLayout({ home: '/home/me/.codex', root: '/srv/team/memories' });
    expect(layout.root).toBe('/srv/team/memories');
    expect(layout.rawMemoriesFile).toBe('/srv/team/memories/raw_memories.md');
    expect(() => memoryLayout({})).toThrow(TypeError);
  });
});

describe('migrateLegacyUserMemory', () => {
  it('copies the legacy user memories into an empty shared root', async () => {
    const home = temp.make('home');
    const legacy = join(home, 'memories', 'user', 'memory');
    put(join(legacy, 'rollout_summaries', 'thread.md'), 'summary');
    put(join(legacy, 'raw_memories.md'), 'raw');
    put(join(legacy, 'skills', 'deploy', 'SKILL.md'), 'skill');

    const result = await migrateLegacyUserMemory({ home });
    expect(result).toEqual({
      status: 'migrated',
      copied: ['raw_memories.md', 'rollout_summaries/thread.md', 'skills/deploy/SKILL.md'],
      skipped: [],
    });
    const root = join(home, 'memories');
    expect(readFileSync(join(root, 'rollout_summaries', 'thread.md'), 'utf8')).toBe('summary');
    expect(readFileSync(join(root, 'raw_memories.md'), 'utf8')).toBe('raw');
    expect(readFileSync(join(root, 'skills', 'deploy', 'SKILL.md'), 'utf8')).toBe('skill');
    // The legacy tree stays as it was; no temporary files are left.
    expect(tree(legacy)).toEqual([
      'raw_memories.md',
      'rollout_summaries/thread.md',
      'skills/deploy/SKILL.md',
    ]);
    expect(tree(root).filter((path) => !path.startsWith('user/'))).toEqual([
      'raw_memories.md',
      'rollout_summaries/thread.md',
      'skills/deploy/SKILL.md',
    ]);
  });

  it('is idempotent', async () => {
    const home = temp.make('home');
    put(join(home, 'memories', 'user', 'memory', 'MEMORY.md'), 'registry');
    await migrateLegacyUserMemory({ home });
    writeFileSync(join(home, 'memories', 'MEMORY.md'), 'edited since');
    const again = await migrateLegacyUserMemory({ home });
    expect(again).toEqual({ status: 'root-has-memories', copied: [], skipped: [] });
    expect(readFileSync(join(home, 'memories', 'MEMORY.md'), 'utf8')).toBe('edited since');
  });

  it('does nothing when the shared root already has memories', async () => {
    for (const existing of [
      'MEMORY.md',
      'raw_memories.md',
      'memory_summary.md',
      'consolidated.md',
      'skills/',
      'rollout_summaries/',
    ]) {
      const home = temp.make('home');
      put(join(home, 'memories', 'user', 'memory', 'raw_memories.md'), 'legacy raw');
      if (existing.endsWith('/')) mkdirSync(join(home, 'memories', existing), { recursive: true });
      else put(join(home, 'memories', existing), 'current');
      const result = await migrateLegacyUserMemory({ home });
      expect(result.status).toBe('root-has-memories');
      expect(existsSync(join(home, 'memories', 'raw_memories.md'))).toBe(
        existing === 'raw_memories.md',
      );
    }
  });

  it('does nothing without a legacy folder', async () => {
    const home = temp.make('home');
    expect(await migrateLegacyUserMemory({ home })).toEqual({
      status: 'no-legacy',
      copied: [],
      skipped: [],
    });
    expect(existsSync(join(home, 'memories'))).toBe(false);
  });

  it('never overwrites, leaves other old buckets alone and does not follow links', async () => {
    const home = temp.make('home');
    const legacy = join(home, 'memories', 'user', 'memory');
    put(join(legacy, 'notes.md'), 'legacy notes');
    put(join(legacy, 'raw_memories.md'), 'raw');
    put(join(home, 'memories', 'notes.md'), 'mine');
    const bucket = join(home, 'memories', '0123456789abcdef', 'memory');
    put(join(bucket, 'raw_memories.md'), 'per-cwd');
    const outside = join(temp.make('outside'), 'secret.txt');
    put(outside, 'do not copy');
    symlinkSync(outside, join(legacy, 'linked.md'));

    const result = await migrateLegacyUserMemory({ home });
    expect(result).toEqual({
      status: 'migrated',
      copied: ['raw_memories.md'],
      skipped: ['notes.md'],
    });
    expect(readFileSync(join(home, 'memories', 'notes.md'), 'utf8')).toBe('mine');
    expect(existsSync(join(home, 'memories', 'linked.md'))).toBe(false);
    expect(readFileSync(join(bucket, 'raw_memories.md'), 'utf8')).toBe('per-cwd');
  });

  it('reports when every legacy file is already in the root', async () => {
    const home = temp.make('home');
    put(join(home, 'memories', 'user', 'memory', 'notes.md'), 'legacy');
    expect((await migrateLegacyUserMemory({ home })).status).toBe('migrated');
    expect(await migrateLegacyUserMemory({ home })).toEqual({
      status: 'nothing-to-copy',
      copied: [],
      skipped: ['notes.md'],
    });
  });

  it('fills a configured root', async () => {
    const home = temp.make('home');
    put(join(home, 'memories', 'user', 'memory', 'MEMORY.md'), 'registry');
    const root = join(temp.make('shared'), 'memories');
    const result = await migrateLegacyUserMemory({ home, root });
    expect(result.copied).toEqual(['MEMORY.md']);
    expect(readFileSync(join(root, 'MEMORY.md'), 'utf8')).toBe('registry');
  });
});

describe('API docs', () => {
  it('documents every export with an example', async () => {
    const path = fileURLToPath(new URL('./memory-layout.ts', import.meta.url));
    expect(findUndocumentedExports(path)).toEqual([]);
  });
});
