import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  type RunMemoriesResult,
  createModelClient,
  memoriesRoot,
  resolveMemoriesModelConfig,
  runMemories,
} from '@agent-state/memories';
import { runBackfill } from '@agent-state/rollout';
import { ManualClock, openStateStore } from '@agent-state/state';
import {
  type MockReply,
  type MockRequest,
  type MockResponsesServer,
  copyCodexHome,
  forkScript,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import { type Child, TEMP_FILE, filesUnder, fnv, snapshot } from './crash-helpers.js';
import type { MemoriesCrashArgs } from './memories.worker.js';

const WORKER = fileURLToPath(new URL('./memories.worker.ts', import.meta.url));
// The fixture threads were last written on 2026-11-21 around 05:44 UTC: 13 hours later they are
// idle enough for phase 1 and well within its 30-day window.
const LATER = Date.parse('2026-11-21T19:00:00Z');
const ALL_SOURCES = ['cli', 'vscode', 'exec'];
/** Phase-1 lanes of the killed worker. */
const WORKER_CONCURRENCY = 2;
const COPY = { recursive: true, preserveTimestamps: true } as const;

/** What the scripted consolidation agent writes, one file per turn (large, so writes take time). */
const AGENT_FILES = [
  'MEMORY.md',
  'memory_summary.md',
  'skills/crash-recovery/SKILL.md',
  'skills/crash-recovery/notes/details.md',
].map((path, index) => ({
  path,
  content: `# ${path}\n\n${`- line ${index}: the user resumes crashed work\n`.repeat(1_500 + index * 500)}`,
}));

const temp = tempDirs();

/** How the server currently delays replies, and when it kills the current child. */
interface KillPlan {
  child: Child;
  /** Count stage-1 requests (`stage1`) or agent turns (`phase2`). */
  kind: 'stage1' | 'phase2';
  /** Kill once this many requests of that kind arrived… */
  atRequest: number;
  /** …this long after the last of them arrived. */
  delayMs: number;
  seen: number;
}

let server: MockResponsesServer;
let plan: KillPlan | undefined;
/** Reply delay of the slow replies while a child runs (0 for in-process runs). */
let replyDelayMs = 0;

function agentTurn(request: MockRequest): MockReply {
  const input = Array.isArray(request.input) ? (request.input as Array<{ type?: string }>) : [];
  const done = input.filter((item) => item.type === 'function_call_output').length;
  const file = AGENT_FILES[done];
  if (file === undefined) return { kind: 'text', text: 'Memories consolidated.' };
  return {
    kind: 'function-calls',
    calls: [{ name: 'write_file', arguments: { path: file.path, content: file.content } }],
  };
}

/** Deterministic replies: a stage-1 answer derived from the request's rollout, a scripted agent. */
function handler(request: MockRequest): MockReply {
  const kind = request.textFormat ? 'stage1' : 'phase2';
  const reply: MockReply =
    kind === 'stage1'
      ? (() => {
          const h = fnv(JSON.stringify(request.input));
          return {
            kind: 'json',
            value: {
              rollout_summary: `Summary ${h}: the user worked on something.`,
              raw_memory: `- memory ${h}: prefers small commits`,
              rollout_slug: `session-${h}`,
            },
          };
        })()
      : agentTurn(request);
  const current = plan;
  if (current && current.kind === kind) {
    current.seen += 1;
    if (current.seen === current.atRequest) {
      const kill = () => {
        const p = current.child.process;
        if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      };
      if (current.delayMs === 0) kill();
      else setTimeout(kill, current.delayMs);
    }
  }
  return replyDelayMs > 0 ? { kind: 'slow', delayMs: replyDelayMs, then: reply } : reply;
}

/** Runs memories in this process (the "next process"), with its own store and clock. */
async function runHere(
  home: string,
  nowMs: number,
  phases: 'phase1' | 'phase2' | 'all',
): Promise<{ result: RunMemoriesResult; counts: Awaited<ReturnType<typeof countsOf>> }> {
  const store = await openStateStore({ home, clock: new ManualClock(nowMs) });
  try {
    const config = resolveMemoriesModelConfig({
      options: { baseUrl: server.url, model: 'mock-model', maxRetries: 0, timeoutMs: 20_000 },
      env: {},
    });
    const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
    const result = await runMemories({
      store,
      client,
      config,
      phases,
      allowedSources: ALL_SOURCES,
      workerId: 'resumer',
    });
    return { result, counts: await countsOf(store) };
  } finally {
    await store.close();
  }
}

async function countsOf(store: Awaited<ReturnType<typeof openStateStore>>) {
  const counts = await store.memories.jobCounts();
  const outputs = (await store.memories.listStage1Outputs({ limit: 1000 }))
    .map((o) => ({
      threadId: o.threadId,
      sourceUpdatedAt: o.sourceUpdatedAt,
      rawMemory: o.rawMemory,
      rolloutSummary: o.rolloutSummary,
      rolloutSlug: o.rolloutSlug,
    }))
    .sort((a, b) => (a.threadId < b.threadId ? -1 : 1));
  return { ...counts, outputRows: outputs };
}

/** Jobs as a fresh process sees them at `nowMs`. */
async function countsAt(home: string, nowMs: number) {
  const store = await openStateStore({ home, clock: new ManualClock(nowMs) });
  try {
    return await countsOf(store);
  } finally {
    await store.close();
  }
}

/** Forks the worker on a copy of `template`, kills it at the plan's point; resolves on its exit. */
async function crashRun(
  template: string,
  phases: 'phase1' | 'phase2',
  kill: Omit<KillPlan, 'child' | 'seen'>,
): Promise<{ home: string; killed: boolean; pid: number | undefined }> {
  const home = temp.make('crash');
  cpSync(template, home, COPY);
  const args: MemoriesCrashArgs = {
    home,
    baseUrl: server.url,
    nowMs: LATER,
    phases,
    allowedSources: ALL_SOURCES,
    concurrency: WORKER_CONCURRENCY,
  };
  const child = forkScript(WORKER, args);
  plan = { ...kill, child, seen: 0 };
  try {
    const exit = await child.exited;
    if (exit.signal !== 'SIGKILL') expect(exit.code, child.stderr()).toBe(0);
    return { home, killed: exit.signal === 'SIGKILL', pid: child.process.pid };
  } finally {
    plan = undefined;
  }
}

let backfilled: string; // a home with its threads indexed, nothing extracted
let extracted: string; // the same after phase 1 (run in this process)
let clean: { files: Record<string, string>; counts: Awaited<ReturnType<typeof countsOf>> };
let eligible = 0;

beforeAll(async () => {
  server = await startMockResponsesServer({ handler });
  backfilled = copyCodexHome('v0.169.0', temp.make('home'));
  {
    const store = await openStateStore({ home: backfilled, clock: new ManualClock(LATER) });
    expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
    await store.close();
  }
  extracted = temp.make('extracted');
  cpSync(backfilled, extracted, COPY);
  const phase1 = await runHere(extracted, LATER, 'phase1');
  eligible = phase1.result.phase1.succeeded;
  expect(eligible).toBeGreaterThan(3);

  // The reference: an uninterrupted run on an identical copy.
  const cleanHome = temp.make('clean');
  cpSync(backfilled, cleanHome, COPY);
  const run = await runHere(cleanHome, LATER, 'all');
  expect(run.result.phase1).toMatchObject({ succeeded: eligible, failed: 0 });
  expect(run.result.phase2.outcome).toBe('consolidated');
  const files = snapshot(memoriesRoot(cleanHome));
  for (const file of AGENT_FILES) expect(files[file.path]).toBe(file.content);
  clean = { files, counts: run.counts };
}, 60_000);

afterAll(async () => {
  await server.close();
  temp.cleanup();
});

/** Checks the end state of a resumed home against the clean run; returns the number of checks. */
function expectLikeClean(
  home: string,
  resumed: Awaited<ReturnType<typeof runHere>>,
  where: string,
): { checks: number; leftoverTemps: string[] } {
  expect(resumed.counts.stage1, `${where}: stage-1 jobs`).toEqual({
    running: 0,
    pending: 0,
    done: eligible,
    error: 0,
    exhausted: 0,
  });
  expect(resumed.counts.outputRows, `${where}: stage-1 outputs`).toEqual(clean.counts.outputRows);
  expect(resumed.counts.phase2, `${where}: phase-2 job`).toMatchObject({
    status: 'done',
    dirty: false,
    leaseUntil: null,
    lastError: null,
  });
  const root = memoriesRoot(home);
  expect(snapshot(root), `${where}: memory files`).toEqual(clean.files);
  const leftoverTemps = filesUnder(root).filter((f) => TEMP_FILE.test(f));
  return { checks: 4, leftoverTemps };
}

describe('crash matrix: memories', () => {
  it('a stage-1 job SIGKILLed mid-request: its live lease is taken over at once and the end state equals a clean run', async () => {
    const MATRIX = 'crash/memories-stage1';
    const matrixSeed = seed(MATRIX);
    const random = seededRandom(matrixSeed);
    const n = trials({ ci: 3, soak: 60 });
    let kills = 0;
    let checks = 0;
    let failures = 0;
    const temps: string[] = [];
    try {
      for (let trial = 0; trial < n; trial += 1) {
        replyDelayMs = 40;
        const atRequest = 1 + Math.floor(random() * eligible);
        const delayMs = Math.floor(random() * 60);
        const where = `seed ${matrixSeed}, trial ${trial}: kill at stage-1 request ${atRequest} +${delayMs}ms`;
        const { home, killed } = await crashRun(backfilled, 'phase1', {
          kind: 'stage1',
          atRequest,
          delayMs,
        });
        replyDelayMs = 0;
        if (killed) kills += 1;
        try {
          // The clock does not move: the dead worker's leases still run (`running`), and its
          // jobs are claimed only when a lane is free, so it held at most its lanes'.
          const stale = await countsAt(home, LATER);
          expect(stale.stage1.running + stale.stage1.pending, where).toBeLessThanOrEqual(
            WORKER_CONCURRENCY,
          );
          expect(stale.stage1.done, where).toBeLessThanOrEqual(eligible);
          checks += 2;
          // The next run, at the same time, takes the dead worker's live leases over at once.
          const resumed = await runHere(home, LATER, 'all');
          expect(resumed.result.phase1.failed, where).toBe(0);
          expect(resumed.result.phase1.succeeded, where).toBe(eligible - stale.stage1.done);
          checks += 2;
          const end = expectLikeClean(home, resumed, where);
          checks += end.checks;
          temps.push(...end.leftoverTemps);
        } catch (error) {
          failures += 1;
          process.stdout.write(`${MATRIX} failed (${where})\n`);
          throw error;
        }
      }
      // Phase 1 writes no file: a kill there can leave no temporary file.
      expect(temps).toEqual([]);
    } finally {
      replyDelayMs = 0;
      recordMatrix({ matrix: MATRIX, seed: matrixSeed, trials: n, kills, checks, failures });
    }
  });

  it('a consolidation SIGKILLed while its agent writes files: no half-written file, and the next run takes its lock over at once and ends equal to a clean run', async () => {
    const MATRIX = 'crash/memories-phase2';
    const matrixSeed = seed(MATRIX);
    const random = seededRandom(matrixSeed);
    const n = trials({ ci: 3, soak: 60 });
    let kills = 0;
    let checks = 0;
    let failures = 0;
    const temps: string[] = [];
    try {
      for (let trial = 0; trial < n; trial += 1) {
        replyDelayMs = 20;
        const atRequest = 1 + Math.floor(random() * (AGENT_FILES.length + 1));
        const delayMs = 20 + Math.floor(random() * 20);
        const where = `seed ${matrixSeed}, trial ${trial}: kill at agent turn ${atRequest} +${delayMs}ms`;
        const { home, killed, pid } = await crashRun(extracted, 'phase2', {
          kind: 'phase2',
          atRequest,
          delayMs,
        });
        replyDelayMs = 0;
        if (killed) kills += 1;
        try {
          // Right after the kill: every file present is complete (the phase-1 artifacts were
          // rebuilt from the final outputs, so they are the clean run's bytes too).
          const root = memoriesRoot(home);
          const partial = snapshot(root);
          for (const [file, content] of Object.entries(partial)) {
            expect(content, `${where}: half-written ${file}`).toBe(clean.files[file]);
          }
          checks += 1;
          // The clock does not move: a lock the dead run still holds is live, held by its pid.
          const stale = await countsAt(home, LATER);
          if (stale.phase2.status === 'running') {
            expect(stale.phase2.leaseUntil ?? 0, `${where}: lease`).toBeGreaterThan(LATER / 1000);
            expect(stale.phase2.holder?.pid, `${where}: holder`).toBe(pid);
          }
          checks += 1;
          // The next run, at the same time, takes the dead run's lock over at once.
          const resumed = await runHere(home, LATER, 'phase2');
          // Dirty unless the kill came after the dead run marked its success.
          expect(resumed.result.phase2.outcome, where).toBe(
            stale.phase2.dirty ? 'consolidated' : 'not-dirty',
          );
          if (stale.phase2.dirty) expect(stale.phase2.status, where).toBe('running');
          checks += 1;
          const end = expectLikeClean(home, resumed, where);
          checks += end.checks;
          temps.push(...end.leftoverTemps);
        } catch (error) {
          failures += 1;
          process.stdout.write(`${MATRIX} failed (${where})\n`);
          throw error;
        }
      }
      // A killed write may leave a temporary file; the next consolidation sweeps it under the lock.
      expect(temps, 'temporary files left after the resumed run').toEqual([]);
    } finally {
      replyDelayMs = 0;
      recordMatrix({ matrix: MATRIX, seed: matrixSeed, trials: n, kills, checks, failures });
    }
  });
});
