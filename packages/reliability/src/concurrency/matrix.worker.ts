// Child process of concurrency.test.ts: one of 8 processes sharing one home, with a role (record
// sessions, run the backfill then list, list, or run memories stage-1 and phase-2 steps) and a
// fixed number of operations. Every error is counted; busy errors separately.
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { RolloutRecorder, runBackfill } from '@agent-state/rollout';
import {
  LeaseLostError,
  ManualClock,
  type AgentStateStore,
  openStateStore,
} from '@agent-state/state';
import { workerMain } from '@agent-state/test-utils';

import { seededRandom } from '../harness/trials.js';
import {
  ErrorTally,
  type MatrixWorkerArgs,
  type MatrixWorkerResult,
  STAGE1_BATCH,
  STAGE1_CAP,
  paginateAll,
  readBaseline,
} from './matrix-shared.js';

interface State {
  store: AgentStateStore;
  tally: ErrorTally;
  clock: ManualClock;
}

await workerMain<MatrixWorkerArgs, State, MatrixWorkerResult>({
  prepare: async (args) => {
    const tally = new ErrorTally();
    const clock = new ManualClock(
      args.role === 'memories'
        ? args.memoriesNowMs
        : args.role === 'record'
          ? args.recordBaseMs
          : args.memoriesNowMs - 86_400_000,
    );
    const store = await openStateStore({ home: args.home, clock, logger: tally.logger() });
    return { store, tally, clock };
  },
  body: async (state, args) => {
    const result: MatrixWorkerResult = {
      role: args.role,
      index: args.index,
      busy: 0,
      errors: [],
      violations: [],
      checks: 0,
      recorded: [],
      backfillOutcomes: [],
      paginations: [],
      stage1: { passes: 0, claims: [], finished: 0, capRefusals: 0 },
      phase2: { attempts: 0, held: 0, contended: 0, notDirty: 0 },
    };
    const random = seededRandom(args.seed ^ (args.index * 0x9e3779b1));
    const op = async (name: string, run: () => Promise<void>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        state.tally.note(error, `${args.role}[${args.index}] ${name}`);
      }
    };
    if (args.role === 'record') {
      for (let i = 0; i < args.ops; i += 1)
        await op('record', () => recordSession(state, args, i, result));
    } else if (args.role === 'backfill') {
      for (let i = 0; i < args.ops; i += 1) await op('backfill', () => backfill(state, result));
      for (let i = 0; i < args.listOps; i += 1) {
        await op('list', () => paginate(state, args, i, random, result));
      }
    } else if (args.role === 'list') {
      for (let i = 0; i < args.ops; i += 1) {
        await op('list', () => paginate(state, args, i, random, result));
      }
    } else {
      for (let i = 0; i < args.ops; i += 1) {
        if (random() < 0.6) await op('stage1', () => stage1(state, args, result));
        else await op('phase2', () => phase2(state, args, result));
      }
    }
    result.busy = state.tally.busy;
    result.errors = state.tally.errors;
    if (state.tally.others > state.tally.errors.length) {
      result.errors.push(`… ${state.tally.others - state.tally.errors.length} more`);
    }
    return result;
  },
  finish: (state) => state.store.close(),
});

/** One new session: user message, persist (the file and the row appear), the answer, close. */
async function recordSession(
  { store, tally, clock }: State,
  args: MatrixWorkerArgs,
  n: number,
  result: MatrixWorkerResult,
): Promise<void> {
  clock.advance(60_000);
  const recorder = await RolloutRecorder.create({
    home: args.home,
    cwd: join(args.home, 'projects', `project-${args.index}`),
    source: 'cli',
    originator: 'codex_cli_rs',
    cliVersion: '0.100.0',
    modelProvider: 'openai',
    clock,
    logger: tally.logger({ recorder: args.index }),
    store,
  });
  await recorder.record([
    {
      type: 'event_msg',
      payload: {
        type: 'user_message',
        message: `task ${args.index}.${n}`,
        images: [],
        local_images: [],
        text_elements: [],
      },
    },
  ]);
  await recorder.persist();
  result.recorded.push({ id: recorder.threadId, path: recorder.path });
  clock.advance(1_000);
  await recorder.record([
    {
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: `done ${n}` }],
      },
    },
  ]);
  await recorder.close();
}

/** Runs the backfill; a process that finds it held waits until the holder completes it. */
async function backfill({ store }: State, result: MatrixWorkerResult): Promise<void> {
  const { outcome } = await runBackfill({ store, workers: 0, batchSize: 25 });
  result.backfillOutcomes.push(outcome);
  result.checks += 1;
  if (!['complete', 'already-complete', 'held'].includes(outcome)) {
    result.violations.push(`backfill outcome ${outcome}`);
  }
  if (outcome !== 'held') return;
  const deadline = Date.now() + 40_000;
  while ((await store.backfill.get()).status !== 'complete') {
    if (Date.now() > deadline) {
      result.violations.push('backfill held but never completed');
      return;
    }
    await sleep(5);
  }
}

/** One full pagination, from the store (files while the backfill runs) or from the files. */
async function paginate(
  { store, tally }: State,
  args: MatrixWorkerArgs,
  n: number,
  random: () => number,
  result: MatrixWorkerResult,
): Promise<void> {
  const fromFiles = n % 2 === 1;
  const check = await paginateAll(
    {
      home: args.home,
      store: fromFiles ? null : store,
      pageSize: 3 + Math.floor(random() * 20),
      logger: tally.logger({ lister: args.index }),
    },
    readBaseline(args.baselineFile),
    `${args.role}[${args.index}] pagination ${n} (${fromFiles ? 'files' : 'store'})`,
  );
  result.checks += check.checks;
  result.violations.push(...check.violations);
  result.paginations.push({ pages: check.pages, items: check.ids.length, sources: check.sources });
}

/** One stage-1 pass under the small cap: claim, heartbeat, "extract", succeed each job. */
async function stage1(
  { store }: State,
  args: MatrixWorkerArgs,
  result: MatrixWorkerResult,
): Promise<void> {
  const workerId = `memories-${args.index}`;
  const claims = await store.stage1Jobs.claimEligible({
    workerId,
    scanLimit: 500,
    maxClaimed: STAGE1_BATCH,
    maxAgeDays: 30,
    minIdleHours: 12,
    leaseSeconds: 3600,
    maxRunning: STAGE1_CAP,
  });
  result.stage1.passes += 1;
  if (claims.length < STAGE1_BATCH) result.stage1.capRefusals += 1;
  const running = (await store.memories.jobCounts()).stage1.running;
  result.checks += 1;
  if (running > STAGE1_CAP)
    result.violations.push(`${running} stage-1 jobs running (cap ${STAGE1_CAP})`);
  for (const claim of claims) {
    result.stage1.claims.push({ threadId: claim.thread.id, token: claim.ownershipToken });
  }
  // The "model call": the jobs stay held a moment, so the processes' jobs overlap.
  await sleep(2);
  for (const { thread, ownershipToken } of claims) {
    result.checks += 2;
    const held = await renewed(
      store.stage1Jobs.heartbeat({ threadId: thread.id, ownershipToken, leaseSeconds: 3600 }),
    );
    // Every clock is fixed and every lease live: nobody may have taken a job over.
    if (!held) result.violations.push(`stage-1 lease of ${thread.id} lost at heartbeat`);
    const done = await store.stage1Jobs.markSucceeded({
      threadId: thread.id,
      ownershipToken,
      sourceUpdatedAt: thread.updatedAt,
      rawMemory: `raw ${thread.id}`,
      rolloutSummary: `summary ${thread.id}`,
      rolloutSlug: null,
    });
    if (done) result.stage1.finished += 1;
    else result.violations.push(`stage-1 lease of ${thread.id} lost at success`);
  }
}

/** Whether a heartbeat renewed its lease (false: `LeaseLostError`, the lease was lost). */
async function renewed(heartbeat: Promise<number>): Promise<boolean> {
  try {
    await heartbeat;
    return true;
  } catch (error) {
    if (error instanceof LeaseLostError) return false;
    throw error;
  }
}

/** One phase-2 attempt: take the global lock, hold it (heartbeats), release it. */
async function phase2(
  { store }: State,
  args: MatrixWorkerArgs,
  result: MatrixWorkerResult,
): Promise<void> {
  const workerId = `memories-${args.index}`;
  result.phase2.attempts += 1;
  let claim = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
  if (claim.outcome === 'not-dirty') {
    result.phase2.notDirty += 1;
    // New input arrived (as a stage-1 success would say): consolidate again.
    await store.phase2Lock.enqueue(Math.floor(args.memoriesNowMs / 1000));
    claim = await store.phase2Lock.tryClaim({ workerId, leaseSeconds: 3600 });
  }
  if (claim.outcome === 'running') result.phase2.contended += 1;
  if (claim.outcome !== 'claimed') return;
  result.phase2.held += 1;
  result.checks += 1;
  let fd: number;
  try {
    fd = openSync(args.phase2Marker, 'wx');
  } catch (error) {
    result.violations.push(
      `phase-2 lock claimed while another holder's marker exists: ${String(error)}`,
    );
    return;
  }
  writeSync(fd, `${process.pid} ${claim.ownershipToken}`);
  closeSync(fd);
  for (let beat = 0; beat < 2; beat += 1) {
    await sleep(2);
    result.checks += 1;
    const held = await renewed(
      store.phase2Lock.heartbeat({ ownershipToken: claim.ownershipToken, leaseSeconds: 3600 }),
    );
    if (!held) result.violations.push('phase-2 lock lost at heartbeat');
  }
  unlinkSync(args.phase2Marker);
  result.checks += 1;
  const released = await store.phase2Lock.markSucceeded({
    ownershipToken: claim.ownershipToken,
    completedWatermark: claim.inputWatermark,
  });
  if (!released) result.violations.push('phase-2 lock lost at release');
}
