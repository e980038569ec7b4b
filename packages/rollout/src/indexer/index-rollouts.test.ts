import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ErrorCode, type StateStore, openStateStore } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import type { DerivedIndexDefinition } from './derived-index.js';
import { extractRollouts, indexRollouts } from './index-rollouts.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function corpusHome(
  count: number,
): Promise<{ home: string; store: StateStore; files: string[] }> {
  const home = temp.make('home');
  const { files } = generateCorpus({ home, count, seed: 11 });
  const store = await openStateStore({ home });
  stores.push(store);
  return { home, store, files: files.map((file) => file.path) };
}

describe('indexRollouts', () => {
  it('indexes rows and tools as extraction sees them, in this thread or in workers alike', async () => {
    const { store, files } = await corpusHome(24);
    const bad = join(temp.make('bad'), 'rollout-2026-01-01T00-00-00-nope.jsonl');
    writeFileSync(bad, '');
    const inline = await indexRollouts({ store, rollouts: [...files, bad], workers: 0 });
    expect(inline.indexed).toHaveLength(24);
    expect(inline.failed).toEqual([
      { path: bad, error: expect.objectContaining({ code: ErrorCode.RolloutInvalid }) as Error },
    ]);
    for (const path of files) {
      const expected = extractRolloutMetadata(path, { defaultProvider: 'openai' });
      expect(await store.threads.get(expected.metadata.id)).toEqual(expected.metadata);
      expect(await store.dynamicTools.get(expected.metadata.id)).toEqual(expected.dynamicTools);
    }

    const other = await corpusHome(0);
    const pooled = await indexRollouts({
      store: other.store,
      rollouts: [...files, bad],
      workers: 2,
    });
    expect(pooled.indexed.map((r) => r.metadata)).toEqual(inline.indexed.map((r) => r.metadata));
    expect(pooled.failed.map((f) => [f.path, (f.error as { code?: string }).code])).toEqual([
      [bad, ErrorCode.RolloutInvalid],
    ]);
    expect(await other.store.threads.count()).toBe(24);
  });

  it('lets the caller adjust or drop an entry before it is written', async () => {
    const { store, files } = await corpusHome(3);
    const { indexed } = await indexRollouts({
      store,
      rollouts: files,
      adjust: (rollout, entry) =>
        rollout.metadata.rolloutPath === files[0]
          ? undefined
          : { ...entry, metadata: { ...entry.metadata, title: 'adjusted' } },
    });
    expect(indexed).toHaveLength(2);
    expect(await store.threads.count()).toBe(2);
    for (const rollout of indexed) {
      expect((await store.threads.get(rollout.metadata.id))?.title).toBe('adjusted');
    }
  });

  it('writes nothing of a batch when the store refuses it, and says why', async () => {
    const { store, files } = await corpusHome(3);
    await store.close();
    await expect(indexRollouts({ store, rollouts: files })).rejects.toMatchObject({
      code: ErrorCode.StoreIo,
    });
    const reopened = await openStateStore({ home: store.home });
    stores.push(reopened);
    expect(await reopened.threads.count()).toBe(0);
  });
});

describe('derived indexes', () => {
  it('see every line a collector wants, in order, in the same pass as the metadata', async () => {
    const { files } = await corpusHome(2);
    const seen: Array<[number, string]> = [];
    const lineTypes: DerivedIndexDefinition = {
      name: 'line-types',
      createCollector: () => {
        const types: string[] = [];
        return {
          wants: (peeked) => peeked.type !== 'session_meta',
          line: (line: RolloutLine, lineNumber: number) => {
            seen.push([lineNumber, line.type]);
            types.push(line.type);
          },
          finish: () => types,
        };
      },
    };
    const path = files[0]!;
    const extracted = extractRolloutMetadata(path, {
      defaultProvider: 'openai',
      derivedIndexes: [lineTypes],
    });
    const types = extracted.derived['line-types'] as string[];
    expect(types.length).toBe(extracted.lines - 1); // every line but the session_meta
    expect(types).not.toContain('session_meta');
    expect(seen.map(([n]) => n)).toEqual([...seen.map(([n]) => n)].sort((a, b) => a - b));
    // The metadata is the same with or without a collector reading along.
    const alone = extractRolloutMetadata(path, { defaultProvider: 'openai', derivedIndexes: [] });
    expect(extracted.metadata).toEqual(alone.metadata);
    expect(alone.derived).toEqual({});
  });

  it('reach the store with the row: a store without that index refuses the whole batch', async () => {
    const { store, files } = await corpusHome(2);
    const outcomes = await extractRollouts({ rollouts: files });
    const entries = outcomes.flatMap((o) =>
      o.ok ? [{ metadata: o.rollout.metadata, derived: { 'line-types': ['x'] } }] : [],
    );
    await expect(store.index.write(entries)).rejects.toMatchObject({ argument: 'derived' });
    expect(await store.threads.count()).toBe(0);
  });
});
