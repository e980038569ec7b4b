// Benchmark of lease takeover after a crash (`pnpm bench`). Leases record their holder (host,
// pid, process start time), so a claimant on the same host takes over the lease of a holder that
// died at once, instead of waiting for the lease to run out. Target: a median <= 1 s from the
// SIGKILL of a real holder process to a new claimant holding the lease, for the backfill lease
// (and, measured the same way, a stage-1 job and the phase-2 lock).
//
// Each trial: a fresh seeded home; a child process (lease-child.ts, built with tsup and run on
// plain `node`, real clock, default holder probe) claims the lease and blocks; it is SIGKILLed;
// then either this process, with its store already open, tries to claim every few ms, or a new
// child process started right after the kill does (its start-up included). The anchor is the old
// behaviour, waiting for the lease to run out: computed (not waited for) from the lease's
// deadline at the kill, and Codex's lease lengths; a claimant that ignores holders
// (`timeBasedLeaseHolderProbe`) is checked to still find the lease held after the kill.
import { type ChildProcess, fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { type BenchRow, reportBench, tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { build } from 'tsup';

import {
  type StateStore,
  openStateStore,
  stateDbPath,
  timeBasedLeaseHolderProbe,
} from '../src/index.js';
import {
  JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL,
  JOB_KIND_MEMORY_STAGE1,
} from '../src/memories/memory-jobs.js';
import type { LeaseChildArgs, LeaseChildMessage } from './lease-child.js';
import {
  CODEX_LEASE_SECONDS,
  LEASE_KINDS,
  type LeaseKind,
  OUR_LEASE_SECONDS,
  seedLeaseHome,
  tryClaimLease,
} from './lease-kinds.js';

const TRIALS = 20;
/** Pause between a claimant's attempts, ms. */
const RETRY_MS = 5;
/** A takeover slower than this fails the bench (something is wrong, not slow). */
const GIVE_UP_MS = 30_000;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const buildDir = join(packageDir, 'bench', 'dist');
const childScript = join(buildDir, 'lease-child.js');

const LABELS: Readonly<Record<LeaseKind, string>> = {
  backfill: 'backfill lease',
  stage1: 'stage-1 job',
  phase2: 'phase-2 lock',
};

function log(message: string): void {
  process.stderr.write(`[lease bench] ${message}\n`);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

const median = (values: readonly number[]) => quantile(values, 0.5);
const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** Builds the child (and the sources it imports) into bench/dist/, dependencies external. */
async function buildChild(): Promise<void> {
  await build({
    config: false,
    silent: true,
    entry: { 'lease-child': join(packageDir, 'bench', 'lease-child.ts') },
    outDir: buildDir,
    tsconfig: join(packageDir, 'tsconfig.json'),
    format: ['esm'],
    target: 'node20',
    shims: true,
    dts: false,
    sourcemap: false,
    clean: true,
    external: [/^[^./]/],
  });
}

/** A running child process of lease-child.ts. */
interface LeaseChild {
  process: ChildProcess;
  /** Resolves with the child's next message; rejects when it reports an error or exits first. */
  next(): Promise<LeaseChildMessage>;
  exited: Promise<void>;
}

function startChild(args: LeaseChildArgs): LeaseChild {
  const child = fork(childScript, [JSON.stringify(args)], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    // Plain node, as a production process: not this bench's tsx loader, whose start-up in every
    // child would be counted as takeover time.
    execArgv: [],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    new Promise<LeaseChildMessage>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`lease child exited (${code ?? signal}): ${stderr}`));
      child.once('exit', onExit);
      child.once('message', (message: LeaseChildMessage) => {
        child.off('exit', onExit);
        if (message.type === 'error') reject(new Error(`lease child: ${message.error}`));
        else resolve(message);
      });
    });
  return { process: child, next, exited };
}

/** The lease's deadline as its row records it, unix seconds. */
function leaseUntil(home: string, kind: LeaseKind): number {
  const db = new Database(stateDbPath(home), { readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    const row = (
      kind === 'backfill'
        ? db.prepare('SELECT lease_until FROM backfill_state WHERE id = 1').get()
        : db
            .prepare("SELECT lease_until FROM jobs WHERE kind = ? AND status = 'running'")
            .get(kind === 'stage1' ? JOB_KIND_MEMORY_STAGE1 : JOB_KIND_MEMORY_CONSOLIDATE_GLOBAL)
    ) as { lease_until: number | null } | undefined;
    if (typeof row?.lease_until !== 'number') throw new Error(`no live ${kind} lease`);
    return row.lease_until;
  } finally {
    db.close();
  }
}

/** A fresh seeded home and a child process holding its lease of `kind`. */
async function homeWithHolder(
  temp: ReturnType<typeof tempDirs>,
  kind: LeaseKind,
): Promise<{ home: string; holder: LeaseChild }> {
  const home = temp.make('lease-home');
  await seedLeaseHome(home);
  const holder = startChild({ mode: 'hold', home, kind });
  const message = await holder.next();
  if (message.type !== 'held') throw new Error(`unexpected message ${JSON.stringify(message)}`);
  return { home, holder };
}

/** Claims from `store` every {@link RETRY_MS} until it holds the lease; returns the attempts. */
async function claimUntilHeld(store: StateStore, kind: LeaseKind, since: number): Promise<number> {
  for (let attempts = 1; ; attempts += 1) {
    const outcome = await tryClaimLease({ store, kind, workerId: `bench:${process.pid}` });
    if (outcome === 'claimed') return attempts;
    if (performance.now() - since > GIVE_UP_MS) {
      throw new Error(`the ${kind} lease is still ${outcome} ${GIVE_UP_MS} ms after the kill`);
    }
    await sleep(RETRY_MS);
  }
}

/** One takeover: milliseconds from the SIGKILL to the new claim, and the old behaviour's wait. */
interface Trial {
  ms: number;
  attempts: number;
  /** Seconds the lease still had to run at the kill: what a claimant used to wait. */
  remainingSeconds: number;
}

async function takeoverTrial(
  temp: ReturnType<typeof tempDirs>,
  kind: LeaseKind,
  claimant: 'this process' | 'new process',
): Promise<Trial> {
  const { home, holder } = await homeWithHolder(temp, kind);
  const store = claimant === 'this process' ? await openStateStore({ home }) : undefined;
  try {
    const deadline = leaseUntil(home, kind);
    const killedAtEpochMs = Date.now();
    const killedAt = performance.now();
    holder.process.kill('SIGKILL');
    let attempts: number;
    if (store) {
      attempts = await claimUntilHeld(store, kind, killedAt);
    } else {
      const claimer = startChild({
        mode: 'claim',
        home,
        kind,
        retryMs: RETRY_MS,
        timeoutMs: GIVE_UP_MS,
      });
      const message = await claimer.next();
      if (message.type !== 'claimed') throw new Error(`unexpected ${JSON.stringify(message)}`);
      attempts = message.attempts;
      await claimer.exited;
    }
    const ms = performance.now() - killedAt;
    await holder.exited;
    return { ms, attempts, remainingSeconds: deadline - killedAtEpochMs / 1000 };
  } finally {
    holder.process.kill('SIGKILL');
    await store?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Checks the anchor: once the holder is dead, a claimant that never declares holders dead (the
 * behaviour before holders were recorded) still finds the lease held, and a default one takes it.
 */
async function checkOldBehaviourWaits(
  temp: ReturnType<typeof tempDirs>,
  kind: LeaseKind,
): Promise<string> {
  const { home, holder } = await homeWithHolder(temp, kind);
  holder.process.kill('SIGKILL');
  await holder.exited;
  const timeBased = await openStateStore({ home, holderProbe: timeBasedLeaseHolderProbe });
  const current = await openStateStore({ home });
  try {
    const old = await tryClaimLease({ store: timeBased, kind, workerId: 'time-based' });
    if (old === 'claimed') {
      throw new Error(`a claimant ignoring holders took the dead holder's ${kind} lease at once`);
    }
    const now = await tryClaimLease({ store: current, kind, workerId: 'current' });
    if (now !== 'claimed') throw new Error(`the dead holder's ${kind} lease was not taken: ${now}`);
    return old;
  } finally {
    await Promise.all([timeBased.close(), current.close()]);
    rmSync(home, { recursive: true, force: true });
  }
}

const temp = tempDirs();
const onSignal = () => {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  log('building the child into bench/dist …');
  await buildChild();
  const rows: BenchRow[] = [];
  for (const kind of LEASE_KINDS) {
    const label = LABELS[kind];
    const oldOutcome = await checkOldBehaviourWaits(temp, kind);
    const here: Trial[] = [];
    const fresh: Trial[] = [];
    for (let trial = 0; trial < TRIALS; trial += 1) {
      // Alternate which claimant goes first, so that neither always follows the other.
      const order = trial % 2 === 0 ? (['here', 'fresh'] as const) : (['fresh', 'here'] as const);
      for (const which of order) {
        if (which === 'here') here.push(await takeoverTrial(temp, kind, 'this process'));
        else fresh.push(await takeoverTrial(temp, kind, 'new process'));
      }
    }
    const remaining = median([...here, ...fresh].map((t) => t.remainingSeconds));
    log(
      `${label}: this process ${fixed(median(here.map((t) => t.ms)))} ms, new process ${fixed(median(fresh.map((t) => t.ms)))} ms (medians of ${TRIALS}); lease left at the kill ${fixed(remaining)} s`,
    );
    for (const [claimant, trials] of [
      [`this process (store open, claiming every ${RETRY_MS} ms)`, here],
      ['a new process started at the kill (plain node, start-up included)', fresh],
    ] as const) {
      const ms = trials.map((t) => t.ms);
      rows.push({
        name: `${label}: SIGKILLed holder taken over by ${claimant}`,
        value: median(ms),
        unit: 'ms (median)',
        target: { max: 1_000 },
        details: `${TRIALS} trials; p90 ${fixed(quantile(ms, 0.9))} ms, max ${fixed(Math.max(...ms))} ms; median ${median(trials.map((t) => t.attempts))} claim attempt(s); ${fixed((remaining * 1000) / median(ms), 0)}x sooner than the lease running out`,
      });
    }
    rows.push(
      {
        name: `${label}: anchor, waiting for the lease to run out (ours, ${OUR_LEASE_SECONDS[kind]} s lease)`,
        value: remaining,
        unit: 's',
        details: `computed from the lease's deadline at each kill (the holder had just claimed it), not waited for; median of ${2 * TRIALS}; checked: a claimant that ignores holders (timeBasedLeaseHolderProbe) still gets '${oldOutcome}' after the kill`,
      },
      {
        name: `${label}: anchor, Codex (${CODEX_LEASE_SECONDS[kind]} s lease)`,
        value: CODEX_LEASE_SECONDS[kind],
        unit: 's',
        details:
          kind === 'backfill'
            ? 'Codex takes a running backfill over once updated_at <= now - 900 (refreshed at checkpoints only)'
            : 'Codex takes the job over once its lease_until (claim + 3600 s) has passed',
      },
    );
  }
  const ok = reportBench('state-leases', rows);
  if (!ok) process.exitCode = 1;
} finally {
  temp.cleanup();
  rmSync(buildDir, { recursive: true, force: true });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
