import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type RolloutEntry,
  RolloutFileError,
  type RolloutLine,
  loadRollout,
} from '@agent-state/rollout';
import { InvalidArgumentError } from '@agent-state/state';
import {
  CODEX_FIXTURE_VERSIONS,
  codexFixtureDir,
  loadExpectedThreads,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { SESSION_BEGIN_LINE, SESSION_END_LINE } from './prompts.js';
import {
  DEFAULT_STAGE1_MAX_INPUT_BYTES,
  ROLLOUT_TRUNCATION_MARKER,
  buildStage1Input,
  renderStage1Item,
} from './rollout-input.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const TS = '2026-11-21T05:44:05.000Z';

/** The session part of a stage-one message. */
function sessionOf(text: string): string {
  const start = text.indexOf(`${SESSION_BEGIN_LINE}\n`) + SESSION_BEGIN_LINE.length + 1;
  return text.slice(start, text.lastIndexOf(`\n${SESSION_END_LINE}`));
}

function responseItem(payload: Record<string, unknown>): RolloutLine {
  return { timestamp: TS, type: 'response_item', payload: payload as { type: string } };
}

function message(role: string, ...texts: string[]): RolloutLine {
  const type = role === 'assistant' ? 'output_text' : 'input_text';
  return responseItem({ type: 'message', role, content: texts.map((text) => ({ type, text })) });
}

function entries(lines: RolloutLine[]): RolloutEntry[] {
  return lines.map((line, index) => ({ lineNumber: index + 1, line }));
}

function writeRollout(lines: unknown[]): string {
  const path = join(
    temp.make('rollout'),
    'rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl',
  );
  writeFileSync(path, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return path;
}

const thread = { rolloutPath: '/home/me/.codex/sessions/rollout.jsonl', cwd: '/src/app' };

describe('buildStage1Input on real Codex rollouts', () => {
  for (const version of CODEX_FIXTURE_VERSIONS) {
    it(`renders every ${version} rollout: the conversation, without injected context`, async () => {
      const home = join(codexFixtureDir(version), 'home');
      const rows = loadExpectedThreads(version);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const rolloutPath = join(home, row.rollout_path);
        const input = await buildStage1Input({ thread: { rolloutPath, cwd: row.cwd } });
        const session = sessionOf(input.text);

        expect(input.unreadableLines).toBe(0);
        expect(input.truncated).toBe(false);
        expect(input.bytes).toBe(Buffer.byteLength(input.text));
        expect(input.text).toContain(`- rollout_path: ${rolloutPath}\n`);
        expect(input.text).toContain(`- rollout_cwd: ${row.cwd}\n`);
        // Developer messages and injected user context never reach the model.
        for (const injected of [
          '<permissions instructions>',
          '<skills_instructions>',
          '# AGENTS.md instructions',
          '<environment_context>',
          '"type":"',
        ]) {
          expect(session).not.toContain(injected);
        }
        if (row.first_user_message.trim() !== '') {
          expect(input.keptItems).toBeGreaterThan(0);
          expect(session).toContain('[user]\n');
          // The first thing the user typed is there (the title is its first line).
          expect(session).toContain(row.title.split('\n')[0]);
        }
      }
    });

    it(`gives the same text from ${version} entries as from the file`, async () => {
      const home = join(codexFixtureDir(version), 'home');
      for (const row of loadExpectedThreads(version)) {
        const rolloutPath = join(home, row.rollout_path);
        const fromFile = await buildStage1Input({ thread: { rolloutPath, cwd: row.cwd } });
        const loaded = await loadRollout(rolloutPath);
        const fromEntries = await buildStage1Input({
          thread: { rolloutPath, cwd: row.cwd },
          entries: loaded.entries,
        });
        expect(fromEntries).toEqual(fromFile);
      }
    });
  }

  it('renders the tool calls, outputs and reasoning summaries of both formats alike', async () => {
    const texts = await Promise.all(
      CODEX_FIXTURE_VERSIONS.map(async (version) => {
        const row = loadExpectedThreads(version).find((r) =>
          r.title.startsWith('Summarize the purpose'),
        );
        if (!row) throw new Error(`no fixture thread in ${version}`);
        const input = await buildStage1Input({
          thread: {
            rolloutPath: join(codexFixtureDir(version), 'home', row.rollout_path),
            cwd: row.cwd,
          },
        });
        return sessionOf(input.text);
      }),
    );
    for (const session of texts) {
      expect(session).toMatch(
        /^\[user\]\nSummarize the purpose of this repository in one sentence\.\n\n/,
      );
      expect(session).toContain('[reasoning summary]\n**Answering directly**');
      expect(session).toMatch(/\[tool call: exec_command \(call_\w+\)\]\n\{"cmd":"echo resumed"\}/);
      expect(session).toMatch(/\[tool output \(call_\w+\)\]\nChunk ID: /);
    }
    // Apart from ids and timings, the legacy and the paginated rollout render the same session.
    const scrub = (text: string) =>
      text.replace(/call_\w+/g, 'CALL').replace(/Chunk ID: \w+|Wall time: [\d.]+/g, '');
    expect(scrub(texts[0] ?? '')).toBe(scrub(texts[1] ?? ''));
  });
});

describe('renderStage1Item', () => {
  it('keeps user and assistant messages, drops developer and system ones', () => {
    expect(renderStage1Item(message('user', 'Fix the test'))).toBe('[user]\nFix the test');
    expect(renderStage1Item(message('assistant', 'Done.'))).toBe('[assistant]\nDone.');
    expect(renderStage1Item(message('developer', 'You are Codex'))).toBeUndefined();
    expect(renderStage1Item(message('system', 'rules'))).toBeUndefined();
  });

  it('drops injected context parts, blank parts, and messages left empty', () => {
    expect(
      renderStage1Item(
        message('user', '<environment_context>\n  <cwd>/x</cwd>\n</environment_context>'),
      ),
    ).toBeUndefined();
    expect(
      renderStage1Item(message('user', '# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>…')),
    ).toBeUndefined();
    expect(renderStage1Item(message('user', '   ', 'real question'))).toBe('[user]\nreal question');
  });

  it('shows images as placeholders, never their data', () => {
    const line = responseItem({
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: 'What is this?' },
        { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
      ],
    });
    expect(renderStage1Item(line)).toBe('[user]\nWhat is this?\n[image]');
  });

  it('keeps reasoning summaries only', () => {
    const line = responseItem({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: '**Plan**' }],
      content: [{ type: 'reasoning_text', text: 'private chain of thought' }],
      encrypted_content: 'gAAAAB-opaque',
    });
    expect(renderStage1Item(line)).toBe('[reasoning summary]\n**Plan**');
    expect(
      renderStage1Item(responseItem({ type: 'reasoning', summary: [], encrypted_content: 'x' })),
    ).toBeUndefined();
  });

  it('renders tool calls and outputs of every kind', () => {
    expect(
      renderStage1Item(
        responseItem({
          type: 'function_call',
          name: 'exec_command',
          arguments: '{"cmd":"ls"}',
          call_id: 'c1',
        }),
      ),
    ).toBe('[tool call: exec_command (c1)]\n{"cmd":"ls"}');
    expect(
      renderStage1Item(
        responseItem({ type: 'function_call_output', call_id: 'c1', output: 'a\nb\n\n' }),
      ),
    ).toBe('[tool output (c1)]\na\nb');
    expect(
      renderStage1Item(
        responseItem({
          type: 'function_call_output',
          call_id: 'c2',
          output: [
            { type: 'input_text', text: 'screenshot taken' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
          ],
        }),
      ),
    ).toBe('[tool output (c2)]\nscreenshot taken\n[image]');
    expect(
      renderStage1Item(
        responseItem({
          type: 'custom_tool_call',
          name: 'apply_patch',
          input: '*** Begin Patch',
          call_id: 'c3',
        }),
      ),
    ).toBe('[tool call: apply_patch (c3)]\n*** Begin Patch');
    expect(
      renderStage1Item(
        responseItem({ type: 'custom_tool_call_output', call_id: 'c3', output: 'ok' }),
      ),
    ).toBe('[tool output (c3)]\nok');
    expect(
      renderStage1Item(
        responseItem({
          type: 'local_shell_call',
          call_id: 'c4',
          status: 'completed',
          action: {
            type: 'exec',
            command: ['git', 'commit', '-m', "it's done"],
            working_directory: '/src/app',
          },
        }),
      ),
    ).toBe(`[shell command (c4)]\n(in /src/app)\ngit commit -m 'it'\\''s done'`);
    expect(
      renderStage1Item(
        responseItem({
          type: 'web_search_call',
          action: { type: 'search', query: 'vitest fake timers' },
        }),
      ),
    ).toBe('[web search] vitest fake timers');
  });

  it('keeps compaction summaries and drops everything else', () => {
    expect(
      renderStage1Item({
        timestamp: TS,
        type: 'compacted',
        payload: { message: ' Built the CLI. ' },
      }),
    ).toBe('[compaction summary]\nBuilt the CLI.');
    expect(
      renderStage1Item({ timestamp: TS, type: 'compacted', payload: { message: '' } }),
    ).toBeUndefined();
    const dropped: RolloutLine[] = [
      responseItem({ type: 'ghost_snapshot', ghost_commit: {} }),
      responseItem({ type: 'compaction', encrypted_content: 'opaque' }),
      responseItem({ type: 'image_generation_call', result: 'AAAA' }),
      { timestamp: TS, type: 'event_msg', payload: { type: 'user_message', message: 'hi' } },
      { timestamp: TS, type: 'turn_context', payload: { cwd: '/x' } } as RolloutLine,
      { timestamp: TS, type: 'world_state', payload: {} },
      { timestamp: TS, type: 'token_usage_record', payload: {} },
      { timestamp: TS, type: 'unknown', lineType: 'future_line', payload: { text: 'x' } },
    ];
    for (const line of dropped) expect(renderStage1Item(line)).toBeUndefined();
  });
});

describe('buildStage1Input', () => {
  it('keeps compaction summaries and counts what it left out', async () => {
    const input = await buildStage1Input({
      thread,
      entries: entries([
        message('developer', 'sandbox rules'),
        { timestamp: TS, type: 'compacted', payload: { message: 'Earlier: set up the repo.' } },
        message('user', 'Now add tests'),
        { timestamp: TS, type: 'event_msg', payload: { type: 'agent_message', message: 'ok' } },
      ]),
    });
    expect(sessionOf(input.text)).toBe(
      '[compaction summary]\nEarlier: set up the repo.\n\n[user]\nNow add tests',
    );
    expect(input).toMatchObject({
      keptItems: 2,
      skippedItems: 2,
      truncated: false,
      unreadableLines: 0,
    });
  });

  it('redacts credentials before the model sees them, unless told not to', async () => {
    const key = ['sk-', 'abcdefghijklmnopqrstuvwxyz0123'].join('');
    const lines = entries([message('user', `use OPENAI_API_KEY=${key}`)]);
    const redacted = await buildStage1Input({ thread, entries: lines });
    expect(redacted.text).not.toContain(key);
    expect(redacted.text).toContain('[REDACTED]');
    const raw = await buildStage1Input({ thread, entries: lines, redact: false });
    expect(raw.text).toContain(key);
  });

  it('cuts the middle of a long session out, keeping its start and end within the budget', async () => {
    const lines: unknown[] = [
      {
        timestamp: TS,
        type: 'session_meta',
        payload: {
          id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
          timestamp: TS,
          cwd: '/src/app',
          originator: 'test',
          cli_version: '0.0.0',
          source: 'cli',
        },
      },
    ];
    lines.push({
      timestamp: TS,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'FIRST QUESTION' }],
      },
    });
    for (let i = 0; i < 2_000; i += 1) {
      lines.push({
        timestamp: TS,
        type: 'response_item',
        payload: {
          type: 'function_call_output',
          call_id: `c${i}`,
          output: `output ${i}: Übersetzung 日本語 😀 `.repeat(5),
        },
      });
    }
    lines.push({
      timestamp: TS,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'LAST ANSWER' }],
      },
    });
    const path = writeRollout(lines);

    for (const maxInputBytes of [20_000, 20_001, 20_002, 50_000]) {
      const input = await buildStage1Input({
        thread: { rolloutPath: path, cwd: '/src/app' },
        maxInputBytes,
      });
      expect(input.truncated).toBe(true);
      expect(input.bytes).toBeLessThanOrEqual(maxInputBytes);
      expect(input.bytes).toBeGreaterThan(maxInputBytes - 8);
      expect(input.conversationBytes).toBeGreaterThan(maxInputBytes);
      expect(input.keptItems).toBe(2_002);
      expect(input.text).not.toContain('\uFFFD');
      const session = sessionOf(input.text);
      expect(session.startsWith('[user]\nFIRST QUESTION')).toBe(true);
      expect(session.endsWith('[assistant]\nLAST ANSWER')).toBe(true);
      const [head = '', tail = ''] = session.split(ROLLOUT_TRUNCATION_MARKER);
      // A third of the session budget for the start, the rest for the end.
      expect(Buffer.byteLength(tail)).toBeGreaterThan(1.9 * Buffer.byteLength(head));
    }
  });

  it('uses the default budget when none is given', async () => {
    const big = 'x'.repeat(DEFAULT_STAGE1_MAX_INPUT_BYTES);
    const input = await buildStage1Input({ thread, entries: entries([message('user', big)]) });
    expect(input.truncated).toBe(true);
    expect(input.bytes).toBe(DEFAULT_STAGE1_MAX_INPUT_BYTES);
  });

  it('counts unreadable lines and reads the rest', async () => {
    const path = writeRollout([
      {
        timestamp: TS,
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'hello' }],
        },
      },
    ]);
    writeFileSync(
      path,
      '{not json\n{"timestamp":"x","type":"response_item","payload":{"type":"mess',
      { flag: 'a' },
    );
    const input = await buildStage1Input({ thread: { rolloutPath: path, cwd: '' } });
    expect(sessionOf(input.text)).toBe('[user]\nhello');
    expect(input.unreadableLines).toBe(2);
    expect(input.text).toContain('- rollout_cwd: (unknown)');
  });

  it('reads `path` instead of the thread rollout when given', async () => {
    const path = writeRollout([
      {
        timestamp: TS,
        type: 'response_item',
        payload: {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: 'from path' }],
        },
      },
    ]);
    const input = await buildStage1Input({ thread, path });
    expect(sessionOf(input.text)).toBe('[user]\nfrom path');
    expect(input.text).toContain(`- rollout_path: ${path}`);
  });

  it('fails with a typed error on a missing rollout or a budget too small for the template', async () => {
    await expect(
      buildStage1Input({
        thread: { rolloutPath: join(temp.make('none'), 'missing.jsonl'), cwd: '' },
      }),
    ).rejects.toBeInstanceOf(RolloutFileError);
    await expect(
      buildStage1Input({ thread, entries: [], maxInputBytes: 100 }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      buildStage1Input({ thread, entries: [], maxInputBytes: 1.5e4 + 0.5 }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      buildStage1Input({
        thread,
        entries: entries([message('user', 'hi')]),
        signal: controller.signal,
      }),
    ).rejects.toThrow();
  });
});
