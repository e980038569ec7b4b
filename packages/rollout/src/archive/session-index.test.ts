import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ErrorCode, InvalidArgumentError, ManualClock } from '@agent-state/state';
import { codexFixtureDir, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import {
  SESSION_INDEX_FILE,
  appendThreadName,
  findThreadIdByName,
  findThreadName,
  normalizeThreadName,
  readThreadNames,
} from './session-index.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const START = Date.parse('2026-11-21T05:44:21.704Z');

/** A valid v7-looking thread id, distinct per `n`. */
function idOf(n: number): string {
  return `01a1fca2-${n.toString(16).padStart(4, '0')}-7000-8000-000000000000`;
}

function line(id: string, name: string, updatedAt = '2026-11-21T05:44:21.704266811Z'): string {
  return JSON.stringify({ id, thread_name: name, updated_at: updatedAt });
}

function indexPath(home: string): string {
  return join(home, SESSION_INDEX_FILE);
}

describe('appendThreadName', () => {
  it('appends one Codex-format line with a nanosecond RFC 3339 UTC time, and returns it', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    const entry = await appendThreadName({ home, threadId: idOf(1), name: 'First', clock });
    expect(entry).toEqual({
      id: idOf(1),
      threadName: 'First',
      updatedAt: '2026-11-21T05:44:21.704000000Z',
    });
    clock.advance(1_001);
    await appendThreadName({ home, threadId: idOf(1), name: 'Second', clock });
    expect(readFileSync(indexPath(home), 'utf8')).toBe(
      `{"id":"${idOf(1)}","thread_name":"First","updated_at":"2026-11-21T05:44:21.704000000Z"}\n` +
        `{"id":"${idOf(1)}","thread_name":"Second","updated_at":"2026-11-21T05:44:22.705000000Z"}\n`,
    );
    expect(await findThreadName({ home, threadId: idOf(1) })).toBe('Second');
  });

  it('keeps sub-millisecond digits a clock may give', async () => {
    const home = temp.make('home');
    // Near the epoch a double still holds microseconds exactly enough.
    const entry = await appendThreadName({
      home,
      threadId: idOf(1),
      name: 'x',
      clock: new ManualClock(1_704.266811),
    });
    expect(entry.updatedAt).toBe('1970-01-01T00:00:01.704266811Z');
  });

  it('trims the name, lowercases the id, keeps unicode as is', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    const upper = idOf(7).toUpperCase();
    const entry = await appendThreadName({
      home,
      threadId: upper,
      name: '  IDE thread ✓ \n',
      clock,
    });
    expect(entry).toMatchObject({ id: idOf(7), threadName: 'IDE thread ✓' });
    expect(readFileSync(indexPath(home), 'utf8')).toContain('"thread_name":"IDE thread ✓"');
    expect(await findThreadName({ home, threadId: upper })).toBe('IDE thread ✓');
  });

  it('refuses an empty name and a bad id, writing nothing', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    const empty = appendThreadName({ home, threadId: idOf(1), name: ' \t\n', clock });
    await expect(empty).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(empty).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      argument: 'name',
      message: 'invalid name: cannot be empty',
    });
    await expect(
      appendThreadName({ home, threadId: 'not-a-uuid', name: 'x', clock }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'threadId' });
    expect(() => statSync(indexPath(home))).toThrow();
    expect(() => normalizeThreadName('')).toThrow(InvalidArgumentError);
  });

  it('never rewrites what is there, and completes a torn last line before appending', async () => {
    const home = temp.make('home');
    const existing = `${line(idOf(1), 'Kept')}\nnot json at all\n{"id":"${idOf(2)}","thread_na`;
    writeFileSync(indexPath(home), existing);
    await appendThreadName({
      home,
      threadId: idOf(2),
      name: 'After',
      clock: new ManualClock(START),
    });
    const text = readFileSync(indexPath(home), 'utf8');
    expect(text.startsWith(existing)).toBe(true);
    expect(text.slice(existing.length)).toMatch(/^\n\{"id":"[^"]+","thread_name":"After",.*\}\n$/);
    expect(await findThreadName({ home, threadId: idOf(2) })).toBe('After');
    expect(await findThreadName({ home, threadId: idOf(1) })).toBe('Kept');
  });
});

describe('lookups', () => {
  it('find nothing when the index is missing', async () => {
    const home = temp.make('home');
    expect(await findThreadName({ home, threadId: idOf(1) })).toBeUndefined();
    expect(await findThreadIdByName({ home, name: 'x' })).toBeUndefined();
    expect(await readThreadNames({ home })).toEqual(new Map());
  });

  it('latest entry wins across many chunks of a large index', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    const latest = new Map<string, string>();
    // 600 renames of 25 threads: about 80 KB, so ~10 chunks of 8192 bytes.
    for (let i = 0; i < 600; i += 1) {
      const id = idOf(i % 25);
      const name = `thread ${i % 25} rename ${i} ${'é'.repeat(i % 17)} ✓`;
      await appendThreadName({ home, threadId: id, name, clock });
      latest.set(id, name);
      clock.advance(7);
    }
    expect(statSync(indexPath(home)).size).toBeGreaterThan(8 * 8192);
    for (const [id, name] of latest) {
      expect(await findThreadName({ home, threadId: id })).toBe(name);
      expect(await findThreadIdByName({ home, name })).toBe(id);
    }
    expect(await readThreadNames({ home })).toEqual(latest);
    // An old name still finds its thread, as in Codex: the latest entry with that name wins.
    expect(await findThreadIdByName({ home, name: 'thread 3 rename 3 ééé ✓' })).toBe(idOf(3));
  });

  it('decodes a multi-byte name split by a chunk boundary, and lines longer than a chunk', async () => {
    const home = temp.make('home');
    const longName = `IDE thread ${'✓'.repeat(3000)}`; // 9 KB: longer than one chunk
    let splitInsideCharacter = false;
    for (let pad = 0; pad < 3; pad += 1) {
      const content = Buffer.from(
        `${line(idOf(9), 'filler')}\n${line(idOf(1), longName)}\n${line(idOf(2), 'x'.repeat(10 + pad))}\n`,
      );
      // The first chunk read is the last 8192 bytes: where it starts, a ✓ may be cut in two.
      const boundaryByte = content[content.length - 8192]!;
      if ((boundaryByte & 0xc0) === 0x80) splitInsideCharacter = true;
      writeFileSync(indexPath(home), content);
      expect(await findThreadName({ home, threadId: idOf(1) })).toBe(longName);
      expect(await findThreadName({ home, threadId: idOf(9) })).toBe('filler');
      expect(await findThreadIdByName({ home, name: longName })).toBe(idOf(1));
    }
    expect(splitInsideCharacter).toBe(true);
  });

  it('read CRLF line endings', async () => {
    const home = temp.make('home');
    const lines = [line(idOf(1), 'one'), line(idOf(2), 'two'), line(idOf(1), 'one again')];
    writeFileSync(indexPath(home), `${lines.join('\r\n')}\r\n`);
    expect(await findThreadName({ home, threadId: idOf(1) })).toBe('one again');
    expect(await findThreadName({ home, threadId: idOf(2) })).toBe('two');
    expect(await findThreadIdByName({ home, name: 'two' })).toBe(idOf(2));
    expect(await readThreadNames({ home })).toEqual(
      new Map([
        [idOf(1), 'one again'],
        [idOf(2), 'two'],
      ]),
    );
  });

  it('skip garbage, incomplete entries, invalid UTF-8 and a truncated last line', async () => {
    const home = temp.make('home');
    const content = Buffer.concat([
      Buffer.from(`${line(idOf(1), 'good')}\n\n   \n`),
      Buffer.from('not json\n[1,2,3]\nnull\n"string"\n'),
      Buffer.from(`{"id":"${idOf(1)}","thread_name":"no updated_at"}\n`),
      Buffer.from(`{"id":"not-a-uuid","thread_name":"bad id","updated_at":"t"}\n`),
      Buffer.from(`{"id":"${idOf(1)}","thread_name":42,"updated_at":"t"}\n`),
      Buffer.from(`{"id":"${idOf(1)}","thread_name":"bad `),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(` bytes","updated_at":"t"}\n`),
      Buffer.from(`${line(idOf(2), 'also good')}\n`),
      Buffer.from(`{"id":"${idOf(1)}","thread_name":"trunc`),
    ]);
    writeFileSync(indexPath(home), content);
    expect(await findThreadName({ home, threadId: idOf(1) })).toBe('good');
    expect(await findThreadName({ home, threadId: idOf(2) })).toBe('also good');
    expect(await findThreadIdByName({ home, name: 'bad id' })).toBeUndefined();
    expect(await readThreadNames({ home })).toEqual(
      new Map([
        [idOf(2), 'also good'],
        [idOf(1), 'good'],
      ]),
    );
  });

  it('treat an empty newest name as no name, and an empty query as no match', async () => {
    const home = temp.make('home');
    writeFileSync(
      indexPath(home),
      `${line(idOf(1), 'was named')}\n${line(idOf(1), '  ')}\n${line(idOf(2), '')}\n`,
    );
    expect(await findThreadName({ home, threadId: idOf(1) })).toBeUndefined();
    expect(await findThreadIdByName({ home, name: 'was named' })).toBe(idOf(1));
    expect(await findThreadIdByName({ home, name: '   ' })).toBeUndefined();
    expect(await readThreadNames({ home })).toEqual(new Map());
  });

  it('resolve a name shared by two threads to the one named last; trim the query', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    await appendThreadName({ home, threadId: idOf(1), name: 'Same', clock });
    await appendThreadName({ home, threadId: idOf(2), name: 'Same', clock });
    await appendThreadName({ home, threadId: idOf(3), name: 'Other', clock });
    expect(await findThreadIdByName({ home, name: ' Same ' })).toBe(idOf(2));
    expect(await findThreadIdByName({ home, name: 'same' })).toBeUndefined();
    // Renaming thread 2 leaves its older entry: it is still the latest entry named 'Same'.
    await appendThreadName({ home, threadId: idOf(2), name: 'Renamed', clock });
    expect(await findThreadIdByName({ home, name: 'Same' })).toBe(idOf(2));
    expect(await findThreadIdByName({ home, name: 'Renamed' })).toBe(idOf(2));
  });

  it('find a thread by a name it had before a rename, as Codex’s find_thread_id_by_name does', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(START);
    await appendThreadName({ home, threadId: idOf(1), name: 'foo', clock });
    await appendThreadName({ home, threadId: idOf(1), name: 'bar', clock });
    expect(await findThreadName({ home, threadId: idOf(1) })).toBe('bar');
    expect(await findThreadIdByName({ home, name: 'bar' })).toBe(idOf(1));
    expect(await findThreadIdByName({ home, name: 'foo' })).toBe(idOf(1));
    // Resolution follows append order (the scan from the end), not `updated_at`.
    writeFileSync(
      indexPath(home),
      `${line(idOf(2), 'target', '2024-01-03T00:00:00Z')}\n${line(idOf(3), 'target', '2024-01-01T00:00:00Z')}\n`,
    );
    expect(await findThreadIdByName({ home, name: 'target' })).toBe(idOf(3));
  });

  it('read the session_index.jsonl that real Codex 0.169.0 wrote, then append to it', async () => {
    const home = temp.make('home');
    const fixture = join(codexFixtureDir('v0.169.0'), 'home', SESSION_INDEX_FILE);
    copyFileSync(fixture, indexPath(home));
    const ide = '01a1fca2-5c8e-74b0-8fda-13bef72eecb4';
    const named = '01a1fca2-6294-7740-8f45-88f4064ebdb3';
    expect(await findThreadName({ home, threadId: ide })).toBe('IDE thread ✓');
    expect(await findThreadName({ home, threadId: named })).toBe('Named before first message');
    expect(await findThreadIdByName({ home, name: 'IDE thread ✓' })).toBe(ide);
    expect(await readThreadNames({ home })).toEqual(
      new Map([
        [named, 'Named before first message'],
        [ide, 'IDE thread ✓'],
      ]),
    );

    const before = readFileSync(indexPath(home));
    await appendThreadName({ home, threadId: ide, name: 'Renamed', clock: new ManualClock(START) });
    const after = readFileSync(indexPath(home));
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    expect(await findThreadName({ home, threadId: ide })).toBe('Renamed');
    expect(await findThreadName({ home, threadId: named })).toBe('Named before first message');
  });
});
