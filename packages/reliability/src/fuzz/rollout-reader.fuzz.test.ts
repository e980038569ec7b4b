import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  RolloutFileError,
  type RolloutLine,
  extractRolloutMetadata,
  loadRollout,
  parseRolloutLine,
} from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { recordMatrix, seed, trials } from '../harness/trials.js';
import {
  type GenLine,
  type Mutation,
  deepEqualIterative,
  fixtureLines,
  generatedLineArb,
  mutate,
  mutationArb,
} from './fuzz-lines.js';

const temp = tempDirs();
afterAll(() => temp.cleanup());

const FIXTURE_LINES = fixtureLines();
const THREAD_ID = '01a1fca2-1f68-7ec1-9034-0ec41ef36cca';

/** What the reader must give for a JSON value: the envelope's fields, the payload untouched. */
function sameLine(line: RolloutLine, value: Record<string, unknown>): boolean {
  if (line.timestamp !== value['timestamp']) return false;
  if (line.type === 'unknown') {
    if (line.lineType !== value['type']) return false;
  } else if (line.type !== value['type']) return false;
  if (line.ordinal !== value['ordinal']) return false;
  if (!deepEqualIterative(line.metadata, value['metadata'])) return false;
  return deepEqualIterative(line.payload, value['payload']);
}

interface Case {
  lines: Array<{ base: string; mutation: Mutation | null; crlf: boolean; blankAfter: boolean }>;
  terminated: boolean;
  truncateAt: number | null;
  chunkBytes: number;
  smallLimit: boolean;
  rolloutName: boolean;
}

const baseLineArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIXTURE_LINES) },
  { weight: 1, arbitrary: generatedLineArb() },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  lines: fc.array(
    fc.record({
      base: baseLineArb,
      mutation: fc.option(mutationArb, { freq: 2 }),
      crlf: fc.boolean(),
      blankAfter: fc.boolean(),
    }),
    { minLength: 0, maxLength: 30, size: 'medium' },
  ),
  terminated: fc.boolean(),
  truncateAt: fc.option(fc.nat(), { freq: 4 }),
  chunkBytes: fc.constantFrom(1, 7, 64, 4096, 256 * 1024),
  smallLimit: fc.boolean(),
  rolloutName: fc.boolean(),
});

interface Built {
  buffer: Buffer;
  /** Line number → the exact valid text that must be read back. */
  mustRead: Map<number, string>;
  maxLineBytes: number;
}

function build(c: Case): Built {
  const maxLineBytes = c.smallLimit ? 512 * 1024 : 64 * 1024 * 1024;
  let bigOnes = 0;
  const parts: Buffer[] = [];
  const validAt: Array<{ offset: number; text: string; length: number }> = [];
  let offset = 0;
  c.lines.forEach((spec, index) => {
    let mutation = spec.mutation;
    // Bounded inputs: at most one MB-sized or 10k-deep line per file.
    if (mutation && (mutation.kind === 'huge' || mutation.kind === 'deep')) {
      bigOnes += 1;
      if (bigOnes > 1) mutation = { kind: 'unknown-field', name: 'x' };
    }
    const gen: GenLine = mutation
      ? mutate(spec.base, mutation)
      : { bytes: Buffer.from(spec.base), valid: spec.base };
    const last = index === c.lines.length - 1;
    const eol = last && !c.terminated ? '' : spec.crlf ? '\r\n' : '\n';
    if (gen.valid !== undefined && eol !== '' && gen.bytes.length <= maxLineBytes) {
      validAt.push({ offset, text: gen.valid, length: gen.bytes.length + eol.length });
    }
    const blank = spec.blankAfter && !last ? (spec.crlf ? '\r\n' : '\n') : '';
    const chunk = Buffer.concat([gen.bytes, Buffer.from(eol + blank)]);
    parts.push(chunk);
    offset += chunk.length;
  });
  let buffer = Buffer.concat(parts);
  if (c.truncateAt !== null) buffer = buffer.subarray(0, c.truncateAt % (buffer.length + 1));
  const mustRead = new Map<number, string>();
  for (const valid of validAt) {
    if (valid.offset + valid.length > buffer.length) continue; // cut by the truncation
    mustRead.set(lineNumberAt(buffer, valid.offset), valid.text);
  }
  return { buffer, mustRead, maxLineBytes };
}

function lineNumberAt(buffer: Buffer, offset: number): number {
  let line = 1;
  for (let at = buffer.indexOf(0x0a); at !== -1 && at < offset; at = buffer.indexOf(0x0a, at + 1)) {
    line += 1;
  }
  return line;
}

/** The lines of a buffer as the splitter sees them (without `\n` and a trailing `\r`). */
function splitLines(buffer: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = buffer.indexOf(0x0a, start);
    if (end === -1) break;
    lines.push(stripCr(buffer.subarray(start, end)));
    start = end + 1;
  }
  if (start < buffer.length) lines.push(stripCr(buffer.subarray(start)));
  return lines;
}

function stripCr(bytes: Buffer): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, -1) : bytes;
}

describe('fuzz: rollout reader and metadata extraction', () => {
  it('every fixture line is a valid rollout line (the base of the valid-line property)', () => {
    expect(FIXTURE_LINES.length).toBeGreaterThan(400);
    for (const text of FIXTURE_LINES) {
      const value = JSON.parse(text) as Record<string, unknown>;
      const result = parseRolloutLine(value);
      expect('line' in result, text.slice(0, 200)).toBe(true);
      if ('line' in result) expect(sameLine(result.line, value)).toBe(true);
    }
  });

  it('reads mutated rollouts: valid lines back unchanged and in order, bad lines reported, typed errors only', async () => {
    const matrix = 'fuzz/rollout-reader';
    const matrixSeed = seed(matrix);
    const numRuns = trials({ ci: 100, soak: 5000 });
    const dir = temp.make('fuzz-reader');
    let runs = 0;
    let failures = 0;
    try {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          runs += 1;
          const { buffer, mustRead, maxLineBytes } = build(c);
          const path = join(
            dir,
            c.rolloutName
              ? `rollout-2026-11-21T05-44-05-${THREAD_ID}.jsonl`
              : 'not-a-rollout-name.jsonl',
          );
          writeFileSync(path, buffer);
          const lines = splitLines(buffer);

          // Reader: never throws on a readable file (its only documented error is ROLLOUT_UNREADABLE).
          // Tiny reads only on small files (bounded time): chunk boundaries anywhere in a line.
          const chunkBytes =
            buffer.length > 64 * 1024 ? Math.max(c.chunkBytes, 64 * 1024) : c.chunkBytes;
          const read = await loadRollout(path, { chunkBytes, maxLineBytes });
          const numbers = read.entries.map((entry) => entry.lineNumber);
          for (let i = 1; i < numbers.length; i += 1) {
            expect(numbers[i]).toBeGreaterThan(numbers[i - 1] ?? 0);
          }
          const byNumber = new Map(read.entries.map((entry) => [entry.lineNumber, entry.line]));
          for (const [lineNumber, text] of mustRead) {
            const line = byNumber.get(lineNumber);
            expect(line, `valid line ${lineNumber} not read back`).toBeDefined();
            if (line) {
              expect(sameLine(line, JSON.parse(text) as Record<string, unknown>)).toBe(true);
            }
          }
          // Every entry is exactly its line's JSON (nothing invented or altered).
          for (const entry of read.entries) {
            const bytes = lines[entry.lineNumber - 1];
            expect(bytes).toBeDefined();
            const value = JSON.parse(bytes?.toString('utf8') ?? '') as Record<string, unknown>;
            expect(sameLine(entry.line, value)).toBe(true);
          }
          // Every non-blank line is read or reported with its number.
          expect(read.issueCount).toBeLessThanOrEqual(100);
          const reported = new Set(read.issues.map((issue) => issue.line));
          for (const issue of read.issues) {
            expect(issue.line).toBeGreaterThanOrEqual(1);
            expect(issue.line).toBeLessThanOrEqual(lines.length);
          }
          lines.forEach((bytes, index) => {
            const lineNumber = index + 1;
            if (bytes.length === 0) return;
            expect(
              byNumber.has(lineNumber) || reported.has(lineNumber),
              `line ${lineNumber} neither read nor reported`,
            ).toBe(true);
          });

          // Extraction: metadata, or a RolloutFileError naming the file.
          try {
            const extracted = extractRolloutMetadata(path, {
              defaultProvider: 'openai',
              chunkBytes: Math.max(chunkBytes, 16),
              maxLineBytes,
            });
            expect(typeof extracted.metadata.id).toBe('string');
            expect(extracted.metadata.id.length).toBeGreaterThan(0);
            expect(extracted.bytes).toBe(buffer.length);
            expect(extracted.lines).toBe(lines.length);
            for (const issue of extracted.issues) {
              expect(issue.line).toBeGreaterThanOrEqual(1);
              expect(issue.line).toBeLessThanOrEqual(lines.length);
            }
          } catch (error) {
            if (!(error instanceof RolloutFileError)) throw error;
            expect(error.path).toBe(path);
            expect(error.message).toContain(path);
            expect(['ROLLOUT_INVALID', 'ROLLOUT_UNREADABLE']).toContain(error.code);
          }
        }),
        { numRuns, seed: matrixSeed, endOnFailure: true },
      );
    } catch (error) {
      failures += 1;
      process.stdout.write(
        `fuzz/rollout-reader failed; replay with AGENT_STATE_SEED=${matrixSeed}\n`,
      );
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: numRuns, kills: 0, checks: runs, failures });
    }
  }, 600_000);

  it('reports an unreadable path as ROLLOUT_UNREADABLE naming it', async () => {
    const path = join(temp.make('fuzz-missing'), 'missing.jsonl');
    await expect(loadRollout(path)).rejects.toMatchObject({ code: 'ROLLOUT_UNREADABLE', path });
    expect(() => extractRolloutMetadata(path, { defaultProvider: 'openai' })).toThrow(
      RolloutFileError,
    );
  });
});
