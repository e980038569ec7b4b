import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ErrorCode } from '@agent-state/state';
import { codexFixtureDir, tempDirs, zstdCompress } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { readHeadSummary } from '../listing/head-summary.js';
import { RolloutDecoder } from './rollout-decoder.js';
import { readRollout } from './rollout-reader.js';
import { type ZstdDecoderKind, defaultZstdDecoderKind } from './zstd-decoder.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const KINDS: ZstdDecoderKind[] = ['native', 'js'];

const plainFixture = join(
  codexFixtureDir('v0.169.0'),
  'home/sessions/2026/11/21/rollout-2026-11-21T05-44-17-01a1fca2-4bd1-7ad3-bb16-62ea7a26679e.jsonl',
);

/** Decodes `data` in chunks of `chunk` bytes, returning the output (or the error). */
function decodeAll(kind: ZstdDecoderKind, path: string, data: Buffer, chunk = 4096): Buffer {
  const decoder = new RolloutDecoder(path, { zstdDecoder: kind });
  const out: Buffer[] = [];
  const emit = (bytes: Buffer) => out.push(Buffer.from(bytes));
  for (let i = 0; i < data.length; i += chunk) decoder.push(data.subarray(i, i + chunk), emit);
  decoder.end(emit);
  return Buffer.concat(out);
}

function thrown(run: () => unknown): RolloutFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RolloutFileError);
    return error as RolloutFileError;
  }
  throw new Error('expected a RolloutFileError');
}

describe('zstd decoders', () => {
  it('uses the native decoder here (zstd-napi is built in CI)', () => {
    expect(defaultZstdDecoderKind()).toBe('native');
  });

  describe.each(KINDS)('%s', (kind) => {
    const plain = readFileSync(plainFixture);

    it.each([1, 3, 17])('decodes %i frame(s) back to back, in chunks of any size', (frames) => {
      const compressed = zstdCompress(plain, { frames });
      for (const chunk of [1, 7, 4096, 1 << 20]) {
        expect(decodeAll(kind, 'x.jsonl.zst', compressed, chunk).equals(plain)).toBe(true);
      }
    });

    it('passes a plain rollout through, and decodes a plain-named one that starts with the zstd magic', () => {
      expect(decodeAll(kind, 'x.jsonl', plain, 3).equals(plain)).toBe(true);
      expect(decodeAll(kind, 'x.jsonl', zstdCompress(plain)).equals(plain)).toBe(true);
      expect(decodeAll(kind, 'x.jsonl', Buffer.from('{}')).toString()).toBe('{}');
    });

    it('names a truncated frame with its offset', () => {
      const compressed = zstdCompress(plain);
      const error = thrown(() =>
        decodeAll(kind, '/h/x.jsonl.zst', compressed.subarray(0, compressed.length - 9)),
      );
      expect(error.code).toBe(ErrorCode.RolloutUnreadable);
      expect(error.path).toBe('/h/x.jsonl.zst');
      expect(error.message).toMatch(
        /^\/h\/x\.jsonl\.zst: truncated zstd frame \(compressed byte \d+\)$/,
      );
      expect(error.offset).toBeGreaterThan(0);
    });

    it('refuses garbage behind the magic, an empty file and a non-zstd .zst', () => {
      const garbage = Buffer.concat([
        Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
        Buffer.alloc(64, 0xee),
      ]);
      expect(thrown(() => decodeAll(kind, 'x.jsonl.zst', garbage)).message).toMatch(
        /damaged zstd data/,
      );
      expect(thrown(() => decodeAll(kind, 'x.jsonl.zst', Buffer.alloc(0))).message).toMatch(
        /no zstd frame \(empty data\)/,
      );
      expect(thrown(() => decodeAll(kind, 'x.jsonl.zst', plain)).message).toMatch(/zstd/);
    });

    it('a decoder released mid-frame, or after a truncated frame, leaves the next one sound', () => {
      const compressed = zstdCompress(plain);
      // One decoder at a time: each reuses the context the previous one released.
      for (let round = 0; round < 3; round += 1) {
        const stopped = new RolloutDecoder('x.jsonl.zst', { zstdDecoder: kind });
        stopped.push(compressed.subarray(0, compressed.length >> 1), () => undefined);
        stopped.release();
        stopped.release(); // idempotent
        expect(decodeAll(kind, 'x.jsonl.zst', compressed, 1000).equals(plain)).toBe(true);
        thrown(() => decodeAll(kind, 'x.jsonl.zst', compressed.subarray(0, compressed.length - 9)));
        expect(decodeAll(kind, 'x.jsonl.zst', compressed, 1000).equals(plain)).toBe(true);
        thrown(() =>
          decodeAll(
            kind,
            'x.jsonl.zst',
            Buffer.concat([compressed.subarray(0, 64), Buffer.alloc(64, 0xee)]),
          ),
        );
        expect(decodeAll(kind, 'x.jsonl.zst', compressed, 1000).equals(plain)).toBe(true);
      }
    });

    it('garbage after a good frame fails after the good lines were read', () => {
      const compressed = Buffer.concat([zstdCompress(plain), Buffer.from('not zstd at all')]);
      const error = thrown(() => decodeAll(kind, 'x.jsonl.zst', compressed));
      expect(error.offset).toBeGreaterThanOrEqual(zstdCompress(plain).length - 4096);
    });
  });

  it('a decompression bomb streams through in bounded memory', async () => {
    // 1 GiB of one endless line compresses to a few dozen KiB.
    const block = Buffer.alloc(64 << 20, 'a');
    const frames: Buffer[] = [];
    for (let i = 0; i < 16; i += 1) frames.push(zstdCompress(block, { level: 1 }));
    const path = join(
      temp.make('bomb'),
      'rollout-2026-11-21T05-44-17-01a1fca2-4bd1-7ad3-bb16-62ea7a26679e.jsonl.zst',
    );
    writeFileSync(path, Buffer.concat(frames));
    const before = process.memoryUsage().rss;
    let peak = before;
    const reader = readRollout(path, { maxLineBytes: 1 << 20 });
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      for await (const entry of reader) void entry;
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(reader.issueCount).toBe(1); // the overlong line, skipped without being buffered
    expect(peak - before).toBeLessThan(200 << 20);
  });
});

describe('compressed rollouts through every reader', () => {
  it('the reader, the head summary and extraction give what the plain file gives', async () => {
    const dir = temp.make('zst');
    const name = plainFixture.split('/').pop()!;
    const zst = join(dir, `${name}.zst`);
    writeFileSync(zst, zstdCompress(readFileSync(plainFixture), { frames: 4 }));

    const lines = async (path: string) => {
      const out: unknown[] = [];
      for await (const { lineNumber, line } of readRollout(path)) out.push([lineNumber, line]);
      return out;
    };
    expect(await lines(zst)).toEqual(await lines(plainFixture));
    expect(await readHeadSummary(zst)).toEqual(await readHeadSummary(plainFixture));
    const fromZst = extractRolloutMetadata(zst, { defaultProvider: 'openai', archived: false });
    const fromPlain = extractRolloutMetadata(plainFixture, {
      defaultProvider: 'openai',
      archived: false,
    });
    expect({ ...fromZst.metadata, rolloutPath: '', updatedAt: 0 }).toEqual({
      ...fromPlain.metadata,
      rolloutPath: '',
      updatedAt: 0,
    });
    expect(fromZst.metadata.rolloutPath).toBe(zst);
  });
});
