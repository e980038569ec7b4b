import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { SearchDocument } from '@agent-state/state';
import { codexFixtureDir, seededRandom } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { SEARCH_DOCUMENTS } from './search-documents.js';
import { readThreadDocuments } from './thread-documents.js';

function rolloutsOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return rolloutsOf(path);
    return name.startsWith('rollout-') ? [path] : [];
  });
}

const idOf = (path: string) => /([0-9a-f-]{36})\.jsonl/.exec(path)![1]!;

/** Documents of a rollout written as `lines` (1-based line numbers as in a file). */
function collect(lines: Array<Omit<RolloutLine, 'timestamp'> & { timestamp?: string }>) {
  const collector = SEARCH_DOCUMENTS.createCollector({ path: 'test.jsonl' });
  lines.forEach((line, index) =>
    collector.line(
      {
        timestamp: `2026-01-01T00:00:${String(index).padStart(2, '0')}.000Z`,
        ...line,
      } as RolloutLine,
      index + 1,
    ),
  );
  return collector.finish() as SearchDocument[];
}

describe('search documents of the fixture homes', () => {
  const homes = ['v0.100.0', 'v0.169.0', 'v0.169.0-compressed'] as const;

  it('hold what people and the agent said and ran, never what Codex injected', async () => {
    for (const version of homes) {
      for (const path of rolloutsOf(join(codexFixtureDir(version), 'home'))) {
        const raw = path.endsWith('.zst') ? '' : readFileSync(path, 'utf8');
        for (const doc of await readThreadDocuments(path)) {
          expect(doc.text, path).not.toMatch(
            /<environment_context>|AGENTS\.md instructions|<permissions instructions>|You are a coding agent|Chunk ID:.*\nWall time/,
          );
          if (raw)
            expect(raw.split('\n')[doc.line - 1], `${path}:${doc.line}`).toContain('"timestamp"');
        }
        if (raw.includes('<environment_context>')) {
          // The injections are in the file: the test above would have caught their indexing.
          expect(raw).toMatch(/"role":"(user|developer)"/);
        }
      }
    }
  });

  it('finds the same documents in both formats and in compressed rollouts', async () => {
    const byId = async (version: (typeof homes)[number]) =>
      new Map(
        await Promise.all(
          rolloutsOf(join(codexFixtureDir(version), 'home')).map(
            async (path) => [idOf(path), await readThreadDocuments(path)] as const,
          ),
        ),
      );
    const legacy = await byId('v0.100.0');
    const paginated = await byId('v0.169.0');
    const compressed = await byId('v0.169.0-compressed');
    // The same conversation written by both versions gives the same documents, lines aside.
    const texts = (docs: Map<string, SearchDocument[]>) =>
      [...docs.values()]
        .map((d) =>
          d
            .map((doc) => `${doc.kind}:${doc.text.replace(/Chunk ID: \w+|Wall time: [\d.]+/g, '')}`)
            .join('|'),
        )
        .filter((t) => !t.includes('/home/user/projects') && !t.includes('drwx'))
        .sort();
    expect(texts(paginated)).toEqual(expect.arrayContaining(texts(legacy)));
    // A compressed copy of a rollout reads exactly as the plain one.
    let shared = 0;
    for (const [id, docs] of paginated) {
      const other = compressed.get(id);
      if (!other) continue;
      shared += 1;
      expect(other, id).toEqual(docs);
    }
    expect(shared).toBeGreaterThanOrEqual(10);
    // Paginated documents carry the line's ordinal, legacy ones none.
    expect([...paginated.values()].flat().every((d) => d.ordinal === d.line - 1)).toBe(true);
    expect([...legacy.values()].flat().every((d) => d.ordinal === null)).toBe(true);
  });

  it('gives a fork by reference only its own lines', async () => {
    const home = join(codexFixtureDir('v0.169.0-compressed'), 'home');
    const fork = rolloutsOf(home).find((path) => path.includes('01a249b9-5d8c'))!;
    const meta = JSON.parse(readFileSync(fork, 'utf8').split('\n')[0]!) as {
      payload: { forked_from_id: string };
    };
    const parent = rolloutsOf(home).find((path) => path.includes(meta.payload.forked_from_id))!;
    const own = await readThreadDocuments(fork);
    expect(own.map((d) => d.kind)).toEqual(['user_message', 'reasoning', 'agent_message']);
    expect(own[0]!.text).toBe('Continue in a fork: what changed since?');
    const inherited = new Set((await readThreadDocuments(parent)).map((d) => d.text));
    const spoken = own.filter((d) => d.kind !== 'reasoning'); // "**Answering directly**" is everywhere
    expect(spoken.some((d) => inherited.has(d.text))).toBe(false);
  });

  it('makes one document per tool call: the command, then its output without the exec header', async () => {
    const home = join(codexFixtureDir('v0.169.0'), 'home');
    const path = rolloutsOf(home).find((p) => p.includes('01a1fca2-4fed'))!;
    const tool = (await readThreadDocuments(path)).filter((d) => d.kind === 'tool_call');
    expect(tool).toHaveLength(1);
    expect(tool[0]!.text).toMatch(/^ls -la\ntotal 12\n/);
    expect(tool[0]!.turnId).toBe('01a1fca2-5000-7bc3-a0f8-179a5c82ed24');
  });
});

describe('long tool outputs', () => {
  it('read in place during extraction give the documents a full parse gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-state-long-'));
    try {
      const random = seededRandom(11);
      const alphabet = ['word ', 'é', '日本', '😀', '"q"', '\\', '\n', '\t', '\u0001', 'x'];
      const text = (length: number) =>
        Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const id = '01a1fca2-0000-7000-8000-00000000abcd';
      const lines = [
        {
          timestamp: '2026-01-01T00:00:00.000Z',
          type: 'session_meta',
          payload: {
            id,
            timestamp: '2026-01-01T00:00:00.000Z',
            cwd: '/w',
            originator: 'x',
            cli_version: '1',
            source: 'cli',
            model_provider: 'p',
            base_instructions: null,
          },
        },
        {
          timestamp: '2026-01-01T00:00:01.000Z',
          type: 'event_msg',
          payload: { type: 'user_message', message: 'go' },
        },
      ];
      for (let n = 0; n < 12; n += 1) {
        const output =
          n % 3 === 0
            ? `Chunk ID: ${n}\nWall time: 0.1 seconds\nProcess exited with code 0\nOutput:\n  ${text(9000 + n * 500)}  \n`
            : text(4000 + n * 900);
        lines.push(
          {
            timestamp: '2026-01-01T00:00:02.000Z',
            type: 'response_item',
            payload: {
              type: 'function_call',
              name: 'exec_command',
              arguments: JSON.stringify({ cmd: `step ${n}` }),
              call_id: `call_${n}`,
            },
          } as never,
          {
            timestamp: '2026-01-01T00:00:03.000Z',
            type: 'response_item',
            payload: { type: 'function_call_output', call_id: `call_${n}`, output },
          } as never,
        );
      }
      const path = join(dir, `rollout-2026-01-01T00-00-00-${id}.jsonl`);
      writeFileSync(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      const extracted = extractRolloutMetadata(path, { defaultProvider: 'openai' });
      const inPlace = extracted.derived.search as SearchDocument[];
      expect(inPlace.filter((d) => d.kind === 'tool_call')).toHaveLength(12);
      expect(inPlace).toEqual(await readThreadDocuments(path));
      expect(inPlace.find((d) => d.text.startsWith('step 0'))!.text).not.toContain('Chunk ID');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the search collector', () => {
  it('reads every kind of document the formats hold', () => {
    const docs = collect([
      { type: 'event_msg', payload: { type: 'task_started', turn_id: 't1' } },
      {
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'developer',
          content: [{ type: 'input_text', text: 'secret rules' }],
        },
      },
      {
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: '# AGENTS.md instructions' }],
        },
      },
      {
        type: 'event_msg',
        payload: { type: 'user_message', message: 'ctx\n## My request for Codex:\nfix the build' },
      },
      {
        type: 'response_item',
        payload: { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking hard' }] },
      },
      { type: 'event_msg', payload: { type: 'agent_reasoning', text: 'thinking hard' } },
      {
        type: 'response_item',
        payload: {
          type: 'local_shell_call',
          call_id: 's1',
          status: 'completed',
          action: { type: 'exec', command: ['bash', '-lc', 'make all'] },
        },
      },
      {
        type: 'response_item',
        payload: {
          type: 'function_call_output',
          call_id: 's1',
          output: [{ type: 'input_text', text: 'ok built' }],
        },
      },
      {
        type: 'response_item',
        payload: {
          type: 'custom_tool_call',
          call_id: 'p1',
          name: 'apply_patch',
          input: '*** Update File: src/a.ts',
        },
      },
      {
        type: 'response_item',
        payload: { type: 'custom_tool_call_output', call_id: 'p1', output: 'Done!' },
      },
      {
        type: 'response_item',
        payload: {
          type: 'function_call',
          call_id: 'f1',
          name: 'view_image',
          arguments: '{"path":"shot.png"}',
        },
      },
      {
        type: 'response_item',
        payload: { type: 'web_search_call', action: { type: 'search', query: 'zstd frames' } },
      },
      {
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'assistant',
          phase: 'final_answer',
          content: [{ type: 'output_text', text: 'All green.' }],
        },
      },
      { type: 'compacted', payload: { message: 'Summary of earlier work' } },
      { type: 'event_msg', payload: { type: 'task_started', turn_id: 't2' } },
      {
        type: 'event_msg',
        payload: {
          type: 'item_completed',
          turn_id: 't2',
          item: { type: 'UserMessage', content: [{ type: 'text', text: 'next please' }] },
        },
      },
    ]);
    expect(docs.map((d) => [d.line, d.kind, d.turnId, d.text])).toEqual([
      [4, 'user_message', 't1', 'fix the build'],
      [5, 'reasoning', 't1', 'thinking hard'],
      [7, 'tool_call', 't1', 'make all\nok built'],
      [9, 'tool_call', 't1', 'apply_patch *** Update File: src/a.ts\nDone!'],
      [11, 'tool_call', 't1', 'view_image {"path":"shot.png"}'],
      [12, 'tool_call', 't1', 'web search zstd frames'],
      [13, 'agent_message', 't1', 'All green.'],
      [14, 'compaction', 't1', 'Summary of earlier work'],
      [16, 'user_message', 't2', 'next please'],
    ]);
    expect(docs[0]!.timeMs).toBe(Date.parse('2026-01-01T00:00:03.000Z'));
  });

  it('keeps the head and tail of a long output, and long arguments', () => {
    const output = `Chunk ID: 1\nWall time: 0.1 seconds\nProcess exited with code 0\nOutput:\n${'a'.repeat(5000)}END`;
    const [doc] = collect([
      {
        type: 'response_item',
        payload: {
          type: 'function_call',
          call_id: 'c',
          name: 'exec_command',
          arguments: '{"cmd":"cat big"}',
        },
      },
      { type: 'response_item', payload: { type: 'function_call_output', call_id: 'c', output } },
    ]);
    expect(doc!.text.startsWith('cat big\naaaa')).toBe(true);
    expect(doc!.text.endsWith('aaaEND')).toBe(true);
    expect(doc!.text).toContain('\n…\n');
    expect(doc!.text.length).toBeLessThan(2_200);
    const [long] = collect([
      {
        type: 'response_item',
        payload: {
          type: 'function_call',
          call_id: 'd',
          name: 'write',
          arguments: JSON.stringify({ body: 'b'.repeat(9000) }),
        },
      },
    ]);
    expect(long!.text.length).toBeLessThan(2_700);
  });
});
