import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { InvalidArgumentError } from '@agent-state/state';
import { findUndocumentedExports, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import {
  APPROX_BYTES_PER_TOKEN,
  DEFAULT_MEMORY_SUMMARY_MAX_TOKENS,
  estimateTokens,
  readMemorySummary,
} from './read-path.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function rootWith(summary: string | Buffer): string {
  const root = temp.make('memories');
  writeFileSync(join(root, 'memory_summary.md'), summary);
  return root;
}

describe('estimateTokens', () => {
  it('counts a token per 4 UTF-8 bytes, rounded up', () => {
    expect(APPROX_BYTES_PER_TOKEN).toBe(4);
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('hello world')).toBe(3);
    expect(estimateTokens('€')).toBe(1);
  });
});

describe('readMemorySummary', () => {
  it('returns the trimmed summary', async () => {
    const root = rootWith('\n# Memory summary\n\n- deploy: see skills/deploy\n\n');
    expect(await readMemorySummary({ root })).toBe(
      '# Memory summary\n\n- deploy: see skills/deploy',
    );
  });

  it("returns '' when the file is missing, blank, a folder or a link", async () => {
    expect(await readMemorySummary({ root: temp.make('empty') })).toBe('');
    expect(await readMemorySummary({ root: join(temp.make('x'), 'no-such-root') })).toBe('');
    expect(await readMemorySummary({ root: rootWith(' \n\t\n') })).toBe('');
    const folder = temp.make('folder');
    mkdirSync(join(folder, 'memory_summary.md'));
    expect(await readMemorySummary({ root: folder })).toBe('');
    const linked = temp.make('linked');
    const elsewhere = join(temp.make('elsewhere'), 'private.txt');
    writeFileSync(elsewhere, 'private');
    symlinkSync(elsewhere, join(linked, 'memory_summary.md'));
    expect(await readMemorySummary({ root: linked })).toBe('');
  });

  it('keeps a summary at the cap whole', async () => {
    const text = 'x'.repeat(400);
    expect(await readMemorySummary({ root: rootWith(`${text}\n\n`), maxTokens: 100 })).toBe(text);
  });

  it('caps a long summary, keeping its start and end around a marker', async () => {
    const text = `START ${'Übersetzung 日本語 😀 '.repeat(200)} END`;
    for (const maxTokens of [50, 51, 52, 53, 200]) {
      const summary = await readMemorySummary({ root: rootWith(text), maxTokens });
      expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(maxTokens * 4);
      expect(estimateTokens(summary)).toBeLessThanOrEqual(maxTokens);
      expect(summary.startsWith('START')).toBe(true);
      expect(summary.endsWith('END')).toBe(true);
      expect(summary).toContain(`[... memory summary truncated to about ${maxTokens} tokens ...]`);
      expect(summary).not.toContain('\uFFFD');
    }
  });

  it('reads only the ends of a very large file', async () => {
    const text = `BEGIN${'é'.repeat(300_000)}FINISH`;
    const summary = await readMemorySummary({ root: rootWith(`\n\n${text}\n`) });
    expect(estimateTokens(summary)).toBeLessThanOrEqual(DEFAULT_MEMORY_SUMMARY_MAX_TOKENS);
    expect(summary.startsWith('BEGIN')).toBe(true);
    expect(summary.endsWith('FINISH')).toBe(true);
    expect(summary).not.toContain('\uFFFD');
  });

  it('returns the start only when the cap leaves no room for the marker', async () => {
    expect(await readMemorySummary({ root: rootWith('abcdefghijklmnop'), maxTokens: 2 })).toBe(
      'abcdefgh',
    );
  });

  it('refuses a cap that is not a positive integer', async () => {
    const root = rootWith('x');
    for (const maxTokens of [0, -1, 1.5, Number.NaN]) {
      await expect(readMemorySummary({ root, maxTokens })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
  });
});

describe('API docs', () => {
  it('documents every export with an example', async () => {
    const path = fileURLToPath(new URL('./read-path.ts', import.meta.url));
    expect(findUndocumentedExports(path)).toEqual([]);
  });
});
