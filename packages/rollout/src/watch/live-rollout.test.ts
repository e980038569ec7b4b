import { appendFileSync, copyFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { LiveRollout } from './live-rollout.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const message = (text: string) =>
  JSON.stringify({
    timestamp: '2026-12-07T10:00:00.000Z',
    type: 'event_msg',
    payload: { type: 'user_message', message: text, images: [] },
  });

function rollout(): string {
  const home = copyCodexHome('v0.169.0', temp.make('home'));
  const day = join(home, 'sessions', '2026', '11', '21');
  return join(
    day,
    readdirSync(day).find((name) => name.endsWith('.jsonl'))!,
  );
}

describe('LiveRollout', () => {
  it('reads only complete appended lines, numbering them after those read before', async () => {
    const path = rollout();
    const live = await LiveRollout.open(path);
    const linesAtOpen = live.lines;
    expect(linesAtOpen).toBeGreaterThan(10);

    // Half a line (a writer mid-write) is left for later.
    const line = message('zebrafish');
    appendFileSync(path, line.slice(0, 20));
    await expect(live.readAppended()).resolves.toEqual([]);
    appendFileSync(path, `${line.slice(20)}\nnot json\n\n${message('quagga')}\n`);
    const lines = await live.readAppended();
    expect(lines?.map((entry) => (entry.payload as { message: string }).message)).toEqual([
      'zebrafish',
      'quagga',
    ]);
    expect(live.lines).toBe(linesAtOpen + 4);
    const documents = live.derived.records()['search'] as Array<{ line: number; text: string }>;
    expect(documents.find((doc) => doc.text.includes('quagga'))?.line).toBe(linesAtOpen + 4);
  });

  it('says when the file is no longer the one it followed', async () => {
    const path = rollout();
    const live = await LiveRollout.open(path);
    const copy = `${path}.copy`;
    copyFileSync(path, copy);
    renameSync(copy, path); // replaced (another inode)
    await expect(live.readAppended()).resolves.toBeUndefined();
    const shorter = await LiveRollout.open(path);
    writeFileSync(path, `${message('truncated')}\n`);
    await expect(shorter.readAppended()).resolves.toBeUndefined();
  });
});
