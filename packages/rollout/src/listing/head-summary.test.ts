import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import {
  HEAD_RECORD_LIMIT,
  type HeadSummary,
  USER_EVENT_SCAN_LIMIT,
  readHeadSummary,
} from './head-summary.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Paths of the machine the session ran on: never read, so any absolute path will do. */
const CWD = join(tmpdir(), 'agent-state-test', 'repo');
const IMAGE = join(tmpdir(), 'agent-state-test', 'a.png');
const ID = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const TS = '2025-01-03T12:00:00.123Z';

function meta(payload: Record<string, unknown> = {}): string {
  return JSON.stringify({
    timestamp: TS,
    type: 'session_meta',
    payload: {
      id: ID,
      timestamp: '2025-01-03T12:00:00.100Z',
      cwd: CWD,
      originator: 'codex_exec',
      cli_version: '0.100.0',
      source: 'exec',
      model_provider: 'mock',
      base_instructions: null,
      git: {
        commit_hash: 'abc123',
        branch: 'main',
        repository_url: 'https://example.invalid/r.git',
      },
      ...payload,
    },
  });
}

function userMessage(message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    timestamp: TS,
    type: 'event_msg',
    payload: { type: 'user_message', message, images: [], local_images: [], ...extra },
  });
}

function responseItem(timestamp = TS): string {
  return JSON.stringify({
    timestamp,
    type: 'response_item',
    payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'ctx' }] },
  });
}

function turnContext(): string {
  return JSON.stringify({
    timestamp: TS,
    type: 'turn_context',
    payload: { cwd: CWD, approval_policy: 'never', sandbox_policy: { type: 'read-only' } },
  });
}

function write(lines: string[], name = 'rollout.jsonl'): string {
  const path = join(temp.make('head'), name);
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

describe('readHeadSummary', () => {
  it('summarizes a legacy rollout and stops at the first user message', async () => {
    const path = write([
      meta(),
      responseItem(),
      turnContext(),
      userMessage('  Fix the build  '),
      userMessage('second'),
    ]);
    const summary: HeadSummary = await readHeadSummary(path);
    expect(summary).toEqual({
      threadId: ID,
      source: 'exec',
      threadSource: null,
      agentNickname: null,
      agentRole: null,
      parentThreadId: null,
      forkedFromId: null,
      modelProvider: 'mock',
      cwd: CWD,
      gitSha: 'abc123',
      gitBranch: 'main',
      gitOriginUrl: 'https://example.invalid/r.git',
      cliVersion: '0.100.0',
      createdAt: '2025-01-03T12:00:00.100Z',
      firstUserMessage: 'Fix the build',
      sawSessionMeta: true,
      sawUserEvent: true,
      linesScanned: 4,
      skippedLines: 0,
    });
  });

  it('recognises the 0.169 item_completed UserMessage as a user event', async () => {
    const item = JSON.stringify({
      timestamp: TS,
      ordinal: 3,
      type: 'event_msg',
      payload: {
        type: 'item_completed',
        thread_id: ID,
        turn_id: 't',
        item: {
          type: 'UserMessage',
          id: 'u',
          content: [{ type: 'text', text: 'Line one\nLine two', text_elements: [] }],
        },
      },
    });
    const agent = JSON.stringify({
      timestamp: TS,
      ordinal: 2,
      type: 'event_msg',
      payload: { type: 'item_completed', item: { type: 'AgentMessage', id: 'a', content: [] } },
    });
    const summary = await readHeadSummary(
      write([meta({ history_mode: 'paginated' }), agent, item]),
    );
    expect(summary.sawUserEvent).toBe(true);
    expect(summary.firstUserMessage).toBe('Line one\nLine two');
    expect(summary.linesScanned).toBe(3);
  });

  it('counts an image-only or blank first message as a user event without text', async () => {
    for (const first of [userMessage('', { local_images: [IMAGE] }), userMessage('   ')]) {
      const summary = await readHeadSummary(write([meta(), first, userMessage('later text')]));
      expect(summary.sawUserEvent).toBe(true);
      // Reading stops at the first user event, so the later text is not seen (as in Codex).
      expect(summary.firstUserMessage).toBeNull();
      expect(summary.linesScanned).toBe(2);
    }
  });

  it('keeps what follows the "## My request for Codex:" marker', async () => {
    const summary = await readHeadSummary(
      write([meta(), userMessage('context\n## My request for Codex:\n  fix it \n')]),
    );
    expect(summary.firstUserMessage).toBe('fix it');
  });

  it('reads no more than the head limit when no session_meta came', async () => {
    const filler = Array.from({ length: HEAD_RECORD_LIMIT }, () => turnContext());
    const summary = await readHeadSummary(write([...filler, meta(), userMessage('hi')]));
    expect(summary.sawSessionMeta).toBe(false);
    expect(summary.linesScanned).toBe(HEAD_RECORD_LIMIT);
  });

  it('scans up to 200 more lines for a user message after a session_meta', async () => {
    const last = HEAD_RECORD_LIMIT + USER_EVENT_SCAN_LIMIT; // 210
    const filler = (n: number) => Array.from({ length: n }, () => responseItem());
    const found = await readHeadSummary(write([meta(), ...filler(last - 2), userMessage('hi')]));
    expect(found.sawUserEvent).toBe(true);
    expect(found.linesScanned).toBe(last);
    const missed = await readHeadSummary(write([meta(), ...filler(last - 1), userMessage('hi')]));
    expect(missed.sawUserEvent).toBe(false);
    expect(missed.linesScanned).toBe(last);
  });

  it('does not count blank or whitespace-only lines', async () => {
    const blanks = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? '' : ' \t '));
    const filler = Array.from({ length: HEAD_RECORD_LIMIT - 2 }, () => turnContext());
    const summary = await readHeadSummary(
      write([...blanks, ...filler, ...blanks, meta(), ...blanks, userMessage('hi')]),
    );
    expect(summary.sawSessionMeta).toBe(true);
    expect(summary.sawUserEvent).toBe(true);
    expect(summary.linesScanned).toBe(HEAD_RECORD_LIMIT);
  });

  it('counts unparsable lines, then skips them', async () => {
    const garbage = ['not json', '{"record_type":"response","index":0}', '[1,2]', '{"type":"x"}'];
    const found = await readHeadSummary(write([...garbage, meta(), userMessage('hi')]));
    expect(found).toMatchObject({ sawUserEvent: true, linesScanned: 6, skippedLines: 4 });
    const filler = Array.from({ length: HEAD_RECORD_LIMIT }, (_, i) => `garbage ${i}`);
    const missed = await readHeadSummary(write([...filler, meta(), userMessage('hi')]));
    expect(missed).toMatchObject({ sawSessionMeta: false, linesScanned: 10, skippedLines: 10 });
  });

  it('takes the first session_meta and ignores later ones', async () => {
    const other = '0199a213-81c0-7800-8aa1-000000000001';
    const summary = await readHeadSummary(
      write([meta(), meta({ id: other, cwd: '/elsewhere', source: 'cli' }), userMessage('hi')]),
    );
    expect(summary).toMatchObject({ threadId: ID, cwd: CWD, source: 'exec' });
  });

  it('treats a session_meta whose id is not a UUID as unparsable', async () => {
    const summary = await readHeadSummary(
      write([meta({ id: 'not-a-uuid' }), meta(), userMessage('hi')]),
    );
    expect(summary).toMatchObject({ threadId: ID, linesScanned: 3, skippedLines: 1 });
  });

  it('defaults a missing source to vscode and stores structured sources as JSON text', async () => {
    const missing = await readHeadSummary(write([meta({ source: undefined }), userMessage('a')]));
    expect(missing.source).toBe('vscode');
    const subagent = await readHeadSummary(
      write([meta({ source: { subagent: 'review' } }), userMessage('a')]),
    );
    expect(subagent.source).toBe('{"subagent":"review"}');
  });

  it('takes the creation time from a response_item before any session_meta', async () => {
    const early = '2025-01-03T11:59:59.000Z';
    const noMeta = await readHeadSummary(write([responseItem(early), userMessage('hi')]));
    expect(noMeta).toMatchObject({ createdAt: early, sawSessionMeta: false, sawUserEvent: true });
    const later = await readHeadSummary(write([responseItem(early), meta(), userMessage('hi')]));
    expect(later.createdAt).toBe('2025-01-03T12:00:00.100Z');
  });

  it('copes with CRLF, tiny chunks, overlong lines and a truncated last line', async () => {
    const long = JSON.stringify({
      timestamp: '2025-01-03T11:00:00.000Z',
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'x'.repeat(5000) }],
      },
    });
    const path = write([long, `${meta()}\r`, `${userMessage('hi')}\r`]);
    const summary = await readHeadSummary(path, { chunkBytes: 7, maxLineBytes: 4096 });
    expect(summary).toMatchObject({
      createdAt: '2025-01-03T12:00:00.100Z',
      firstUserMessage: 'hi',
      linesScanned: 3,
      skippedLines: 1,
    });
    const truncated = join(temp.make('head'), 'rollout.jsonl');
    writeFileSync(truncated, `${meta()}\n${userMessage('hi').slice(0, 40)}`);
    expect(await readHeadSummary(truncated)).toMatchObject({
      sawSessionMeta: true,
      sawUserEvent: false,
      linesScanned: 2,
      skippedLines: 1,
    });
  });

  it('rejects with a RolloutFileError naming the file when it cannot be read', async () => {
    const missing = join(temp.make('head'), 'missing.jsonl');
    const gone = readHeadSummary(missing);
    await expect(gone).rejects.toBeInstanceOf(RolloutFileError);
    await expect(gone).rejects.toMatchObject({
      code: 'ROLLOUT_UNREADABLE',
      path: missing,
      message: `${missing}: no such file`,
    });
    const folder = temp.make('folder');
    await expect(readHeadSummary(folder)).rejects.toMatchObject({
      code: 'ROLLOUT_UNREADABLE',
      path: folder,
      message: `${folder}: is a directory`,
    });
  });
});
