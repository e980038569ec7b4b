// The concurrency matrix: 8 real processes share one home at the same time (2 record sessions,
// 2 run the backfill then list, 1 lists, 3 claim stage-1 jobs and take the phase-2 lock) while
// this process observes the store and checks the invariants throughout and at the end.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { RolloutRecorder, runBackfill } from '@agent-state/rollout';
import { ManualClock, type StateStore, openStateStore } from '@agent-state/state';
import { generateCorpus, runWorkers, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import {
  ErrorTally,
  type MatrixWorkerArgs,
  type MatrixWorkerResult,
  ROLES,
  STAGE1_CAP,
  paginateAll,
} from './matrix-shared.js';

const WORKER = fileURLToPath(new URL('./matrix.worker.ts', import.meta.url));
const MATRIX = 'concurrency/one-home-8-processes';
const temp = tempDirs();
afterEach(() => temp.cleanup());

interface Observation {
  checks: number;
  polls: number;
  maxRunning: number;
  violations: string[];
}

/** Polls the store until `done` settles: the invariants that must hold at every instant. */
async function observe(
  store: StateStore,
  tally: ErrorTally,
  done: () => boolean,
): Promise<Observation> {
  const o: Observation = { checks: 0, polls: 0, maxRunning: 0, violations: [] };
  let lastCount = 0;
  let complete = false;
  while (!done()) {
    try {
      const counts = await store.memories.jobCounts();
      o.maxRunning = Math.max(o.maxRunning, counts.stage1.running);
      o.checks += 1;
      if (counts.stage1.running > STAGE1_CAP) {
        o.violations.push(`observer: ${counts.stage1.running} stage-1 jobs running`);
      }
      const count = await store.threads.count();
      o.checks += 1;
      // No rollout is ever removed, so no row may ever disappear.
      if (count < lastCount) o.violations.push(`observer: threads went ${lastCount} -> ${count}`);
      lastCount = count;
      const { status } = await store.backfill.get();
      o.checks += 1;
      if (complete && status !== 'complete') {
        o.violations.push(`observer: backfill went from complete to ${status}`);
      }
      complete ||= status === 'complete';
      o.polls += 1;
    } catch (error) {
      tally.note(error, 'observer');
    }
    await sleep(3);
  }
  return o;
}

interface Round {
  checks: number;
  summary: string;
}

async function runRound(round: number, matrixSeed: number, scale: number): Promise<Round> {
  const random = seededRandom(matrixSeed + round);
  const roundSeed = Math.floor(random() * 2 ** 31);
  const home = temp.make('home');
  const nowMs = Date.now();
  const memoriesNowMs = nowMs + 86_400_000;
  const corpus = generateCorpus({ home, count: 80 + Math.floor(random() * 80), seed: roundSeed });

  const tally = new ErrorTally();
  const store = await openStateStore({
    home,
    clock: new ManualClock(memoriesNowMs),
    logger: tally.logger(),
  });
  let checks = 0;
  try {
    // Sessions recorded before the race: rows in the store (the backfill has not run), so stage-1
    // has work from the start.
    const preClock = new ManualClock(nowMs - 6 * 3600_000);
    const preRecorded: Array<{ id: string; path: string }> = [];
    for (let i = 0; i < 12; i += 1) {
      preClock.advance(60_000);
      const recorder = await RolloutRecorder.create({
        home,
        cwd: join(home, 'projects', 'pre'),
        source: 'cli',
        originator: 'codex_cli_rs',
        cliVersion: '0.100.0',
        modelProvider: 'openai',
        clock: preClock,
        store,
      });
      await recorder.record([
        {
          type: 'event_msg',
          payload: {
            type: 'user_message',
            message: `earlier task ${i}`,
            images: [],
            local_images: [],
            text_elements: [],
          },
        },
      ]);
      await recorder.persist();
      await recorder.close();
      preRecorded.push({ id: recorder.threadId, path: recorder.path });
    }
    for (const { id, path } of preRecorded) {
      expect((await store.threads.get(id))?.rolloutPath, 'pre-recorded').toBe(path);
    }

    // What every full pagination must return at least: every listable thread before the race,
    // from the files, and from a store filled by a backfill of a copy of the rollouts.
    const files = await paginateAll({ home, store: null, pageSize: 50 }, null, 'baseline');
    const scratch = temp.make('scratch');
    for (const dir of ['sessions', 'archived_sessions']) {
      if (existsSync(join(home, dir)))
        cpSync(join(home, dir), join(scratch, dir), { recursive: true });
    }
    const scratchStore = await openStateStore({ home: scratch });
    expect((await runBackfill({ store: scratchStore, workers: 0 })).outcome).toBe('complete');
    const stored = await paginateAll(
      { home: scratch, store: scratchStore, pageSize: 50 },
      null,
      'b',
    );
    await scratchStore.close();
    expect([...files.violations, ...stored.violations]).toEqual([]);
    expect(stored.ids.length).toBeGreaterThan(12);
    const baselineFile = join(temp.make('baseline'), 'baseline.json');
    writeFileSync(baselineFile, JSON.stringify({ files: files.ids, store: stored.ids }));
    const phase2Marker = join(temp.make('marker'), 'phase2.holder');

    const opsOf: Record<MatrixWorkerArgs['role'], number> = {
      record: 6 * scale,
      backfill: 2 * scale,
      list: 4 * scale,
      memories: 14 * scale,
    };
    let finished = false;
    const run = runWorkers<MatrixWorkerResult>({
      script: WORKER,
      count: ROLES.length,
      args: (index): MatrixWorkerArgs => {
        const role = ROLES[index] ?? 'list';
        return {
          home,
          role,
          index,
          seed: roundSeed,
          ops: opsOf[role],
          listOps: 2 * scale,
          memoriesNowMs,
          recordBaseMs: nowMs - 3 * 3600_000 + index * 3600_000,
          baselineFile,
          phase2Marker,
        };
      },
      timeoutMs: 55_000,
    }).finally(() => {
      finished = true;
    });
    run.catch(() => undefined); // awaited below
    const observation = await observe(store, tally, () => finished);
    const results = (await run).map((o) => o.value);
    checks += observation.checks;

    const context = `round ${round} (seed ${matrixSeed}, AGENT_STATE_SEED=${matrixSeed} to replay)`;
    // Live invariants: the observer's and each process's.
    expect(observation.violations, context).toEqual([]);
    expect(observation.polls, context).toBeGreaterThan(0);
    for (const r of results) {
      checks += r.checks + 2;
      expect(r.violations, `${context} ${r.role}[${r.index}]`).toEqual([]);
      expect({ busy: r.busy, errors: r.errors }, `${context} ${r.role}[${r.index}]`).toEqual({
        busy: 0,
        errors: [],
      });
    }
    checks += 1;
    expect({ busy: tally.busy, errors: tally.errors }, `${context} observer`).toEqual({
      busy: 0,
      errors: [],
    });

    // The backfill: exactly one process did the work, everyone saw it complete.
    const outcomes = results.flatMap((r) => r.backfillOutcomes);
    checks += 2;
    expect(
      outcomes.filter((o) => o === 'complete'),
      context,
    ).toHaveLength(1);
    expect((await store.backfill.get()).status, context).toBe('complete');

    // Every recorded session, every rollout of the corpus is in the store, at its path.
    const recorded = [...preRecorded, ...results.flatMap((r) => r.recorded)];
    checks += 1;
    expect(recorded, context).toHaveLength(12 + 2 * opsOf.record);
    const rows = new Map(
      (
        await store.threads.getMany([
          ...recorded.map((s) => s.id),
          ...corpus.files.map((f) => f.id),
        ])
      ).map((t) => [t.id, t]),
    );
    for (const session of [...recorded, ...corpus.files]) {
      checks += 1;
      expect(rows.get(session.id)?.rolloutPath, `${context} ${session.id}`).toBe(session.path);
    }
    checks += 1;
    expect(await store.threads.count(), context).toBe(recorded.length + corpus.files.length);

    // Stage 1: the cap was reached (else the race proved nothing), every claim was finished.
    const stage1 = results.map((r) => r.stage1);
    const claims = stage1.flatMap((s) => s.claims);
    checks += 5;
    expect(claims.length, context).toBeGreaterThan(STAGE1_CAP);
    expect(new Set(claims.map((c) => c.token)).size, context).toBe(claims.length);
    expect(
      stage1.reduce((sum, s) => sum + s.finished, 0),
      context,
    ).toBe(claims.length);
    const counts = await store.memories.jobCounts();
    expect(counts.stage1.running, context).toBe(0);
    expect(counts.stage1.done, context).toBe(new Set(claims.map((c) => c.threadId)).size);

    // Phase 2: the lock was taken (and contended) and is released at the end.
    const phase2 = results.map((r) => r.phase2);
    checks += 2;
    expect(
      phase2.reduce((sum, p) => sum + p.held, 0),
      context,
    ).toBeGreaterThan(0);
    expect(counts.phase2.status, context).not.toBe('running');

    // Listings ran from the files and from the store.
    const sources = new Set(results.flatMap((r) => r.paginations.flatMap((p) => p.sources)));
    checks += 1;
    expect([...sources].sort(), context).toEqual(['files', 'store']);

    return {
      checks,
      summary:
        `round ${round}: ${corpus.files.length} rollouts, ${recorded.length} sessions, ` +
        `${claims.length} stage-1 claims (max running seen ${observation.maxRunning}), ` +
        `${phase2.reduce((s, p) => s + p.held, 0)} phase-2 holds / ` +
        `${phase2.reduce((s, p) => s + p.contended, 0)} contended, ` +
        `${results.reduce((s, r) => s + r.paginations.length, 0)} paginations, ` +
        `${observation.polls} observer polls, backfill ${outcomes.join(',')}`,
    };
  } finally {
    await store.close();
  }
}

describe('concurrency matrix: 8 processes on one home', () => {
  it('records, backfills, lists, claims stage-1 jobs and takes the phase-2 lock together, keeping every invariant', async () => {
    const matrixSeed = seed(MATRIX);
    const rounds = trials({ ci: 1, soak: 20 });
    const scale = trials({ ci: 1, soak: 2 });
    let checks = 0;
    let failures = 0;
    let done = 0;
    try {
      for (let round = 0; round < rounds; round += 1) {
        const { checks: c, summary } = await runRound(round, matrixSeed, scale);
        checks += c;
        done += 1;
        if (process.env['AGENT_STATE_VERBOSE'] === '1') process.stdout.write(`${summary}\n`);
      }
    } catch (error) {
      failures += 1;
      process.stderr.write(`${MATRIX} failed with seed ${matrixSeed}\n`);
      throw error;
    } finally {
      recordMatrix({ matrix: MATRIX, seed: matrixSeed, trials: done, kills: 0, checks, failures });
    }
  }, 600_000);
});
