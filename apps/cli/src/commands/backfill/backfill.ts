import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  type BackfillFailure,
  type BackfillOutcome,
  type BackfillProgress,
  type BackfillResult,
  runBackfill,
} from '@agent-state/rollout';
import {
  type BackfillState,
  type LeaseHolder,
  LeaseHeldError,
  type AgentStateStore,
  type Clock,
  unixSeconds,
} from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import {
  formatCount,
  formatDuration,
  formatHolder,
  formatIsoTime,
  plural,
  singleLine,
} from '../../format.js';
import { type CliIo, type Colors, colorsFor, writeJson, writeLines } from '../../output.js';
import { StatusLine, progressBar } from '../../status-line.js';
import { withStore } from '../../store-session.js';

/**
 * What `agent-state backfill --json` prints. `status` is how the run ended: `complete` (this run
 * indexed the rest), `already-complete` (nothing to do, or another process finished it while this
 * one waited), `aborted` (interrupted; it resumes on the next run) or, with `--no-wait` (exit 4),
 * `held` (another live process runs it: see `holder`). Rollouts that could not be indexed are
 * counted in `failed`, listed in `failures` (at most 100) and skipped: the backfill completes
 * without them and the command still exits 0.
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['backfill', '--json'], { encoding: 'utf8' });
 * const report = JSON.parse(stdout) as BackfillReport;
 * for (const { path, message } of report.failures) console.warn(`${path}: ${message}`);
 * ```
 */
export interface BackfillReport {
  status: BackfillOutcome;
  /** Rollouts read by this command. */
  scanned: number;
  /** Threads written to the store. */
  upserted: number;
  /** Rollouts that could not be indexed. */
  failed: number;
  /** Damaged lines skipped inside rollouts that were indexed. */
  linesSkipped: number;
  /** Wall time of the command, waiting included, ms. */
  durationMs: number;
  /** The first failures, each naming its file. */
  failures: BackfillFailure[];
  /**
   * The other process that held the backfill lease while this command ran (the last one, when
   * it waited for several), `null` when none did or it was not recorded.
   */
  holder: { host: string; pid: number } | null;
  /**
   * Set when this command completed a backfill an older release had completed (or started):
   * that release's backfill generation (`caughtUpFrom` of `runBackfill`). Only the rollouts missing
   * from the store were read (the compressed ones, for generation 1).
   */
  caughtUpFrom: number | null;
}

/** Options of {@link runBackfillCommand}. */
export interface RunBackfillCommandOptions {
  home: string;
  json: boolean;
  /** Wait for another process's backfill (default), instead of exiting 4. */
  wait: boolean;
  /** Extraction worker threads (0: this thread); default: the library's (cores, at most 8). */
  workers?: number | undefined;
  io: CliIo;
  /** Stops the backfill after its current batch (the CLI wires SIGINT and SIGTERM to it). */
  signal?: AbortSignal | undefined;
  /** How often the state of another process's backfill is read while waiting, ms (default 500). */
  pollMs?: number | undefined;
  /**
   * Waits `ms` between two reads of another process's backfill; rejects when `signal` fires
   * (default: a timer). Tests inject their own.
   */
  sleep?: ((ms: number, signal: AbortSignal | undefined) => Promise<void>) | undefined;
  /** The store's clock, which decides when another process's lease has expired (default: the system's). */
  clock?: Clock | undefined;
}

/** How waiting for another process's backfill ended: it finished, or this command was stopped. */
type WaitEnd = 'finished-elsewhere' | 'stopped';

/** Failures listed by the text summary; the rest are counted. */
const MAX_LISTED_FAILURES = 20;

/**
 * Runs (or resumes, or waits for) the backfill of a home and prints its report. Exits 0 when the
 * backfill is complete, failed rollouts or not; 4 (`LeaseHeldError`) with `wait: false` while
 * another process holds the lease; 1 when it was interrupted.
 */
export async function runBackfillCommand(options: RunBackfillCommandOptions): Promise<ExitCode> {
  const { io } = options;
  const started = performance.now();
  const report: BackfillReport = {
    status: 'complete',
    scanned: 0,
    upserted: 0,
    failed: 0,
    linesSkipped: 0,
    durationMs: 0,
    failures: [],
    holder: null,
    caughtUpFrom: null,
  };

  // How waiting for another process's backfill ended, when this command waited.
  let waited: WaitEnd | undefined;
  await withStore(
    options.home,
    async (store) => {
      const line = new StatusLine({ stream: io.stderr });
      try {
        for (;;) {
          const result = await backfillWithProgress(store, options, line);
          addUp(report, result);
          if (result.holder) report.holder = { host: result.holder.host, pid: result.holder.pid };
          if (result.outcome !== 'held' && result.outcome !== 'lease-lost') {
            report.status = result.outcome;
            return;
          }
          if (!options.wait) {
            report.status = 'held';
            return;
          }
          const { end, holder } = await waitForOtherProcess(store, line, options, report);
          if (end === 'complete') {
            report.status = report.scanned > 0 ? 'complete' : 'already-complete';
            waited = 'finished-elsewhere';
            return;
          }
          if (end === 'aborted') {
            report.status = 'aborted';
            waited = 'stopped';
            return;
          }
          line.clear();
          writeLines(io.stderr, [
            end === 'holder-died' && holder !== null
              ? `agent-state: the backfill in ${formatHolder(holder)} died; taking it over`
              : 'agent-state: the other process stopped without finishing; taking the backfill over',
          ]);
        }
      } finally {
        line.clear();
      }
    },
    { clock: options.clock },
  );

  report.durationMs = Math.round(performance.now() - started);
  const colors = colorsFor(io.stdout, io.env);
  if (report.status === 'held') {
    // --no-wait: the report (with --json), then the one error-to-exit-code mapping (4).
    if (options.json) writeJson(io.stdout, report);
    throw new LeaseHeldError('the backfill', { holder: report.holder });
  }
  if (options.json) writeJson(io.stdout, report);
  else writeLines(io.stdout, renderBackfillReport(report, colors, { waited }));

  const stderrColors = colorsFor(io.stderr, io.env);
  const unindexed = report.failed;
  if (unindexed > 0) {
    const where = options.json ? 'see `failures`' : 'listed above';
    writeLines(io.stderr, [
      `${stderrColors.yellow('agent-state: warning:')} ${plural(unindexed, 'rollout')} could not be indexed (${where}); the backfill completed without ${unindexed === 1 ? 'it' : 'them'}. Fix ${unindexed === 1 ? 'it' : 'them'}, then run \`agent-state reconcile --repair\`.`,
    ]);
  }
  if (report.status === 'aborted') {
    writeLines(io.stderr, [
      waited === 'stopped'
        ? 'agent-state: interrupted while another process runs the backfill'
        : 'agent-state: interrupted: the backfill stopped after its last checkpoint; run `agent-state backfill` to resume it',
    ]);
    return ExitCode.Failure;
  }
  return ExitCode.Ok;
}

/**
 * One `runBackfill`, drawing its progress on the status line (also what `search` runs first on a
 * home never indexed).
 */
export async function backfillWithProgress(
  store: AgentStateStore,
  options: Pick<RunBackfillCommandOptions, 'workers' | 'signal'>,
  line: StatusLine,
): Promise<BackfillResult> {
  const runStarted = performance.now();
  line.draw('collecting rollouts…', { force: true });
  const onProgress = (progress: BackfillProgress): void => {
    line.draw(progressText(progress, performance.now() - runStarted), {
      force: progress.done === 0,
    });
  };
  return runBackfill({
    store,
    workers: options.workers,
    signal: options.signal,
    onProgress,
  });
}

/** `[#####.....] 1234/10000 rollouts  812/s  3 failed` */
export function progressText(progress: BackfillProgress, elapsedMs: number): string {
  const parts = [
    `${progressBar(progress.done, progress.total)} ${progress.done}/${progress.total} rollouts`,
  ];
  if (elapsedMs >= 500 && progress.done > 0) {
    parts.push(`${Math.round(progress.done / (elapsedMs / 1000))}/s`);
  }
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  return parts.join('  ');
}

/**
 * Polls the backfill state while another process holds the lease, saying who holds it and how
 * far it got (on the status line on a terminal, else once per holder on stderr): `complete` once
 * it finished, `holder-died` as soon as its holder is seen dead on this host, `takeover` once its
 * lease expired or was released, `aborted` when the signal fired. `holder` is the last holder
 * seen.
 */
async function waitForOtherProcess(
  store: AgentStateStore,
  line: StatusLine,
  options: RunBackfillCommandOptions,
  report: BackfillReport,
): Promise<{
  end: 'complete' | 'holder-died' | 'takeover' | 'aborted';
  holder: LeaseHolder | null;
}> {
  const pollMs = options.pollMs ?? 500;
  const pause =
    options.sleep ??
    ((ms: number, signal: AbortSignal | undefined) => sleep(ms, undefined, { signal }));
  let holder: LeaseHolder | null = null;
  let announced: string | undefined;
  for (;;) {
    if (options.signal?.aborted === true) return { end: 'aborted', holder };
    const state = await store.backfill.get();
    if (state.status === 'complete') return { end: 'complete', holder };
    if (state.holder !== null) {
      holder = state.holder;
      report.holder = { host: holder.host, pid: holder.pid };
    }
    if (state.holderDead) return { end: 'holder-died', holder };
    const now = unixSeconds(store.clock);
    if (state.status !== 'running' || state.leaseUntil === null || state.leaseUntil <= now) {
      return { end: 'takeover', holder };
    }
    const text = `${waitText(state)}; waiting…`;
    if (line.enabled) {
      line.draw(text);
    } else {
      const who = state.holder === null ? '' : `${state.holder.host}:${state.holder.pid}`;
      if (announced !== who) {
        writeLines(options.io.stderr, [`agent-state: ${text} (--no-wait exits instead)`]);
        announced = who;
      }
    }
    try {
      await pause(pollMs, options.signal);
    } catch {
      return { end: 'aborted', holder };
    }
  }
}

/**
 * Who runs the backfill and how far it got: `backfill running in pid 1234 on host h (since
 * 2026-11-21T05:44:08Z, 3,200 of 10,000 rollouts)`.
 */
export function waitText(state: BackfillState): string {
  const who = state.holder === null ? 'in another process' : `in ${formatHolder(state.holder)}`;
  const facts: string[] = [];
  if (state.claimedAt !== null) facts.push(`since ${formatIsoTime(state.claimedAt)}`);
  if (state.progress !== null) {
    facts.push(
      `${formatCount(state.progress.done)} of ${formatCount(state.progress.total)} rollouts`,
    );
  } else if (state.lastWatermark !== null) {
    facts.push(`at ${singleLine(state.lastWatermark)}`);
  } else {
    facts.push('starting');
  }
  return `backfill running ${who} (${facts.join(', ')})`;
}

function addUp(report: BackfillReport, result: BackfillResult): void {
  report.scanned += result.scanned;
  report.upserted += result.upserted;
  report.failed += result.failed;
  report.linesSkipped += result.linesSkipped;
  report.failures.push(...result.failures);
  if (result.caughtUpFrom !== undefined) report.caughtUpFrom = result.caughtUpFrom;
}

/** The text summary: what happened, then the failures (at most 20) with their paths. */
export function renderBackfillReport(
  report: BackfillReport,
  colors: Colors,
  options: { waited?: WaitEnd | undefined } = {},
): string[] {
  const lines: string[] = [];
  const took = formatDuration(report.durationMs);
  const skipped =
    report.linesSkipped > 0 ? `, ${plural(report.linesSkipped, 'damaged line')} skipped` : '';
  switch (report.status) {
    case 'complete':
      lines.push(
        `${colors.green('backfill complete:')} ${report.upserted} of ${plural(report.scanned, 'rollout')} indexed in ${took}${skipped}`,
      );
      if (report.caughtUpFrom !== null) {
        lines.push(
          'the store was indexed by an older release: only the rollouts it was missing were read',
        );
      }
      break;
    case 'already-complete':
      lines.push(
        options.waited === 'finished-elsewhere'
          ? `${colors.green('backfill complete:')} another process finished it (waited ${took})`
          : `${colors.green('backfill already complete:')} nothing to do`,
      );
      break;
    case 'aborted':
      if (options.waited === 'stopped' && report.scanned === 0) {
        lines.push(
          `${colors.yellow('stopped waiting:')} another process is still running the backfill`,
        );
        break;
      }
      lines.push(
        `${colors.yellow('backfill interrupted:')} ${report.upserted} of ${plural(report.scanned, 'rollout')} indexed in ${took}; it resumes on the next run`,
      );
      break;
    case 'held':
    case 'lease-lost':
      lines.push(`${colors.yellow('backfill not finished:')} another process runs it`);
      break;
  }
  const unindexed = report.failed;
  if (unindexed > 0) {
    lines.push('', colors.red(`${plural(unindexed, 'rollout')} could not be indexed:`));
    for (const failure of report.failures.slice(0, MAX_LISTED_FAILURES)) {
      // Rollout errors already start with their path.
      const prefix = `${failure.path}: `;
      const message = failure.message.startsWith(prefix)
        ? failure.message.slice(prefix.length)
        : failure.message;
      lines.push(`  ${singleLine(failure.path)}: ${singleLine(message)}`);
    }
    const more = unindexed - Math.min(report.failures.length, MAX_LISTED_FAILURES);
    if (more > 0) lines.push(`  …and ${more} more (see --json)`);
  }
  return lines;
}
