import type { Transcript, TranscriptTurn } from '@agent-state/rollout';

const PARENT = '01a1fca2-0000-7000-8000-00000000000a';
const CHILD = '01a1fca2-0000-7000-8000-00000000000b';

/** A turn with one of every kind of item, its lines starting at `line`. */
export function sampleTurn(options: {
  index: number;
  line: number;
  fromThreadId?: string;
  inherited?: boolean;
  output?: string;
}): TranscriptTurn {
  const { line } = options;
  const output = options.output ?? 'hi\n';
  return {
    index: options.index,
    id: `turn-${options.index}`,
    inherited: options.inherited ?? false,
    fromThreadId: options.fromThreadId ?? CHILD,
    startedAt: '2026-11-21T05:44:17.500Z',
    completedAt: '2026-11-21T05:44:18.000Z',
    durationMs: 500,
    status: 'completed',
    model: 'gpt-5.5',
    usage: {
      inputTokens: 100,
      cachedInputTokens: 20,
      outputTokens: 10,
      reasoningOutputTokens: 4,
      totalTokens: 110,
    },
    items: [
      {
        type: 'user_message',
        line,
        time: null,
        text: `Run <script>alert(${options.index})</script> & echo`,
        images: [],
      },
      { type: 'reasoning', line: line + 1, time: null, text: 'Planning' },
      {
        type: 'tool_call',
        line: line + 2,
        time: '2026-11-21T05:44:17.600Z',
        callId: 'call-1',
        name: 'exec_command',
        command: 'echo hi',
        arguments: null,
        output: { head: output, tail: '', omittedChars: 0 },
        exitCode: 0,
      },
      {
        type: 'tool_call',
        line: line + 3,
        time: null,
        callId: 'call-2',
        name: 'view_image',
        command: null,
        arguments: { head: '{"path":"a.png"}', tail: '', omittedChars: 0 },
        output: { head: 'HEAD-PART', tail: 'TAIL-PART', omittedChars: 123_456 },
        exitCode: null,
      },
      {
        type: 'patch',
        line: line + 4,
        time: null,
        callId: 'call-3',
        files: ['src/a.ts'],
        patch: { head: '*** Begin Patch\n+added\n*** End Patch', tail: '', omittedChars: 0 },
        output: null,
      },
      { type: 'error', line: line + 5, time: null, message: 'stream disconnected' },
      {
        type: 'agent_message',
        line: line + 6,
        time: null,
        phase: 'final_answer',
        text: 'Done: hi',
      },
    ],
  };
}

/** A fork of another thread: two inherited turns, then `ownTurns` of its own. */
export function sampleTranscript(options: { ownTurns?: number; output?: string } = {}): Transcript {
  const inherited = [1, 2].map((index) =>
    sampleTurn({ index, line: index * 10, fromThreadId: PARENT, inherited: true }),
  );
  const own = Array.from({ length: options.ownTurns ?? 2 }, (_, at) =>
    sampleTurn({
      index: at + 3,
      line: 5 + at * 10,
      ...(options.output === undefined ? {} : { output: options.output }),
    }),
  );
  return {
    format: 'agent-state.transcript',
    version: 1,
    thread: {
      id: CHILD,
      title: 'Fix the <flaky> test',
      cwd: '/repo',
      createdAt: '2026-11-21T05:44:17.000Z',
      updatedAt: '2026-11-21T05:50:00.000Z',
      archived: false,
      source: 'cli',
      cliVersion: '0.169.0',
      modelProvider: 'openai',
      gitBranch: 'main',
      rolloutPath: '/repo/rollout.jsonl',
      forkedFrom: { threadId: PARENT, byReference: true, resolved: true },
      parentThreadId: null,
    },
    turns: [...inherited, ...own],
    usage: {
      inputTokens: 200,
      cachedInputTokens: 40,
      outputTokens: 20,
      reasoningOutputTokens: 8,
      totalTokens: 220,
    },
    skippedLines: [],
    redacted: false,
  };
}

export const SAMPLE_PARENT_ID = PARENT;
export const SAMPLE_THREAD_ID = CHILD;
