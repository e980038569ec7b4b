import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ManualClock, noopLogger, openStateStore } from '@agent-state/state';
import { runWorkers, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { loadRollout } from '../reader/rollout-reader.js';
import type { RolloutItemInput } from './persistence-policy.js';
import type { CrashWorkerArgs, CrashWorkerInfo } from '../../test/rollout-crash.worker.js';
import { RolloutRecorder } from './rollout-recorder.js';
import { crashTurn } from '../../test/sample-session.js';

const WORKER = fileURLToPath(new URL('../../test/rollout-crash.worker.ts', import.meta.url));
const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Polls `probe` every 10 ms until it returns a value; fails after `timeoutMs`. */
async function poll<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The first `count` items of the worker's endless session. */
function expectedItems(count: number): RolloutItemInput[] {
  const items: RolloutItemInput[] = [];
  for (let turn = 0; items.length < count; turn += 1) items.push(...crashTurn(turn));
  return items.slice(0, count);
}

describe('RolloutRecorder: a writer killed with SIGKILL', () => {
  it('loses at most the line being written; every complete line reads back and extraction works', async () => {
    const home = temp.make('home');
    const infoPath = join(home, 'worker.json');
    const run = runWorkers<never>({
      script: WORKER,
      count: 1,
      args: (): CrashWorkerArgs => ({ home, infoPath }),
      timeoutMs: 60_000,
    });
    const outcome = run.then(
      () => 'finished',
      (error: Error) => error.message,
    );

    const info = await poll('the worker to persist its rollout', () =>
      existsSync(infoPath)
        ? (JSON.parse(readFileSync(infoPath, 'utf8')) as CrashWorkerInfo)
        : undefined,
    );
    // Kill it in full flight, once it has written a few hundred KiB.
    await poll('the rollout to grow', () =>
      statSync(info.path).size > 300 * 1024 ? true : undefined,
    );
    process.kill(info.pid, 'SIGKILL');
    expect(await outcome).toMatch(/signal SIGKILL/);

    const { entries, issues, issueCount } = await loadRollout(info.path);
    const lineCount = readFileSync(info.path, 'utf8').split('\n').length;
    expect(issueCount).toBeLessThanOrEqual(1);
    for (const issue of issues) {
      expect(issue.kind).toBe('truncated');
      expect(issue.line).toBe(lineCount); // only ever the last line
    }
    expect(entries[0]?.line.type).toBe('session_meta');
    const items = entries.slice(1).map(({ line }) => ({ type: line.type, payload: line.payload }));
    expect(items.length).toBeGreaterThan(100);
    expect(items).toEqual(expectedItems(items.length)); // in order, no gap, nothing invented

    const { metadata } = extractRolloutMetadata(info.path, { defaultProvider: 'openai' });
    const lastTokens = entries
      .map(({ line }) => line)
      .filter((line) => line.type === 'event_msg' && line.payload.type === 'token_count')
      .at(-1);
    expect(metadata).toMatchObject({
      id: info.threadId,
      title: 'RUN: step 0',
      firstUserMessage: 'RUN: step 0',
      tokensUsed: (lastTokens?.payload as { info: { total_token_usage: { total_tokens: number } } })
        .info.total_token_usage.total_tokens,
      sandboxPolicy: '{"type":"read-only"}',
      approvalMode: 'never',
    });

    // The store survived too, and resuming the crashed rollout appends intact lines.
    const clock = new ManualClock(Date.now());
    const store = await openStateStore({ home, clock });
    try {
      expect(await store.threads.get(info.threadId)).toMatchObject({ title: 'RUN: step 0' });
      const resumed = await RolloutRecorder.resume({
        path: info.path,
        store,
        clock,
        logger: noopLogger,
      });
      await resumed.record(crashTurn(999_999));
      await resumed.close();
      const after = await loadRollout(info.path);
      expect(after.entries.length).toBe(entries.length + crashTurn(0).length);
      expect(after.issueCount).toBe(issueCount); // a cut line stays the only bad one
      const extracted = extractRolloutMetadata(info.path, { defaultProvider: 'openai' });
      expect(await store.threads.get(info.threadId)).toEqual(extracted.metadata);
    } finally {
      await store.close();
    }
  });
});
