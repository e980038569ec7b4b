import { appendFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

import { type Transcript, loadTranscript } from '@agent-state/rollout';
import { tempDirs } from '@agent-state/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ECHO_THREAD_ID, fixtureHome } from '../testing/fixture-home.js';
import { TRANSCRIPT_CACHE_SIZE, TranscriptCache } from './transcript-cache.js';

const temp = tempDirs();
let echo: Transcript;

beforeAll(async () => {
  const home = await fixtureHome(temp, { backfill: false });
  echo = await loadTranscript({ home, id: ECHO_THREAD_ID, repair: false });
});
afterAll(() => temp.cleanup());

/** A copy of the echo thread's transcript read from its own copy of the rollout. */
function transcriptAt(directory: string, id: string): Transcript {
  const path = join(directory, `${id}.jsonl`);
  copyFileSync(echo.thread.rolloutPath, path);
  return { ...echo, thread: { ...echo.thread, id, rolloutPath: path } };
}

/** A loader that counts its calls. */
function counting(transcript: Transcript) {
  const loader = {
    calls: 0,
    load: async (): Promise<Transcript> => {
      loader.calls += 1;
      return transcript;
    },
  };
  return loader;
}

describe('TranscriptCache', () => {
  it('reads a transcript once while its rollout does not change', async () => {
    const cache = new TranscriptCache();
    const transcript = transcriptAt(temp.make('cache'), 'a');
    const loader = counting(transcript);
    expect(await cache.get('a', loader.load)).toBe(transcript);
    expect(await cache.get('a', loader.load)).toBe(transcript);
    expect(loader.calls).toBe(1);
    appendFileSync(transcript.thread.rolloutPath, '\n');
    await cache.get('a', loader.load);
    expect(loader.calls).toBe(2);
    await cache.get('a', loader.load);
    expect(loader.calls).toBe(2);
  });

  it('reads a fork each time (its parents may change without it)', async () => {
    const cache = new TranscriptCache();
    const transcript = transcriptAt(temp.make('cache'), 'fork');
    transcript.thread.forkedFrom = { threadId: 'parent', byReference: true, resolved: true };
    const loader = counting(transcript);
    await cache.get('fork', loader.load);
    await cache.get('fork', loader.load);
    expect(loader.calls).toBe(2);
  });

  it(`keeps the last used up to its capacity (${TRANSCRIPT_CACHE_SIZE} by default)`, async () => {
    const cache = new TranscriptCache(2);
    const directory = temp.make('cache');
    const loaders = new Map(
      ['a', 'b', 'c'].map((id) => [id, counting(transcriptAt(directory, id))] as const),
    );
    const get = (id: string) => cache.get(id, loaders.get(id)!.load);
    await get('a');
    await get('b');
    await get('a'); // a is now the most recently used
    await get('c'); // b goes
    await get('a');
    await get('b');
    expect([...loaders.values()].map((loader) => loader.calls)).toEqual([1, 2, 1]);
  });
});
