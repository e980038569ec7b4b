import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { USAGE_INDEX_NAME, type UsageRecord } from '@agent-state/state';
import { codexFixtureDir } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { readUsageRecords } from './explain-usage.js';
import { USAGE_RECORDS, UsageCollector } from './usage-records.js';

function rolloutsOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rolloutsOf(path);
    return name.startsWith('rollout-') ? [path] : [];
  });
}

/** Every record of a rollout, excluded ones too (what `usage --explain` lists). */
const recordsOf = readUsageRecords;

/** The records the index stores for a rollout. */
function indexedRecordsOf(path: string): UsageRecord[] {
  return extractRolloutMetadata(path, { defaultProvider: 'openai' }).derived[
    USAGE_INDEX_NAME
  ] as UsageRecord[];
}

const idOf = (path: string) => /([0-9a-f-]{36})\.jsonl/.exec(path)![1]!;
const counted = (records: readonly UsageRecord[]) => records.filter((r) => r.excluded === null);
const sum = (records: readonly UsageRecord[], key: keyof UsageRecord) =>
  records.reduce((total, r) => total + (r[key] as number), 0);

/** Records of a rollout written as `lines` (1-based line numbers as in a file), excluded ones too. */
function collect(lines: Array<Omit<RolloutLine, 'timestamp'> & { timestamp?: string }>) {
  const collector = new UsageCollector({ keepExcluded: true });
  lines.forEach((line, index) =>
    collector.line(
      {
        timestamp: `2026-01-01T00:00:${String(index).padStart(2, '0')}.000Z`,
        ...line,
      } as RolloutLine,
      index + 1,
    ),
  );
  return collector.finish() as UsageRecord[];
}

function usage(input: number, output: number) {
  return {
    input_tokens: input,
    cached_input_tokens: 0,
    output_tokens: output,
    reasoning_output_tokens: 0,
    total_tokens: input + output,
  };
}

function tokenCount(total: [number, number] | null, last?: [number, number]): RolloutLine {
  return {
    timestamp: '',
    type: 'event_msg',
    payload: {
      type: 'token_count',
      info:
        total === null
          ? null
          : {
              total_token_usage: usage(...total),
              ...(last ? { last_token_usage: usage(...last) } : {}),
            },
    },
  };
}

describe('usage records of the fixture homes', () => {
  it('count each model call once: the sum of a thread is the running total Codex stores', () => {
    for (const version of ['v0.100.0', 'v0.169.0'] as const) {
      const expected = JSON.parse(
        readFileSync(join(codexFixtureDir(version), 'expected-threads.json'), 'utf8'),
      ) as Array<{ id: string; tokens_used: number }>;
      const tokensUsed = new Map(expected.map((row) => [row.id, row.tokens_used]));
      const paths = rolloutsOf(join(codexFixtureDir(version), 'home'));
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        const id = idOf(path);
        const records = recordsOf(path);
        expect(sum(counted(records), 'totalTokens'), path).toBe(tokensUsed.get(id));
        // The index keeps the records that count: the others are read again to explain them.
        expect(indexedRecordsOf(path), path).toEqual(counted(records));
      }
    }
  });

  it('reads the legacy format: repeats before each request and after a resume count nothing', () => {
    const path = rolloutsOf(join(codexFixtureDir('v0.100.0'), 'home')).find((p) =>
      p.includes('1d67'),
    )!;
    const records = recordsOf(path);
    expect(records.map((r) => r.excluded)).toEqual([null, 'repeat', null, 'repeat', null]);
    expect([sum(counted(records), 'inputTokens'), sum(counted(records), 'outputTokens')]).toEqual([
      460, 60,
    ]);
    // Summing every line's last_token_usage (what ccusage does) would give 750 and 100.
    expect([sum(records, 'inputTokens'), sum(records, 'outputTokens')]).toEqual([750, 100]);
    expect(records.every((r) => r.source === 'token_count' && r.model === 'gpt-5.3-codex')).toBe(
      true,
    );
    expect(records[1]!.excludedBy).toBe(String(records[0]!.line));
  });

  it('reads the 0.169 format: records count, their token_count twins are duplicates', () => {
    const path = rolloutsOf(join(codexFixtureDir('v0.169.0'), 'home')).find((p) =>
      p.includes('4bd1'),
    )!;
    const records = recordsOf(path);
    const byRecord = records.filter((r) => r.source === 'token_usage_record');
    expect(byRecord.map((r) => r.excluded)).toEqual([null, null, null]);
    expect(records.filter((r) => r.source === 'token_count').map((r) => r.excluded)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(byRecord.map((r) => [r.model, r.ordinal !== null, r.turnId !== null])).toEqual([
      ['gpt-5.5', true, true],
      ['gpt-5.5', true, true],
      ['gpt-5.5', true, true],
    ]);
    expect(sum(byRecord, 'totalTokens')).toBe(520);
    expect(byRecord.at(-1)!.runningTotalTokens).toBe(520);
  });

  it("count only a fork by reference's own calls, in a compressed home too", () => {
    const paths = rolloutsOf(join(codexFixtureDir('v0.169.0-compressed'), 'home'));
    const fork = paths.find((p) => p.includes('5d8c'))!;
    const records = counted(recordsOf(fork));
    // Codex stores 663 for the fork: its parent's 520 and its own 143.
    expect(records.map((r) => [r.totalTokens, r.runningTotalTokens, r.model])).toEqual([
      [143, 663, 'mock-model'],
    ]);
    expect(records[0]!.forkedFromId).toBeNull();
    // Compressed rollouts give the records of their plain twins in the v0.169.0 home.
    const plain = new Map(
      rolloutsOf(join(codexFixtureDir('v0.169.0'), 'home')).map((p) => [idOf(p), p]),
    );
    const compressed = paths.filter((p) => p.endsWith('.zst'));
    expect(compressed.length).toBeGreaterThan(10);
    for (const path of compressed) {
      expect(recordsOf(path), path).toEqual(recordsOf(plain.get(idOf(path))!));
    }
  });
});

describe('usage records, rule by rule', () => {
  it('take the difference of running totals where a line has no last_token_usage', () => {
    const records = collect([
      tokenCount(null),
      tokenCount([100, 10]),
      tokenCount([100, 10]),
      tokenCount([250, 30]),
    ]);
    expect(records.map((r) => [r.line, r.inputTokens, r.outputTokens, r.excluded])).toEqual([
      [2, 100, 10, null],
      [3, 0, 0, 'repeat'],
      [4, 150, 20, null],
    ]);
  });

  it('count nothing for a recomputed total with no input and no output (compaction, rollback)', () => {
    const records = collect([
      tokenCount([100, 10], [100, 10]),
      tokenCount([100, 10], [0, 0]),
      tokenCount([40, 0], [0, 0]),
      tokenCount([90, 5], [50, 5]),
    ]);
    expect(records.map((r) => r.excluded)).toEqual([null, 'repeat', 'repeat', null]);
  });

  it('name the parent of a legacy fork, not of a fork by reference', () => {
    const parent = '01A1FCA2-1D67-7971-8727-3CD36FD8D76F';
    const meta = (payload: object): RolloutLine =>
      ({ timestamp: '', type: 'session_meta', payload: { id: 'f', ...payload } }) as RolloutLine;
    const legacy = collect([
      meta({ forked_from_id: parent }),
      meta({ id: parent }),
      tokenCount([10, 1], [10, 1]),
    ]);
    expect(legacy.map((r) => r.forkedFromId)).toEqual([parent.toLowerCase()]);
    const byReference = collect([
      meta({
        forked_from_id: parent,
        history_base: { thread_id: parent, end_ordinal_exclusive: 3 },
      }),
      tokenCount([10, 1], [10, 1]),
    ]);
    expect(byReference.map((r) => r.forkedFromId)).toEqual([null]);
    // A parent id that is no thread id is dropped, as the thread row drops it.
    const odd = collect([meta({ forked_from_id: '../x' }), tokenCount([10, 1], [10, 1])]);
    expect(odd.map((r) => r.forkedFromId)).toEqual([null]);
  });

  it('take the model from thread settings and turn contexts, the turn from its start', () => {
    const event = (payload: object): RolloutLine =>
      ({ timestamp: '', type: 'event_msg', payload }) as RolloutLine;
    const records = collect([
      event({ type: 'thread_settings_applied', thread_settings: { model: 'gpt-5.5' } }),
      event({ type: 'task_started', turn_id: 'turn-1' }),
      tokenCount([10, 1], [10, 1]),
      {
        timestamp: '',
        type: 'turn_context',
        payload: { turn_id: 'turn-2', model: 'gpt-5.4' },
      },
      tokenCount([30, 2], [20, 1]),
      event({ type: 'turn_started', turn_id: 'turn-3' }),
      tokenCount([60, 3], [30, 1]),
    ]);
    expect(records.map((r) => [r.model, r.turnId])).toEqual([
      ['gpt-5.5', 'turn-1'],
      ['gpt-5.4', 'turn-2'],
      ['gpt-5.4', 'turn-3'],
    ]);
  });

  it('give the same records on every finish, appends included', () => {
    const collector = USAGE_RECORDS.createCollector({ path: 'test.jsonl' });
    collector.line({ ...tokenCount([10, 1], [10, 1]), timestamp: '2026-01-01T00:00:00Z' }, 1);
    const first = collector.finish();
    expect(collector.finish()).toEqual(first);
    collector.line({ ...tokenCount([20, 2], [10, 1]), timestamp: '2026-01-01T00:00:01Z' }, 2);
    expect(collector.finish()).toHaveLength(2);
  });
});
