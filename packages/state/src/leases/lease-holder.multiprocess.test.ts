import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { forkScript, runWorkers, tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { ManualClock } from '../clock.js';
import { stateDbPath } from '../paths/home.js';
import { openStateStore } from '../store/state-store.js';
import { buildThreadMetadata } from '../threads/thread-metadata.js';
import type { LeaseClaimWorkerArgs, LeaseKind } from './lease-claim.worker.js';
import type { LeaseHolderWorkerArgs } from './lease-holder.worker.js';

const HOLDER = fileURLToPath(new URL('./lease-holder.worker.ts', import.meta.url));
const CLAIMANT = fileURLToPath(new URL('./lease-claim.worker.ts', import.meta.url));
const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const THREAD_ID = '01a1fca2-0000-7000-8000-000000000001';
const SOURCE_UPDATED_AT = NOW - 13 * 3600;
const CLAIMANTS = 4;
const KINDS: LeaseKind[] = ['backfill', 'stage1', 'phase2'];
const temp = tempDirs();
const holders: Array<ReturnType<typeof forkScript>> = [];
afterEach(() => {
  for (const holder of holders.splice(0)) {
    if (holder.process.exitCode === null && holder.process.signalCode === null) {
      holder.process.kill('SIGKILL');
    }
  }
  temp.cleanup();
});

/** A home with one idle thread and a dirty phase-2 job: each lease is there to claim. */
async function seededHome(): Promise<string> {
  const home = temp.make('home');
  const store = await openStateStore({ home, clock: new ManualClock(T0) });
  await store.threads.upsert({
    ...buildThreadMetadata(
      { id: THREAD_ID, rolloutPath: '/r/1.jsonl', createdAt: SOURCE_UPDATED_AT, source: 'cli' },
      { defaultProvider: 'openai' },
    ),
    firstUserMessage: 'hello',
  });
  await store.phase2Lock.enqueue(100);
  await store.close();
  return home;
}

/** Starts a real process that takes the lease of `kind` and holds it without renewing it. */
async function startHolder(home: string, kind: LeaseKind): Promise<ReturnType<typeof forkScript>> {
  const args: LeaseHolderWorkerArgs = {
    home,
    nowMs: T0,
    kind,
    threadId: THREAD_ID,
    sourceUpdatedAt: SOURCE_UPDATED_AT,
  };
  const holder = forkScript(HOLDER, args);
  holders.push(holder);
  const outcome = await new Promise<string>((resolve, reject) => {
    holder.process.once('message', (message: { outcome: string }) => resolve(message.outcome));
    void holder.exited.then(() => reject(new Error(`holder exited: ${holder.stderr()}`)));
  });
  expect(outcome).toBe('claimed');
  return holder;
}

/** Several processes try to claim the lease of `kind` at once, at the holder's own time. */
async function race(home: string, kind: LeaseKind, round: string): Promise<string[]> {
  const barrier = join(home, `race-${round}.log`);
  const outcomes = await runWorkers<string>({
    script: CLAIMANT,
    count: CLAIMANTS,
    args: (index): LeaseClaimWorkerArgs => ({
      home,
      nowMs: T0,
      kind,
      threadId: THREAD_ID,
      sourceUpdatedAt: SOURCE_UPDATED_AT,
      index,
      count: CLAIMANTS,
      barrier,
    }),
    timeoutMs: 60_000,
  });
  return outcomes.map((o) => o.value).sort();
}

const busy = (kind: LeaseKind): string => (kind === 'backfill' ? 'held' : 'running');

/** Rewrites the holder's recorded start time in the lease's row. */
function recordOtherStartTime(home: string, kind: LeaseKind): void {
  const db = new Database(stateDbPath(home));
  try {
    db.pragma('busy_timeout = 5000');
    const table = kind === 'backfill' ? 'backfill_state' : 'jobs';
    const where =
      kind === 'backfill'
        ? 'id = 1'
        : `kind = '${kind === 'stage1' ? 'memory_stage1' : 'memory_consolidate_global'}'`;
    const changed = db
      .prepare(`UPDATE ${table} SET holder_started_at = 'linux:an-earlier-boot:42' WHERE ${where}`)
      .run().changes;
    expect(changed).toBe(1);
  } finally {
    db.close();
  }
}

describe('lease holders across real processes (the clock never moves)', () => {
  it.each(KINDS)(
    '%s: a live holder is never taken over; once SIGKILLed, exactly one process takes over at once',
    async (kind) => {
      const home = await seededHome();
      const holder = await startHolder(home, kind);
      expect(await race(home, kind, 'live')).toEqual(Array<string>(CLAIMANTS).fill(busy(kind)));

      holder.process.kill('SIGKILL');
      expect((await holder.exited).signal).toBe('SIGKILL');
      expect(await race(home, kind, 'dead')).toEqual(
        ['claimed', ...Array<string>(CLAIMANTS - 1).fill(busy(kind))].sort(),
      );
    },
    120_000,
  );

  it.each(KINDS)(
    '%s: a holder whose pid now belongs to a process that started at another time is dead',
    async (kind) => {
      const home = await seededHome();
      // The holder's pid stays alive, but the row says its holder started at another time: the
      // pid was reused since the holder died.
      await startHolder(home, kind);
      recordOtherStartTime(home, kind);
      expect(await race(home, kind, 'reused')).toEqual(
        ['claimed', ...Array<string>(CLAIMANTS - 1).fill(busy(kind))].sort(),
      );
    },
    120_000,
  );
});
