import { readFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';

import { ManualClock, noopLogger } from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { RolloutItemInput } from './persistence-policy.js';
import { RolloutRecorder } from './rollout-recorder.js';

// Every file handle the recorder opens writes through a gate the test holds shut: a slow disk.
const disk = vi.hoisted(() => ({ gate: undefined as Promise<void> | undefined, writes: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
      (handle as { write: unknown }).write = async (...a: unknown[]) => {
        disk.writes += 1;
        await disk.gate;
        return write(...a);
      };
      return handle;
    },
  };
});

const temp = tempDirs();
afterEach(() => {
  disk.gate = undefined;
  temp.cleanup();
});

/** Lets pending promise callbacks and I/O run a few times over. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

function message(n: number): RolloutItemInput {
  return { type: 'event_msg', payload: { type: 'agent_message', message: `message ${n}` } };
}

describe('RolloutRecorder: backpressure', () => {
  it('makes record() wait while queueCapacity batches are pending behind a slow write', async () => {
    const recorder = await RolloutRecorder.create({
      home: temp.make('home'),
      cwd: '/home/me/src/app',
      source: 'cli',
      originator: 'codex_cli_rs',
      cliVersion: '0.100.0',
      modelProvider: 'openai',
      clock: new ManualClock(Date.parse('2026-11-21T05:44:05.234Z')),
      logger: noopLogger,
      queueCapacity: 2,
    });
    await recorder.persist();
    expect(disk.writes).toBe(1);

    let release!: () => void;
    disk.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const accepted: number[] = [];
    const calls = [1, 2, 3, 4].map((n) =>
      recorder.record([message(n)]).then(() => accepted.push(n)),
    );
    await settle();
    // Batch 1 is stuck in its write, batch 2 waits behind it: the queue is full, 3 and 4 wait.
    expect(disk.writes).toBe(2);
    expect(accepted).toEqual([1, 2]);
    expect(readFileSync(recorder.path, 'utf8').split('\n')).toHaveLength(2); // session_meta only

    release();
    await Promise.all(calls);
    expect(accepted).toEqual([1, 2, 3, 4]);
    await recorder.close();

    const lines = readFileSync(recorder.path, 'utf8').trimEnd().split('\n');
    expect(
      lines.slice(1).map((line) => (JSON.parse(line) as { payload: unknown }).payload),
    ).toEqual([1, 2, 3, 4].map((n) => message(n).payload));
    expect(disk.writes).toBe(5); // one write call per batch
  });
});
