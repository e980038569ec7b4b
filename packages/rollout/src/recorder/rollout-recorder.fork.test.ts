import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ErrorCode, ManualClock, type StateStore, openStateStore } from '@agent-state/state';
import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { RolloutFileError } from '../errors.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { findRolloutFileById } from '../paths/find-rollout-file.js';
import { loadRollout } from '../reader/rollout-reader.js';
import { RolloutRecorder } from './rollout-recorder.js';

const T0 = Date.parse('2026-11-22T08:00:00.000Z');
/** A 0.100 thread with a command run (36 lines, exec events included). */
const PARENT = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
const FORK = '01a1fca2-aaaa-7bbb-8ccc-dddddddddddd';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

type Line = { timestamp: string; type: string; payload: Record<string, unknown> };
const linesOf = (path: string): Line[] =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((text) => JSON.parse(text) as Line);

async function parentPath(home: string, id = PARENT): Promise<string> {
  const path = await findRolloutFileById({ home, id });
  if (!path) throw new Error(`no rollout for ${id}`);
  return path;
}

describe('RolloutRecorder.fork', () => {
  it("forks a real Codex thread: its own session_meta, then the parent's lines; the parent is untouched", async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const parent = await parentPath(home);
    const parentBytes = readFileSync(parent);
    const parentMtime = statSync(parent).mtimeMs;
    const clock = new ManualClock(T0);
    const store = await openStateStore({ home, clock });
    stores.push(store);

    const fork = await RolloutRecorder.fork({
      home,
      parentPath: parent,
      threadId: FORK,
      store,
      clock,
    });
    expect(fork.persisted).toBe(true);
    expect(fork.threadId).toBe(FORK);

    const lines = linesOf(fork.path);
    const parentLines = linesOf(parent);
    const [meta, ...copied] = lines;
    expect(meta?.type).toBe('session_meta');
    expect(meta?.payload).toMatchObject({
      id: FORK,
      forked_from_id: PARENT,
      timestamp: new Date(T0).toISOString(),
      cwd: parentLines[0]?.payload.cwd,
      originator: parentLines[0]?.payload.originator,
      cli_version: parentLines[0]?.payload.cli_version,
      source: parentLines[0]?.payload.source,
      model_provider: parentLines[0]?.payload.model_provider,
    });
    // The parent's lines follow in order (its session_meta included), each payload as it was.
    expect(copied.map((line) => [line.type, line.payload])).toEqual(
      parentLines.map((line) => [line.type, line.payload]),
    );
    expect(copied.every((line) => line.timestamp === new Date(T0).toISOString())).toBe(true);

    expect(readFileSync(parent).equals(parentBytes)).toBe(true);
    expect(statSync(parent).mtimeMs).toBe(parentMtime);

    // Readers see the fork as its own thread; the store row equals a fresh extraction.
    const read = await loadRollout(fork.path);
    expect(read.sessionMeta?.id).toBe(FORK);
    expect(read.issueCount).toBe(0);
    const row = await store.threads.get(FORK);
    const extracted = extractRolloutMetadata(fork.path, { defaultProvider: 'openai' }).metadata;
    expect(row).toEqual({ ...extracted, updatedAt: row?.updatedAt });
    expect(row?.firstUserMessage).toBe(
      extractRolloutMetadata(parent, { defaultProvider: 'openai' }).metadata.firstUserMessage,
    );
    expect(row?.firstUserMessage).not.toBe('');

    // The conversation goes on in the fork.
    clock.advance(60_000);
    await fork.record([{ type: 'event_msg', payload: { type: 'agent_message', message: 'On.' } }]);
    await fork.close();
    expect(linesOf(fork.path).at(-1)?.payload).toEqual({ type: 'agent_message', message: 'On.' });
    expect(readFileSync(parent).equals(parentBytes)).toBe(true);
  });

  it('a fork of a fork names its own parent and carries every session_meta before it', async () => {
    const home = copyCodexHome('v0.100.0', temp.make('home'));
    const parent = await parentPath(home);
    const clock = new ManualClock(T0);
    const first = await RolloutRecorder.fork({ home, parentPath: parent, clock });
    await first.close();
    clock.advance(1_000);
    const second = await RolloutRecorder.fork({ home, parentPath: first.path, clock });
    await second.close();
    const metas = linesOf(second.path)
      .filter((line) => line.type === 'session_meta')
      .map((line) => [line.payload.id, line.payload.forked_from_id]);
    expect(metas).toEqual([
      [second.threadId, first.threadId],
      [first.threadId, PARENT],
      [PARENT, undefined],
    ]);
    expect(linesOf(second.path)).toHaveLength(linesOf(parent).length + 2);
  });

  it('forks a Codex 0.169 paginated rollout into the legacy format both versions read', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const sessions = join(home, 'sessions');
    const parent = readdirSync(sessions, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => join(sessions, name))
      .sort()[0];
    if (!parent) throw new Error('no 0.169 rollout');
    const clock = new ManualClock(T0);
    const fork = await RolloutRecorder.fork({ home, parentPath: parent, clock, originator: 'me' });
    await fork.close();
    const lines = linesOf(fork.path);
    expect(lines.every((line) => !('ordinal' in line))).toBe(true);
    expect(lines.some((line) => line.type === 'world_state')).toBe(false);
    // 0.169 records user messages as item_completed events: they come along.
    expect(lines.some((line) => line.payload.type === 'item_completed')).toBe(true);
    expect(lines[0]?.payload).toMatchObject({ originator: 'me', cli_version: '0.169.0' });
    const forked = extractRolloutMetadata(fork.path, { defaultProvider: 'openai' }).metadata;
    const original = extractRolloutMetadata(parent, { defaultProvider: 'openai' }).metadata;
    expect(forked.id).toBe(fork.threadId);
    expect(forked.firstUserMessage).toBe(original.firstUserMessage);
    expect(forked.cwd).toBe(original.cwd);
  });

  it('refuses a parent it cannot read or that names no thread, and creates nothing', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const missing = join(home, 'sessions', 'missing.jsonl');
    await expect(RolloutRecorder.fork({ home, parentPath: missing, clock })).rejects.toMatchObject({
      code: ErrorCode.RolloutUnreadable,
      path: missing,
    });
    const nameless = join(home, 'nameless.jsonl');
    writeFileSync(
      nameless,
      '{"timestamp":"t","type":"event_msg","payload":{"type":"agent_message","message":"x"}}\n',
    );
    const error: unknown = await RolloutRecorder.fork({ home, parentPath: nameless, clock }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RolloutFileError);
    expect(error).toMatchObject({ code: ErrorCode.RolloutInvalid, path: nameless });
    expect(existsSync(join(home, 'sessions'))).toBe(false);
  });
});
