import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { sweepTemporaryFiles, temporaryPathFor } from './temporary-files.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function plant(root: string, path: string, content = 'x'): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

describe('temporaryPathFor', () => {
  it('names a hidden file beside the final one, unique per call', () => {
    const final = join('memories', 'skills', 'deploy', 'SKILL.md');
    const first = temporaryPathFor(final);
    expect(dirname(first)).toBe(dirname(final));
    expect(basename(first)).toMatch(/^\.SKILL\.md\.[0-9a-f]{12}\.tmp$/);
    expect(temporaryPathFor(final)).not.toBe(first);
  });
});

describe('sweepTemporaryFiles', () => {
  it('removes the temporary files of killed writers in the root, rollout_summaries/ and skills/', async () => {
    const root = temp.make('memories');
    const left = [
      '.MEMORY.md.0123456789ab.tmp',
      '.raw_memories.md.a1b2c3d4e5f6.tmp',
      'rollout_summaries/.01a1fca2-1d67-7971-8727-3cd36fd8d76f.md.ffffffffffff.tmp',
      'skills/deploy/.SKILL.md.00aa11bb22cc.tmp',
      'skills/deploy/scripts/.run.sh.abcdefabcdef.tmp',
    ];
    for (const path of left) plant(root, path);
    plant(root, 'MEMORY.md', '# kept');
    plant(root, 'skills/deploy/SKILL.md', '# kept');

    expect(await sweepTemporaryFiles(root)).toEqual([...left].sort());
    for (const path of left) expect(existsSync(join(root, path)), path).toBe(false);
    expect(existsSync(join(root, 'MEMORY.md'))).toBe(true);
    expect(existsSync(join(root, 'skills/deploy/SKILL.md'))).toBe(true);
    expect(await sweepTemporaryFiles(root)).toEqual([]);
  });

  it('leaves every file it did not name: other names, other folders, symbolic links', async () => {
    const root = temp.make('memories');
    const outside = temp.make('outside');
    plant(outside, '.MEMORY.md.0123456789ab.tmp');
    const kept = [
      '.MEMORY.md.tmp',
      'notes.tmp',
      '.MEMORY.md.0123456789AB.tmp',
      '.MEMORY.md.0123456789a.tmp',
      '.MEMORY.md.0123456789ab.tmp.bak',
      'user/memory/.MEMORY.md.0123456789ab.tmp',
      '0f3c/memory/.raw_memories.md.0123456789ab.tmp',
      'rollout_summaries/nested/.x.md.0123456789ab.tmp',
    ];
    for (const path of kept) plant(root, path);
    // A link named like a temporary file is not ours to remove; a linked folder is not followed.
    symlinkSync(
      join(outside, '.MEMORY.md.0123456789ab.tmp'),
      join(root, '.link.md.0123456789ab.tmp'),
    );
    symlinkSync(outside, join(root, 'skills'));

    expect(await sweepTemporaryFiles(root)).toEqual([]);
    for (const path of kept) expect(existsSync(join(root, path)), path).toBe(true);
    expect(readdirSync(root)).toContain('.link.md.0123456789ab.tmp');
    expect(readdirSync(outside)).toEqual(['.MEMORY.md.0123456789ab.tmp']);
  });

  it('does nothing for a root that does not exist yet', async () => {
    expect(await sweepTemporaryFiles(join(temp.make('home'), 'memories'))).toEqual([]);
  });
});
