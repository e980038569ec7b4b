import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { ErrorCode, ManualClock, openStateStore } from '@agent-state/state';
import {
  CODEX_FIXTURE_VERSIONS,
  type CodexFixtureVersion,
  copyCodexHome,
  tempDirs,
} from '@agent-state/test-utils';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';

import { stripUserMessagePrefix } from '../extract/user-message.js';
import { userInputOfEvent } from '../extract/metadata-applier.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { readRollout } from '../reader/rollout-reader.js';
import { RolloutRecorder } from '../recorder/rollout-recorder.js';
import { walkRollouts } from '../paths/rollout-walker.js';
import { loadTranscript } from './load-transcript.js';
import { transcriptJsonSchema } from './transcript-json-schema.js';
import { renderTranscriptMarkdown } from './transcript-markdown.js';
import type { Transcript } from './transcript-schema.js';

const temp = tempDirs();
/** The two fresh fixture homes and the lived-in one (compressed rollouts, a fork by reference, sub-agents). */
const ALL_HOMES: readonly CodexFixtureVersion[] = [
  ...CODEX_FIXTURE_VERSIONS,
  'v0.169.0-compressed',
];
afterEach(() => temp.cleanup());

/** The fork by reference of the lived-in fixture, and its parent (two turns before the fork). */
const FORK = '01a249b9-5d8c-7831-9016-775512eeb17e';
const FORK_PARENT = '01a1fca2-4bd1-7ad3-bb16-62ea7a26679e';
/** A 0.169 thread that runs `echo hi`. */
const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
/** A 0.169 thread whose one turn is a command the person ran (`!echo from-shell`). */
const USER_SHELL_THREAD = '01a1fca2-613b-7900-a475-056a07534956';
/** A 0.100 thread with a command. */
const LEGACY = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';

/** What a reader of the rollout expects to find, in order: prompts, answers and commands. */
async function conversationOf(path: string): Promise<string[]> {
  const expected: string[] = [];
  for await (const { line } of readRollout(path)) {
    if (line.type === 'event_msg') {
      const input = userInputOfEvent(line.payload);
      if (input && input.text.trim() !== '') expected.push(stripUserMessagePrefix(input.text));
      const item = line.payload.item as { source?: string; command?: string[] } | undefined;
      if (item?.source === 'user_shell') expected.push(item.command!.at(-1)!);
    } else if (line.type === 'response_item') {
      const item = line.payload;
      if (item.type === 'message' && item.role === 'assistant') {
        const parts = item.content as { type: string; text?: string }[];
        expected.push(
          parts
            .filter((part) => part.type === 'output_text')
            .map((part) => part.text)
            .join('\n')
            .trim(),
        );
      } else if (item.type === 'function_call') {
        const args = JSON.parse(item.arguments as string) as { cmd?: string };
        if (args.cmd !== undefined) expected.push(args.cmd);
      }
    }
  }
  return expected.filter((text) => text !== '');
}

function transcriptTexts(transcript: Transcript): string[] {
  return transcript.turns
    .filter((turn) => !turn.inherited)
    .flatMap((turn) => turn.items)
    .flatMap((item) => {
      if (item.type === 'user_message' || item.type === 'agent_message') return [item.text];
      if (item.type === 'tool_call' && item.command !== null) return [item.command];
      return [];
    })
    .filter((text) => text !== '');
}

/** Whether `texts` occur in `document` in this order. */
function inOrder(document: string, texts: readonly string[]): boolean {
  let from = 0;
  for (const text of texts) {
    const at = document.indexOf(text, from);
    if (at === -1) return false;
    from = at + text.length;
  }
  return true;
}

const validate = new Ajv2020({ strict: true, allErrors: true }).compile(transcriptJsonSchema());

describe('loadTranscript on the fixture homes', () => {
  it.each(ALL_HOMES.map((version) => [version]))(
    '%s: every prompt, answer and command of every thread, in order; the JSON fits its schema',
    async (version: CodexFixtureVersion) => {
      const home = copyCodexHome(version, temp.make('home'));
      let threads = 0;
      for await (const file of walkRollouts({ home })) {
        const id = /([0-9a-f-]{36})\.jsonl/.exec(file.path)?.[1];
        if (id === undefined) continue;
        const transcript = await loadTranscript({ home, id });
        threads += 1;
        const expected = await conversationOf(file.path);
        const own = transcriptTexts(transcript);
        // A legacy fork's copy of its parent is inherited: its own texts are the rollout's tail.
        expect(expected.slice(expected.length - own.length)).toEqual(own);
        expect(
          inOrder(
            renderTranscriptMarkdown(transcript),
            own.flatMap((t) => t.split('\n')),
          ),
        ).toBe(true);
        const json = JSON.parse(JSON.stringify(transcript)) as unknown;
        expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
        expect(transcript.skippedLines).toEqual([]);
        // Every turn shows something: a prompt, an answer, a command (its own or the person's).
        for (const turn of transcript.turns)
          expect(turn.items.length, `${id} turn ${turn.index}`).toBeGreaterThan(0);
      }
      expect(threads).toBeGreaterThan(8);
    },
  );

  it('a 0.169 thread: turn, model, times, the command with its exit code and output, tokens', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const transcript = await loadTranscript({ home, id: ECHO });
    expect(transcript.turns).toHaveLength(1);
    const [turn] = transcript.turns;
    expect(turn).toMatchObject({
      index: 1,
      inherited: false,
      status: 'completed',
      model: 'gpt-5.5',
      durationMs: 238,
      usage: { inputTokens: 257, outputTokens: 40, totalTokens: 297 },
    });
    expect(turn!.items.map((item) => item.type)).toEqual([
      'user_message',
      'reasoning',
      'tool_call',
      'reasoning',
      'agent_message',
    ]);
    expect(turn!.items[2]).toMatchObject({
      name: 'exec_command',
      command: 'echo hi',
      exitCode: 0,
      output: { head: 'hi', tail: '', omittedChars: 0 },
    });
    expect(transcript.usage.totalTokens).toBe(297);
  });

  it("a command the person ran in the session (0.169's user shell) is a tool call with its output", async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const transcript = await loadTranscript({ home, id: USER_SHELL_THREAD });
    expect(transcript.turns).toHaveLength(1);
    expect(transcript.turns[0]!.items).toMatchObject([
      {
        type: 'tool_call',
        name: 'user_shell',
        command: 'echo from-shell',
        output: { head: 'from-shell', tail: '', omittedChars: 0 },
        exitCode: 0,
      },
    ]);
  });

  it('a 0.100 thread: a failed command keeps its exit code', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const transcript = await loadTranscript({ home, id: LEGACY });
    const tools = transcript.turns
      .flatMap((turn) => turn.items)
      .filter((i) => i.type === 'tool_call');
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) expect(tool.exitCode).not.toBeNull();
  });

  it("a fork by reference (0.169, compressed home): the parent's history up to the fork point, inherited", async () => {
    const home = copyCodexHome('v0.169.0-compressed', temp.make('home'));
    const transcript = await loadTranscript({ home, id: FORK });
    expect(transcript.thread.forkedFrom).toEqual({
      threadId: FORK_PARENT,
      byReference: true,
      resolved: true,
    });
    expect(transcript.turns.map((turn) => [turn.index, turn.inherited, turn.fromThreadId])).toEqual(
      [
        [1, true, FORK_PARENT],
        [2, true, FORK_PARENT],
        [3, false, FORK],
      ],
    );
    // Codex stores 663 tokens for the fork and 520 for its parent: the fork's own are 143.
    expect(transcript.usage.totalTokens).toBe(143);
    const markdown = renderTranscriptMarkdown(transcript);
    expect(markdown).toContain(`## Turn 1 (inherited from \`${FORK_PARENT}\`)`);
    expect(markdown).toContain('## Turn 3\n');
  });

  it("a legacy fork: the copied turns are inherited, credited to the parent; a new turn is the fork's", async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const parentPath = await findRolloutFileById({ home, id: LEGACY });
    const clock = new ManualClock(Date.parse('2026-11-22T08:00:00.000Z'));
    const fork = await RolloutRecorder.fork({ home, parentPath: parentPath!, clock });
    await fork.close();
    const at = '2026-11-22T08:00:01.000Z';
    const turnId = '01a1fca2-ffff-7000-8000-000000000001';
    appendFileSync(
      fork.path,
      [
        { type: 'event_msg', payload: { type: 'task_started', turn_id: turnId } },
        { type: 'event_msg', payload: { type: 'user_message', message: 'And now in the fork?' } },
        { type: 'event_msg', payload: { type: 'task_complete', turn_id: turnId } },
      ]
        .map((line) => `${JSON.stringify({ timestamp: at, ...line })}\n`)
        .join(''),
    );
    const transcript = await loadTranscript({ home, id: fork.threadId });
    expect(transcript.thread.forkedFrom).toEqual({
      threadId: LEGACY,
      byReference: false,
      resolved: true,
    });
    const last = transcript.turns.at(-1)!;
    expect(last).toMatchObject({
      inherited: false,
      fromThreadId: fork.threadId,
      status: 'completed',
    });
    expect(last.items).toMatchObject([{ type: 'user_message', text: 'And now in the fork?' }]);
    const inherited = transcript.turns.slice(0, -1);
    expect(inherited.length).toBeGreaterThan(0);
    expect(inherited.every((turn) => turn.inherited && turn.fromThreadId === LEGACY)).toBe(true);
    expect(transcript.usage.totalTokens).toBe(0);
  });

  it('clips a long output to its head and tail, and redacts before it clips', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const path = await findRolloutFileById({ home, id: ECHO });
    const turnId = '01a1fca2-ffff-7000-8000-000000000002';
    const long = `${'x'.repeat(10_000)} token=hunter2hunter2 ${'y'.repeat(10_000)}`;
    const at = '2026-11-21T06:00:00.000Z';
    appendFileSync(
      path!,
      [
        { type: 'event_msg', payload: { type: 'task_started', turn_id: turnId } },
        {
          type: 'response_item',
          payload: {
            type: 'function_call',
            name: 'exec_command',
            arguments: '{"cmd":"cat big"}',
            call_id: 'c9',
          },
        },
        {
          type: 'response_item',
          payload: { type: 'function_call_output', call_id: 'c9', output: long },
        },
      ]
        .map((line) => `${JSON.stringify({ timestamp: at, ...line })}\n`)
        .join(''),
    );
    const redact = (text: string) => text.replaceAll('hunter2hunter2', '[REDACTED]');
    const transcript = await loadTranscript({
      home,
      id: ECHO,
      redact,
      clipping: { output: { head: 100, tail: 50 }, patch: { head: 100, tail: 50 } },
    });
    const tool = transcript.turns.at(-1)!.items[0]!;
    expect(tool).toMatchObject({ type: 'tool_call', command: 'cat big' });
    if (tool.type !== 'tool_call') throw new Error('not a tool call');
    expect(tool.output!.head).toBe('x'.repeat(100));
    expect(tool.output!.tail).toBe('y'.repeat(50));
    expect(tool.output!.omittedChars).toBe(redact(long).length - 150);
    expect(transcript.redacted).toBe(true);
    expect(JSON.stringify(transcript)).not.toContain('hunter2');
  });

  it('an unknown id is NOT_FOUND; without repair, a thread found among the rollouts is not written to the store', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    await expect(
      loadTranscript({ home, id: '01a1fca2-0000-7000-8000-000000000000' }),
    ).rejects.toMatchObject({ code: ErrorCode.NotFound });
    const store = await openStateStore({ home });
    try {
      await loadTranscript({ home, store, id: ECHO, repair: false });
      expect(await store.threads.get(ECHO)).toBeUndefined();
      await loadTranscript({ home, store, id: ECHO });
      expect(await store.threads.get(ECHO)).toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('publishes the JSON Schema generated from the transcript model', async () => {
    const published = fileURLToPath(new URL('../../transcript.schema.json', import.meta.url));
    await expect(`${JSON.stringify(transcriptJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(
      published,
    );
    expect(JSON.parse(readFileSync(published, 'utf8'))).toMatchObject({
      $id: 'urn:agent-state:transcript:1',
    });
  });
});
