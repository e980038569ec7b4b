import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  type BackfillFailure,
  type BackfillOutcome,
  type BackfillProgress,
  type BackfillResult,
  runBackfill,
} from '@agent-state/rollout';
import { LeaseHeldError, type StateStore, unixSeconds } from '@agent-state/state';
import { InvalidArgumentError as CommanderInvalidArgumentError } from 'commander';

import { ExitCode } from '../exit-codes.js';
import { formatDuration, plural, singleLine } from '../format.js';
import { type CliIo, type Colors, colorsFor, writeJson, writeLines } from '../output.js';
import { StatusLine, progressBar } from '../status-line.js';
import { withStore } from '../store-session.js';

/**
 * What `agent-state backfill --json` prints. `status` is how the run ended: `complete` (this run
 * indexed the rest), `already-complete` (nothing to do, or another process finished it while this
 * one waited) or `aborted` (interrupted; it resumes on the next run). Rollouts that could not be
 * indexed are counted in `failed`, listed in `failures` (at most 100) and skipped: the backfill
 * completes without them and the command still exits 0.
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
}

/** How waiting for another process's backfill ended: it finished, or this command was stopped. */
type WaitEnd = 'finished-elsewhere' | 'stopped';

/** Failures listed by the text summary; the rest are counted. */
const MAX_LISTED_FAILURES = 20;

export const BACKFILL_HELP = `
Indexes every rollout of the home (sessions/ and archived_sessions/) into the store, resumably:
an interrupted backfill continues after its last checkpoint. One process at a time runs it; by
default another invocation waits for it (and takes over if that process dies), --no-wait exits 4.

Rollouts that cannot be read are skipped and listed with their paths; the backfill still completes
and exits 0 (a warning goes to stderr). Fix them, then run \`agent-state reconcile --repair\`.

Examples:
  $ agent-state --home ~/.codex backfill              index with a progress bar (on a terminal)
  $ agent-state --home ~/.codex backfill --json       {status, scanned, upserted, failed, …}
  $ agent-state backfill --no-wait || echo "busy"     exit 4 if another process runs it
  $ agent-state backfill --workers 0                  extract on the main thread only
`;

/**
 * Parses `--workers`: an integer from 0 to 64.
 * Throws commander's `InvalidArgumentError` (exit 2, naming the flag) otherwise.
 */
export function parseWorkers(value: string): number {
  const workers = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(workers) || workers > 64) {
    throw new CommanderInvalidArgumentError('expected an integer from 0 to 64.');
  }
  return workers;
}

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
  };

  // How waiting for another process's backfill ended, when this command waited.
  let waited: WaitEnd | undefined;
  await withStore(options.home, async (store) => {
    const line = new StatusLine({ stream: io.stderr });
    let announcedWait = false;
    try {
      for (;;) {
        const result = await runOnce(store, options, line);
        addUp(report, result);
        if (result.outcome !== 'held' && result.outcome !== 'lease-lost') {
          report.status = result.outcome;
          return;
        }
        if (!options.wait) throw new LeaseHeldError('the backfill');
        if (!announcedWait && !line.enabled) {
          writeLines(io.stderr, [
            'agent-state: another process is running the backfill; waiting for it (--no-wait exits instead)',
          ]);
        }
        announcedWait = true;
        const end = await waitForOtherProcess(store, line, options);
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
          'agent-state: the other process stopped without finishing; taking the backfill over',
        ]);
      }
    } finally {
      line.clear();
    }
  });

  report.durationMs = Math.round(performance.now() - started);
  const colors = colorsFor(io.stdout, io.env);
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

/** One `runBackfill`, drawing its progress on the status line. */
async function runOnce(
  store: StateStore,
  options: RunBackfillCommandOptions,
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
 * Polls the backfill state while another process holds the lease: `complete` once it finished,
 * `takeover` once its lease expired or was released, `aborted` when the signal fired.
 */
async function waitForOtherProcess(
  store: StateStore,
  line: StatusLine,
  options: RunBackfillCommandOptions,
): Promise<'complete' | 'takeover' | 'aborted'> {
  const pollMs = options.pollMs ?? 500;
  for (;;) {
    if (options.signal?.aborted === true) return 'aborted';
    const state = await store.backfill.get();
    if (state.status === 'complete') return 'complete';
    const now = unixSeconds(store.clock);
    if (state.status !== 'running' || state.leaseUntil === null || state.leaseUntil <= now) {
      return 'takeover';
    }
    const at = state.lastWatermark === null ? 'starting' : `at ${singleLine(state.lastWatermark)}`;
    line.draw(`waiting for another process: ${at}`);
    try {
      await sleep(pollMs, undefined, { signal: options.signal });
    } catch {
      return 'aborted';
    }
  }
}

function addUp(report: BackfillReport, result: BackfillResult): void {
  report.scanned += result.scanned;
  report.upserted += result.upserted;
  report.failed += result.failed;
  report.linesSkipped += result.linesSkipped;
  report.failures.push(...result.failures);
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
