import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { memoryFilesStatus } from '../layout/memory-files-status.js';
import { ConsolidationOutputs } from './consolidation-outputs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function root(): string {
  const dir = temp.make('memories');
  writeFileSync(join(dir, 'MEMORY.md'), '# Memory\n');
  writeFileSync(join(dir, 'memory_summary.md'), 'summary\n');
  writeFileSync(join(dir, 'raw_memories.md'), '# Raw Memories\n');
  mkdirSync(join(dir, 'skills', 'deploy', 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'skills', 'deploy', 'SKILL.md'), '# Deploy\n');
  writeFileSync(join(dir, 'skills', 'deploy', 'scripts', 'run.sh'), 'echo hi\n');
  mkdirSync(join(dir, 'rollout_summaries'));
  return dir;
}

describe('ConsolidationOutputs', () => {
  it('puts the outputs back as they were: rewritten, created and removed files alike', async () => {
    const dir = root();
    const outside = temp.make('outside');
    writeFileSync(join(outside, 'secret'), 'not ours\n');
    symlinkSync(join(outside, 'secret'), join(dir, 'skills', 'deploy', 'link'));
    const before = await ConsolidationOutputs.read(dir);
    expect(before.paths).toEqual([
      'MEMORY.md',
      'memory_summary.md',
      'skills/deploy/SKILL.md',
      'skills/deploy/scripts/run.sh',
    ]);
    writeFileSync(join(dir, 'MEMORY.md'), 'x'.repeat(100));
    mkdirSync(join(dir, 'skills', 'new'));
    writeFileSync(join(dir, 'skills', 'new', 'SKILL.md'), '# New\n');
    writeFileSync(join(dir, 'skills', 'deploy', 'scripts', 'run.sh'), 'changed\n');
    await before.restore();
    expect(readFileSync(join(dir, 'MEMORY.md'), 'utf8')).toBe('# Memory\n');
    expect(readFileSync(join(dir, 'skills', 'deploy', 'scripts', 'run.sh'), 'utf8')).toBe(
      'echo hi\n',
    );
    expect(existsSync(join(dir, 'skills', 'new'))).toBe(false);
    // The evidence and what a link points to are not outputs: untouched.
    expect(readFileSync(join(dir, 'raw_memories.md'), 'utf8')).toBe('# Raw Memories\n');
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('not ours\n');
  });

  it('sets the outputs aside, and the status counts what is left', async () => {
    const dir = root();
    expect(await memoryFilesStatus(dir)).toEqual({
      root: dir,
      exists: true,
      memoryBytes: 9,
      summaryBytes: 8,
      rawMemoriesBytes: 15,
      rolloutSummaries: 0,
      skills: 1,
      rebuildRequested: false,
    });
    const before = await ConsolidationOutputs.read(dir);
    await before.setAside();
    expect(await memoryFilesStatus(dir)).toMatchObject({
      memoryBytes: null,
      summaryBytes: null,
      rawMemoriesBytes: 15,
      skills: 0,
    });
    await before.restore();
    expect((await memoryFilesStatus(dir)).skills).toBe(1);
    expect(await memoryFilesStatus(join(dir, 'missing'))).toMatchObject({
      exists: false,
      memoryBytes: null,
      skills: 0,
    });
  });
});
