import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { InvalidArgumentError, type Stage1Output } from '@agent-state/state';
import { findUndocumentedExports, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import {
  formatRawMemoriesFile,
  formatRolloutSummaryFile,
  rebuildPhase1Artifacts,
} from './phase1-artifacts.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const A = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const B = '01a1fca2-1e56-79a2-9955-5ffd414a49ab';
const C = '01a1fca2-2018-7240-818e-e0e7accbda04';
const D = '01a1fca2-2119-7cc1-a24c-7256e154b01c';

function output(
  threadId: string,
  sourceUpdatedAt: number,
  extra: Partial<Stage1Output> = {},
): Stage1Output {
  return {
    threadId,
    sourceUpdatedAt,
    rawMemory: `# Memory of ${threadId.slice(-4)}\n\n## Task: x\nOutcome: success\n`,
    rolloutSummary: `Summary of ${threadId.slice(-4)}.`,
    rolloutSlug: `slug_${threadId.slice(-4)}`,
    generatedAt: sourceUpdatedAt + 60,
    cwd: '/home/me/src/app',
    memoryMode: 'enabled',
    ...extra,
  };
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const summaries = (root: string) => readdirSync(join(root, 'rollout_summaries')).sort();

describe('rebuildPhase1Artifacts', () => {
  it('writes one summary file per output and the merged raw memories, in the documented formats', async () => {
    const root = temp.make('memories');
    const changes = await rebuildPhase1Artifacts({
      root,
      outputs: [output(A, 1_770_724_800), output(B, 1_770_811_200, { rolloutSlug: null, cwd: '' })],
    });
    expect(changes).toEqual({
      written: ['raw_memories.md', `rollout_summaries/${A}.md`, `rollout_summaries/${B}.md`],
      removed: [],
      unchanged: [],
    });
    expect(read(root, `rollout_summaries/${A}.md`)).toBe(
      [
        `thread_id: ${A}`,
        'updated_at: 2026-02-10T12:00:00+00:00',
        'cwd: /home/me/src/app',
        'rollout_slug: slug_d76f',
        '',
        'Summary of d76f.',
        '',
      ].join('\n'),
    );
    expect(read(root, `rollout_summaries/${B}.md`)).toBe(
      [`thread_id: ${B}`, 'updated_at: 2026-02-11T12:00:00+00:00', '', 'Summary of 49ab.', ''].join(
        '\n',
      ),
    );
    // Newest first.
    expect(read(root, 'raw_memories.md')).toBe(
      [
        '# Raw Memories',
        '',
        'Merged stage-1 raw memories (latest first):',
        '',
        `## Thread \`${B}\``,
        'updated_at: 2026-02-11T12:00:00+00:00',
        `rollout_summary_file: rollout_summaries/${B}.md`,
        '',
        '# Memory of 49ab\n\n## Task: x\nOutcome: success',
        '',
        `## Thread \`${A}\``,
        'updated_at: 2026-02-10T12:00:00+00:00',
        'cwd: /home/me/src/app',
        'rollout_slug: slug_d76f',
        `rollout_summary_file: rollout_summaries/${A}.md`,
        '',
        '# Memory of d76f\n\n## Task: x\nOutcome: success',
        '',
      ].join('\n'),
    );
  });

  it('is byte-identical and touches nothing when rebuilt from the same rows in any order', async () => {
    const root = temp.make('memories');
    const rows = [output(A, 100), output(B, 300), output(C, 300)];
    await rebuildPhase1Artifacts({ root, outputs: rows });
    const before = new Map(
      ['raw_memories.md', ...summaries(root).map((name) => `rollout_summaries/${name}`)].map(
        (path) => {
          utimesSync(join(root, path), 1_000, 1_000);
          return [path, read(root, path)];
        },
      ),
    );
    const changes = await rebuildPhase1Artifacts({ root, outputs: [...rows].reverse() });
    expect(changes.written).toEqual([]);
    expect(changes.removed).toEqual([]);
    expect(changes.unchanged).toHaveLength(4);
    for (const [path, content] of before) {
      expect(read(root, path)).toBe(content);
      expect(statSync(join(root, path)).mtimeMs).toBe(1_000_000);
    }
    // Equal times: the larger thread id first.
    const raw = read(root, 'raw_memories.md');
    expect(raw.indexOf(C)).toBeLessThan(raw.indexOf(B));
    expect(raw.indexOf(B)).toBeLessThan(raw.indexOf(A));
  });

  it('prunes stale summary files and never touches any other file', async () => {
    const root = temp.make('memories');
    await rebuildPhase1Artifacts({ root, outputs: [output(A, 100), output(B, 200)] });
    const dir = join(root, 'rollout_summaries');
    const foreign = [
      'notes.md',
      `${C}-fix_ci.md`,
      `${C.toUpperCase()}.md`,
      `${C}.txt`,
      '2026-02-10T12-00-00-abcd-slug.md',
    ];
    for (const name of foreign) writeFileSync(join(dir, name), 'not ours');
    mkdirSync(join(dir, `${D}.md`)); // a folder with a thread-file name
    writeFileSync(join(root, 'MEMORY.md'), '# registry');

    const changes = await rebuildPhase1Artifacts({ root, outputs: [output(B, 200)] });
    expect(changes.removed).toEqual([`rollout_summaries/${A}.md`]);
    expect(changes.written).toEqual(['raw_memories.md']);
    expect(summaries(root)).toEqual([...foreign, `${B}.md`, `${D}.md`].sort());
    for (const name of foreign) expect(read(root, `rollout_summaries/${name}`)).toBe('not ours');
    expect(read(root, 'MEMORY.md')).toBe('# registry');
  });

  it('redacts secrets an older version let through into the store', async () => {
    const root = temp.make('memories');
    const leaked = output(A, 1_770_724_800, {
      rawMemory: '# Deploy\nThe staging password=hunter2,hunter3 was used.',
      rolloutSummary: 'Used token: s3cr3t(pa55)word to deploy.',
    });
    await rebuildPhase1Artifacts({ root, outputs: [leaked] });
    const written = read(root, 'raw_memories.md') + read(root, `rollout_summaries/${A}.md`);
    expect(written).not.toContain('hunter2');
    expect(written).not.toContain('s3cr3t');
    expect(written).toContain('[REDACTED]');
  });

  it('writes the empty state when there are no outputs', async () => {
    const root = temp.make('memories');
    await rebuildPhase1Artifacts({ root, outputs: [output(A, 100)] });
    const changes = await rebuildPhase1Artifacts({ root, outputs: [] });
    expect(changes.removed).toEqual([`rollout_summaries/${A}.md`]);
    expect(read(root, 'raw_memories.md')).toBe('# Raw Memories\n\nNo raw memories yet.\n');
    expect(summaries(root)).toEqual([]);
  });

  it('creates the root when missing', async () => {
    const root = join(temp.make('home'), 'memories');
    await rebuildPhase1Artifacts({ root, outputs: [] });
    expect(existsSync(join(root, 'rollout_summaries'))).toBe(true);
    expect(existsSync(join(root, 'raw_memories.md'))).toBe(true);
  });

  it('validates every thread id before writing anything', async () => {
    const root = temp.make('memories');
    for (const bad of ['../../etc/passwd', `${A}/../x`, '', 'not-a-uuid']) {
      await expect(
        rebuildPhase1Artifacts({ root, outputs: [output(A, 100), output(bad, 200)] }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(readdirSync(root)).toEqual([]);
  });

  it('lowercases ids, keeps the newest output of a thread, skips blank outputs', async () => {
    const root = temp.make('memories');
    await rebuildPhase1Artifacts({
      root,
      outputs: [
        output(A.toUpperCase(), 100, { rolloutSummary: 'old' }),
        output(A, 200, { rolloutSummary: 'new' }),
        output(B, 300, { rawMemory: ' ', rolloutSummary: '\n' }),
      ],
    });
    expect(summaries(root)).toEqual([`${A}.md`]);
    expect(read(root, `rollout_summaries/${A}.md`)).toContain('\n\nnew\n');
    expect(read(root, 'raw_memories.md')).not.toContain(B);
  });

  it('refuses a rollout_summaries symlink leading out of the root, touching nothing there', async () => {
    const root = temp.make('memories');
    const outside = temp.make('outside');
    writeFileSync(join(outside, `${C}.md`), 'not ours');
    symlinkSync(outside, join(root, 'rollout_summaries'));
    await expect(
      rebuildPhase1Artifacts({ root, outputs: [output(A, 100)] }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(readdirSync(outside)).toEqual([`${C}.md`]);
    expect(readFileSync(join(outside, `${C}.md`), 'utf8')).toBe('not ours');
  });

  it('replaces a raw_memories.md symlink instead of reading or writing through it', async () => {
    const root = temp.make('memories');
    const outside = temp.make('outside');
    const target = join(outside, 'secret.md');
    writeFileSync(target, 'secret');
    symlinkSync(target, join(root, 'raw_memories.md'));
    await rebuildPhase1Artifacts({ root, outputs: [output(A, 100)] });
    expect(readFileSync(target, 'utf8')).toBe('secret');
    expect(read(root, 'raw_memories.md')).toContain('# Raw Memories');
  });

  it('leaves no temporary files behind', async () => {
    const root = temp.make('memories');
    await rebuildPhase1Artifacts({ root, outputs: [output(A, 100), output(B, 200)] });
    await rebuildPhase1Artifacts({ root, outputs: [output(A, 150)] });
    expect(readdirSync(root).sort()).toEqual(['raw_memories.md', 'rollout_summaries']);
    expect(summaries(root)).toEqual([`${A}.md`]);
  });
});

describe('formats', () => {
  it('keeps header values on one line', () => {
    const text = formatRolloutSummaryFile({
      threadId: A,
      sourceUpdatedAt: 0,
      rolloutSummary: '  s  ',
      rolloutSlug: 'x',
      cwd: '/a\nthread_id: forged',
    });
    expect(text).toBe(
      `thread_id: ${A}\nupdated_at: 1970-01-01T00:00:00+00:00\ncwd: /a thread_id: forged\nrollout_slug: x\n\ns\n`,
    );
  });

  it('has a fixed text for no raw memories', () => {
    expect(formatRawMemoriesFile([])).toBe('# Raw Memories\n\nNo raw memories yet.\n');
  });
});

describe('API docs', () => {
  it('documents every export with an example', async () => {
    const path = fileURLToPath(new URL('./phase1-artifacts.ts', import.meta.url));
    expect(findUndocumentedExports(path)).toEqual([]);
  });
});
