import { describe, expect, it } from 'vitest';

import {
  MAX_RAW_MEMORY_BYTES,
  MAX_ROLLOUT_SLUG_CHARS,
  MAX_ROLLOUT_SUMMARY_BYTES,
  Stage1OutputError,
  normalizeRolloutSlug,
  parseStage1Output,
} from './parse-output.js';

const answer = (value: unknown) => JSON.stringify(value);
const full = {
  rollout_summary: 'Fixed CI.',
  raw_memory: '# CI fix\nDetails',
  rollout_slug: 'fix_ci',
};
const expected = {
  rolloutSummary: 'Fixed CI.',
  rawMemory: '# CI fix\nDetails',
  rolloutSlug: 'fix_ci',
};

function parseError(text: string): Stage1OutputError {
  try {
    parseStage1Output(text);
  } catch (error) {
    if (error instanceof Stage1OutputError) return error;
    throw error;
  }
  throw new Error('expected a Stage1OutputError');
}

describe('parseStage1Output', () => {
  it('reads the exact keys', () => {
    expect(parseStage1Output(answer(full))).toEqual(expected);
  });

  it('reads JSON inside fences or surrounded by prose', () => {
    const json = answer(full);
    for (const text of [
      `\`\`\`json\n${json}\n\`\`\``,
      `\`\`\`\n${json}\n\`\`\``,
      `  \`\`\`JSON\r\n${json}\r\n\`\`\`  `,
      `Here is the memory:\n${json}\nHope this helps!`,
      `Sure.\n\`\`\`json\n${json}\n\`\`\`\nDone.`,
    ]) {
      expect(parseStage1Output(text)).toEqual(expected);
    }
  });

  it('accepts the legacy keys', () => {
    expect(parseStage1Output(answer({ rawMemory: 'abc', summary: 'short' }))).toEqual({
      rolloutSummary: 'short',
      rawMemory: 'abc',
      rolloutSlug: null,
    });
    expect(parseStage1Output(answer({ traceMemory: 'trace', rollout_summary: 's' }))).toMatchObject(
      {
        rawMemory: 'trace',
        rolloutSummary: 's',
      },
    );
  });

  it('ignores unknown keys and reads a null slug as none', () => {
    expect(parseStage1Output(answer({ ...full, rollout_slug: null, confidence: 0.9 }))).toEqual({
      ...expected,
      rolloutSlug: null,
    });
  });

  it('reads empty texts as "nothing worth remembering"', () => {
    expect(
      parseStage1Output(answer({ rollout_summary: '', raw_memory: '', rollout_slug: '' })),
    ).toEqual({
      empty: true,
    });
    expect(parseStage1Output(answer({ rollout_summary: ' \n', raw_memory: '\t' }))).toEqual({
      empty: true,
    });
    expect(parseStage1Output(answer({ summary: '', rawMemory: '', rollout_slug: 'x' }))).toEqual({
      empty: true,
    });
  });

  it('refuses exactly one empty text', () => {
    const error = parseError(
      answer({ rollout_summary: 'Fixed CI.', raw_memory: ' ', rollout_slug: '' }),
    );
    expect(error.code).toBe('STAGE1_OUTPUT_INCOMPLETE');
    expect(error.message).toMatch(/raw_memory is empty/);
  });

  it('refuses text without a JSON object, with a short excerpt', () => {
    const error = parseError(`I cannot help with that. ${'blah '.repeat(100)}`);
    expect(error).toBeInstanceOf(Stage1OutputError);
    expect(error.code).toBe('STAGE1_OUTPUT_UNPARSABLE');
    expect(error.excerpt.startsWith('I cannot help with that.')).toBe(true);
    expect(Array.from(error.excerpt).length).toBeLessThanOrEqual(200);
    expect(parseError('').code).toBe('STAGE1_OUTPUT_UNPARSABLE');
    expect(parseError('[1, 2]').code).toBe('STAGE1_OUTPUT_UNPARSABLE');
    expect(parseError('{"raw_memory": "unterminated').code).toBe('STAGE1_OUTPUT_UNPARSABLE');
  });

  it('redacts secrets in the excerpt', () => {
    const key = ['sk-', 'abcdefghijklmnopqrstuvwxyz0123'].join('');
    const error = parseError(`not json, but the key is ${key}`);
    expect(error.excerpt).not.toContain(key);
    expect(error.message).not.toContain(key);
    expect(error.excerpt).toContain('[REDACTED]');
  });

  it('refuses missing, mistyped or doubled fields', () => {
    expect(parseError(answer({ raw_memory: 'abc' })).message).toMatch(
      /missing "rollout_summary" \(or "summary"\)/,
    );
    expect(parseError(answer({ rollout_summary: 'a', raw_memory: 3 })).message).toMatch(
      /"raw_memory" must be a string/,
    );
    const doubled = parseError(answer({ rollout_summary: 'a', raw_memory: 'b', rawMemory: 'c' }));
    expect(doubled.code).toBe('STAGE1_OUTPUT_INVALID');
    expect(doubled.message).toMatch(/"raw_memory" and "rawMemory" both given/);
    expect(parseError(answer({ ...full, rollout_slug: 7 })).code).toBe('STAGE1_OUTPUT_INVALID');
  });

  it('trims, redacts and normalizes', () => {
    const token = ['ghp_', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'].join('');
    const parsed = parseStage1Output(
      answer({
        rollout_summary: `  Pushed with ${token}.  `,
        raw_memory: `\n# Deploy\npassword = hunter2hunter2\n`,
        rollout_slug: 'Deploy the App!',
      }),
    );
    expect(parsed).toEqual({
      rolloutSummary: 'Pushed with [REDACTED].',
      rawMemory: '# Deploy\npassword = [REDACTED]',
      rolloutSlug: 'deploy_the_app',
    });
  });

  it('caps the texts, keeping head and tail on character boundaries', () => {
    const raw = `# Start\n${'€'.repeat(MAX_RAW_MEMORY_BYTES)}\nEND`;
    const summary = `Begin ${'ü'.repeat(2_000)} finish`;
    const parsed = parseStage1Output(answer({ rollout_summary: summary, raw_memory: raw }));
    if ('empty' in parsed) throw new Error('expected a memory');
    expect(Buffer.byteLength(parsed.rawMemory)).toBeLessThanOrEqual(MAX_RAW_MEMORY_BYTES);
    expect(parsed.rawMemory.startsWith('# Start')).toBe(true);
    expect(parsed.rawMemory.endsWith('END')).toBe(true);
    expect(parsed.rawMemory).toContain('[... raw memory truncated ...]');
    expect(parsed.rawMemory).not.toContain('\uFFFD');
    expect(Buffer.byteLength(parsed.rolloutSummary)).toBeLessThanOrEqual(MAX_ROLLOUT_SUMMARY_BYTES);
    expect(parsed.rolloutSummary.startsWith('Begin')).toBe(true);
    expect(parsed.rolloutSummary.endsWith('finish')).toBe(true);
    expect(parsed.rolloutSummary).not.toContain('\uFFFD');
  });
});

describe('normalizeRolloutSlug', () => {
  it('lowercases, keeps letters and digits, folds the rest into single underscores', () => {
    expect(normalizeRolloutSlug('Unsafe Slug/With Spaces & Symbols + EXTRA_LONG_12345')).toBe(
      'unsafe_slug_with_spaces_symbols_extra_long_12345',
    );
    expect(normalizeRolloutSlug('--fix-CI--')).toBe('fix_ci');
    expect(normalizeRolloutSlug('Übersetzung 2 (日本)')).toBe('ubersetzung_2');
  });

  it('caps the length without a trailing underscore', () => {
    const slug = normalizeRolloutSlug(`${'a'.repeat(MAX_ROLLOUT_SLUG_CHARS - 1)} tail`);
    expect(slug).toBe('a'.repeat(MAX_ROLLOUT_SLUG_CHARS - 1));
    expect(normalizeRolloutSlug('b'.repeat(100))).toHaveLength(MAX_ROLLOUT_SLUG_CHARS);
  });

  it('returns null when nothing is left', () => {
    expect(normalizeRolloutSlug('')).toBeNull();
    expect(normalizeRolloutSlug(' !? ')).toBeNull();
    expect(normalizeRolloutSlug(null)).toBeNull();
    expect(normalizeRolloutSlug(undefined)).toBeNull();
  });
});
