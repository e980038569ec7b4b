import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { LineSplitter, type SplitLine } from './line-splitter.js';
import { peekLine } from './line-peek.js';
import { loadRollout, readRollout } from './rollout-reader.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const ID = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const meta = (id = ID) =>
  `{"timestamp":"2026-11-21T05:44:05.000Z","type":"session_meta","payload":{"id":"${id}","timestamp":"2026-11-21T05:44:05.000Z","cwd":"/w","originator":"codex_exec","cli_version":"0.100.0","source":"exec","model_provider":"mock","base_instructions":null,"future_field":{"kept":true}}}`;
const user = (text: string) =>
  `{"timestamp":"2026-11-21T05:44:06.000Z","type":"event_msg","payload":{"type":"user_message","message":${JSON.stringify(text)},"images":[],"local_images":[],"text_elements":[]}}`;

function write(content: string | Buffer): string {
  const path = join(temp.make('reader'), 'rollout.jsonl');
  writeFileSync(path, content);
  return path;
}

function split(chunks: Buffer[], maxLineBytes = 1024): SplitLine[] {
  const out: SplitLine[] = [];
  const splitter = new LineSplitter({ maxLineBytes });
  const emit = (line: SplitLine) => out.push({ ...line, bytes: Buffer.from(line.bytes) });
  for (const chunk of chunks) splitter.push(chunk, emit);
  splitter.end(emit);
  return out;
}

describe('LineSplitter', () => {
  it('splits across chunk boundaries, strips CR, and flags an unterminated last line', () => {
    const text = Buffer.from('one\r\ntw');
    const lines = split([text, Buffer.from('o\n\nthree')]);
    expect(lines.map((l) => [l.lineNumber, l.bytes.toString(), l.unterminated])).toEqual([
      [1, 'one', false],
      [2, 'two', false],
      [3, '', false],
      [4, 'three', true],
    ]);
  });

  it('skips an overlong line without buffering it and keeps its first bytes', () => {
    const long = 'x'.repeat(5000);
    const lines = split(
      [Buffer.from(`short\n${long.slice(0, 2000)}`), Buffer.from(`${long.slice(2000)}\nafter\n`)],
      100,
    );
    expect(lines.map((l) => [l.lineNumber, l.overlong, l.length])).toEqual([
      [1, false, 5],
      [2, true, 5000],
      [3, false, 5],
    ]);
    expect(lines[1]!.head!.toString()).toBe('x'.repeat(256)); // enough to tell the line's type
    expect(lines[2]!.bytes.toString()).toBe('after');
  });
});

describe('peekLine', () => {
  it('reads the type, event type and item type of lines in Codex’s key order', () => {
    expect(peekLine(Buffer.from(meta()))).toEqual({ type: 'session_meta' });
    expect(peekLine(Buffer.from(user('hi')))).toEqual({
      type: 'event_msg',
      eventType: 'user_message',
    });
    const paginated =
      '{"timestamp":"2026-11-21T05:44:21.912Z","ordinal":8,"type":"event_msg","payload":{"type":"item_completed","thread_id":"t","turn_id":"u","item":{"type":"UserMessage","id":"x"}}}';
    expect(peekLine(Buffer.from(paginated))).toEqual({
      type: 'event_msg',
      eventType: 'item_completed',
      itemType: 'UserMessage',
    });
  });

  it('reads a response item’s payload type, and a message’s role when it comes early', () => {
    const legacy =
      '{"timestamp":"2026-11-21T05:44:05.273Z","type":"response_item","payload":{"type":"message","role":"developer","content":[]}}';
    expect(peekLine(Buffer.from(legacy))).toEqual({
      type: 'response_item',
      payloadType: 'message',
      role: 'developer',
    });
    const paginated =
      '{"timestamp":"2026-11-21T05:44:18.639Z","ordinal":12,"type":"response_item","payload":{"type":"message","status":"completed","id":"msg_mwpzgkazn","role":"assistant","content":[]}}';
    expect(peekLine(Buffer.from(paginated))).toMatchObject({
      payloadType: 'message',
      role: 'assistant',
    });
    const output =
      '{"timestamp":"2026-11-21T05:44:05.273Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c","output":"x"}}';
    expect(peekLine(Buffer.from(output))).toEqual({
      type: 'response_item',
      payloadType: 'function_call_output',
    });
    // A role far from the type is not looked for: the line is then read in full by whoever wants it.
    const far = `{"timestamp":"2026-11-21T05:44:05.273Z","type":"response_item","payload":{"type":"message","id":"${'x'.repeat(200)}","role":"user"}}`;
    expect(peekLine(Buffer.from(far))).toEqual({ type: 'response_item', payloadType: 'message' });
  });

  it('declines lines in any other layout, so they are parsed in full', () => {
    expect(
      peekLine(
        Buffer.from('{"type":"session_meta","timestamp":"2026-11-21T05:44:05.000Z","payload":{}}'),
      ),
    ).toBeUndefined();
    expect(
      peekLine(Buffer.from('not json at all, but long enough to be looked at')),
    ).toBeUndefined();
  });
});

describe('readRollout', () => {
  it('yields valid lines in order, keeps unknown types and fields, and counts blank lines', async () => {
    const path = write(
      [
        meta(),
        '',
        user('hello'),
        '{"timestamp":"t","type":"brand_new_type","payload":{"x":1}}',
        '   ',
        '',
      ].join('\n'),
    );
    const reader = readRollout(path);
    const entries = [];
    for await (const entry of reader) entries.push(entry);
    expect(entries.map((e) => [e.lineNumber, e.line.type])).toEqual([
      [1, 'session_meta'],
      [3, 'event_msg'],
      [4, 'unknown'],
    ]);
    const unknown = entries[2]!.line;
    expect(unknown).toMatchObject({
      type: 'unknown',
      lineType: 'brand_new_type',
      payload: { x: 1 },
    });
    expect(entries[0]!.line.payload).toMatchObject({ future_field: { kept: true } });
    expect(reader.blankLines).toBe(1);
    expect(reader.issues).toEqual([
      { line: 5, kind: 'invalid-json', message: expect.stringContaining('not JSON') as string },
    ]);
  });

  it('takes the first session_meta as canonical (forks carry their parent’s after their own)', async () => {
    const parent = '01a1fca2-0000-7000-8000-000000000001';
    const { sessionMeta, entries } = await loadRollout(write(`${meta()}\n${meta(parent)}\n`));
    expect(sessionMeta?.id).toBe(ID);
    expect(entries).toHaveLength(2);
  });

  it('survives a truncated last line, invalid UTF-8 and an overlong line, reporting each', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${meta()}\n`),
      Buffer.from(`${user('caf\u00e9')}\n`.replace('caf\u00e9', 'caf\u00e9'), 'utf8'),
      Buffer.from(
        '{"timestamp":"2026-11-21T05:44:06.000Z","type":"event_msg","payload":{"type":"agent_message","message":"',
      ),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}\n'),
      Buffer.from(`${user('x'.repeat(3000))}\n`),
      Buffer.from('{"timestamp":"2026-11-21T05:44:07.000Z","type":"event_msg","payl'),
    ]);
    const reader = readRollout(write(bytes), { maxLineBytes: 2048, chunkBytes: 64 });
    const types: string[] = [];
    for await (const { line } of reader) types.push(line.type);
    expect(types).toEqual(['session_meta', 'event_msg', 'event_msg']);
    expect(reader.issues.map((i) => [i.line, i.kind])).toEqual([
      [3, 'invalid-utf8'],
      [4, 'overlong'],
      [5, 'truncated'],
    ]);
  });

  it('reports a line that is JSON but not a rollout line, with its problem', async () => {
    const reader = readRollout(
      write(`${meta()}\n{"timestamp":1,"type":"event_msg","payload":{}}\n[1,2]\n`),
    );
    for await (const _entry of reader) {
      // drain
    }
    expect(reader.issues.map((i) => [i.line, i.kind])).toEqual([
      [2, 'invalid-line'],
      [3, 'invalid-line'],
    ]);
  });

  it('names the file when it cannot be opened', async () => {
    const reader = readRollout(join(temp.make('missing'), 'nope.jsonl'));
    await expect(async () => {
      for await (const _entry of reader) {
        // drain
      }
    }).rejects.toMatchObject({
      code: 'ROLLOUT_UNREADABLE',
      message: expect.stringContaining('nope.jsonl') as string,
    });
  });

  it('throws a RolloutFileError naming a directory passed as a rollout', async () => {
    const sessions = temp.make('sessions');
    const attempt = loadRollout(sessions);
    await expect(attempt).rejects.toBeInstanceOf(RolloutFileError);
    await expect(attempt).rejects.toMatchObject({
      code: 'ROLLOUT_UNREADABLE',
      path: sessions,
      message: `${sessions}: is a directory`,
    });
  });
});
