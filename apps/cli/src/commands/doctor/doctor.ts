import { statSync } from 'node:fs';

import {
  type AgentStateError,
  type BackfillState,
  ErrorCode,
  type LogsHealth,
  type MemoryJobCounts,
  STATE_DB_GENERATION,
  type AgentStateStore,
  errorCategory,
  logsDbPath,
  openStateStore,
  readLogsHealth,
  stateDbPath,
  toAgentStateError,
  unixSeconds,
} from '@agent-state/state';

import { BACKFILL_GENERATION, findUnindexedRollouts } from '@agent-state/rollout';

import { ExitCode } from '../../exit-codes.js';
import { formatHolder, formatIsoTime, plural, shellQuote } from '../../format.js';
import {
  type CliIo,
  type Colors,
  alignedRows,
  colorsFor,
  formatBytes,
  oneLine,
  writeJson,
  writeLines,
} from '../../output.js';
import { requireHome } from '../../store-session.js';

/**
 * How bad a problem found by `doctor` is: errors make it exit 1, warnings do not.
 *
 * @example
 * ```ts
 * const failed = report.problems.some((problem) => problem.severity === 'error');
 * ```
 */
export type DoctorSeverity = 'error' | 'warning';

/**
 * One problem found by `doctor`, with what to do about it.
 *
 * @example
 * ```ts
 * for (const { message, fix } of report.problems) console.log(`${message}\n  fix: ${fix}`);
 * ```
 */
export interface DoctorProblem {
  severity: DoctorSeverity;
  /** Stable identifier, e.g. `store-corrupt`, `backfill-incomplete`. */
  code: string;
  /** What is wrong (names the file when there is one). */
  message: string;
  /** What to do about it. */
  fix: string;
}

/**
 * What `agent-state doctor --json` prints. Fields the store could not tell (because it did not
 * open) are `null`.
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['doctor', '--json'], { encoding: 'utf8' });
 * const report = JSON.parse(stdout) as DoctorReport;
 * if (report.backfill?.status !== 'complete') console.log('run `agent-state backfill`');
 * ```
 */
export interface DoctorReport {
  /** True when no problem of severity `error` was found. */
  ok: boolean;
  home: string;
  store: {
    path: string;
    generation: number;
    /** Whether the store could be opened. */
    opened: boolean;
    schemaVersion: number | null;
    /** Size of the database file in bytes; `null` when there is no file. */
    sizeBytes: number | null;
    walBytes: number | null;
    /** `PRAGMA quick_check` outcome; `null` when it could not run. */
    integrity: { ok: boolean; problems: string[] } | null;
  };
  backfill: BackfillState | null;
  threads: { total: number; archived: number } | null;
  /**
   * The rollouts of the home (`.jsonl` and `.jsonl.zst`), and how many no thread of the store
   * points to (`notIndexed`; a problem once the backfill is complete).
   */
  rollouts: { total: number; notIndexed: number } | null;
  /**
   * How often the store and the rollouts were found to disagree, per place noticed (`stage`) and
   * kind (`reason`), most frequent first; empty when none since the counters were last reset
   * (by a `reconcile` that left nothing unrepaired).
   */
  discrepancies: DoctorDiscrepancy[] | null;
  /**
   * The memories pipeline: stage-1 jobs by status, the number of stage-1 outputs and the phase-2
   * (consolidation) lock, as `agent-state memories status` shows them.
   */
  memories: MemoryJobCounts | null;
  /**
   * The logs database: `sizeBytes` counts the file and its `-wal` (`null`, like `walBytes` and
   * `rows`, while the database does not exist or cannot be read); `droppedEntries` are log entries
   * the CLI's log sinks had to drop, summed over every process, the last at `lastDropAt` (unix
   * seconds).
   */
  logs: LogsHealth;
  problems: DoctorProblem[];
}

/**
 * One discrepancy counter of the store, as `doctor` reports it (`lastSeenAt` in unix seconds).
 *
 * @example
 * ```ts
 * for (const d of report.discrepancies ?? []) console.log(`${d.stage}/${d.reason}: ${d.count}`);
 * ```
 */
export interface DoctorDiscrepancy {
  stage: string;
  reason: string;
  count: number;
  lastSeenAt: number;
}

/** Options of {@link runDoctor}. */
export interface RunDoctorOptions {
  /** The resolved home directory. */
  home: string;
  /** Print one JSON document instead of the text report. */
  json: boolean;
  io: CliIo;
}

/**
 * Inspects the store of a home and prints the report (text or JSON) on stdout. Returns
 * `ExitCode.Failure` when an error-level problem was found (a store that does not open, a failed
 * integrity check), `ExitCode.Ok` otherwise.
 */
export async function runDoctor(options: RunDoctorOptions): Promise<ExitCode> {
  // A home that does not exist is a mistyped path: never create one to report on it.
  requireHome(options.home);
  const report = await inspectHome(options.home);
  if (options.json) {
    writeJson(options.io.stdout, report);
  } else {
    writeLines(
      options.io.stdout,
      renderDoctorReport(report, colorsFor(options.io.stdout, options.io.env)),
    );
  }
  return report.ok ? ExitCode.Ok : ExitCode.Failure;
}

/**
 * Opens the store of `home` and gathers the facts of the report. A store that cannot be opened
 * (corrupt, too new, not ours, locked, unwritable) becomes a problem of the report, not an error.
 */
export async function inspectHome(home: string): Promise<DoctorReport> {
  const path = stateDbPath(home);
  const logsPath = logsDbPath(home);
  const report: DoctorReport = {
    ok: true,
    home,
    store: {
      path,
      generation: STATE_DB_GENERATION,
      opened: false,
      schemaVersion: null,
      sizeBytes: null,
      walBytes: null,
      integrity: null,
    },
    backfill: null,
    threads: null,
    rollouts: null,
    discrepancies: null,
    memories: null,
    logs: {
      path: logsPath,
      sizeBytes: null,
      walBytes: null,
      rows: null,
      droppedEntries: 0,
      lastDropAt: null,
    },
    problems: [],
  };

  let store: AgentStateStore | undefined;
  try {
    store = await openStateStore({ home });
    report.store.opened = true;
    await inspectStore(store, report);
  } catch (error) {
    // Errors that are not about the store (bugs, bad arguments) keep their usual exit code.
    if (errorCategory(error) !== 'store') throw error;
    const failure = toAgentStateError(error);
    report.problems.unshift(storeProblem(failure, path));
    if (failure.code === ErrorCode.StoreCorrupt && report.store.integrity === null) {
      report.store.integrity = { ok: false, problems: [oneLine(failure.message)] };
    }
  } finally {
    await store?.close();
  }

  report.store.sizeBytes ??= fileSize(path);
  inspectLogs(home, report);
  report.ok = report.problems.every((problem) => problem.severity !== 'error');
  return report;
}

async function inspectStore(store: AgentStateStore, report: DoctorReport): Promise<void> {
  const info = await store.info();
  report.store.schemaVersion = info.schemaVersion;
  report.store.sizeBytes = info.sizeBytes;
  report.store.walBytes = info.walBytes;

  const integrityProblems = await store.checkIntegrity();
  report.store.integrity = { ok: integrityProblems.length === 0, problems: integrityProblems };
  if (integrityProblems.length > 0) {
    report.problems.push({
      severity: 'error',
      code: 'store-integrity',
      message: `database ${store.path} fails its integrity check: ${integrityProblems.slice(0, 3).join('; ')}`,
      fix: rebuildFix(store.path),
    });
  }

  const backfill = await store.backfill.get();
  report.backfill = backfill;
  const problem = backfillProblem(backfill, unixSeconds(store.clock));
  if (problem) report.problems.push(problem);

  report.threads = {
    total: await store.threads.count(),
    archived: await store.threads.count({ archived: true }),
  };
  const unindexed = await findUnindexedRollouts({ store });
  report.rollouts = { total: unindexed.total, notIndexed: unindexed.files.length };
  if (backfill.status === 'complete' && unindexed.files.length > 0) {
    report.problems.push(notIndexedProblem(unindexed.files.length, backfill));
  }

  report.discrepancies = (await store.discrepancies.counts()).map(
    ({ stage, reason, count, lastSeenAt }) => ({ stage, reason, count, lastSeenAt }),
  );
  const discrepancies = discrepancyProblem(report.discrepancies);
  if (discrepancies) report.problems.push(discrepancies);

  report.memories = await store.memories.jobCounts();
  report.problems.push(...memoriesProblems(report.memories));
}

/** Reads the logs database; one that cannot be read is a warning (logs are expendable). */
function inspectLogs(home: string, report: DoctorReport): void {
  try {
    report.logs = readLogsHealth({ home });
  } catch (thrown) {
    // Bugs keep their usual exit code; any of agent-state's errors is the logs' problem.
    if (errorCategory(thrown) === 'internal') throw thrown;
    const error = toAgentStateError(thrown);
    report.logs.sizeBytes = fileSize(report.logs.path);
    report.problems.push({
      severity: 'warning',
      code: 'logs-unreadable',
      message: `the logs database cannot be read: ${oneLine(error.message)}`,
      fix: `move ${shellQuote(report.logs.path)} aside if it is damaged (logs are expendable: the next command creates a new one), or check that it is readable by you`,
    });
    return;
  }
  const { droppedEntries, lastDropAt } = report.logs;
  if (droppedEntries > 0) {
    const last = lastDropAt === null ? '' : `, the last at ${formatIsoTime(lastDropAt)}`;
    report.problems.push({
      severity: 'warning',
      code: 'logs-dropped',
      message: `${plural(droppedEntries, 'log entry', 'log entries')} could not be stored and were dropped${last}: the log queue overflowed or a write failed (the disk or the database was too slow, full or locked)`,
      fix: 'check the free disk space and what else writes to the home; `agent-state logs` shows what was kept',
    });
  }
}

function memoriesProblems(counts: MemoryJobCounts): DoctorProblem[] {
  const problems: DoctorProblem[] = [];
  const { error, exhausted } = counts.stage1;
  if (error + exhausted > 0) {
    const parts = [
      error > 0 ? `${error} failed and waiting to retry` : undefined,
      exhausted > 0 ? `${exhausted} out of retries` : undefined,
    ].filter((part) => part !== undefined);
    problems.push({
      severity: 'warning',
      code: 'memories-jobs-failed',
      message: `${plural(error + exhausted, 'memories extraction job')} failed (${parts.join(', ')})`,
      fix: 'run `agent-state memories status` to see the jobs, then `agent-state memories run` after fixing the model config (`--model`, `--base-url`)',
    });
  }
  if (counts.phase2.lastError !== null) {
    problems.push({
      severity: 'warning',
      code: 'memories-consolidation-failed',
      message: `the last memories consolidation (phase 2) failed: ${oneLine(counts.phase2.lastError)}`,
      fix: 'run `agent-state memories status`, then `agent-state memories run --phase 2` after fixing the model config (`--model`, `--base-url`)',
    });
  }
  return problems;
}

function discrepancyProblem(counts: readonly DoctorDiscrepancy[]): DoctorProblem | undefined {
  if (counts.length === 0) return undefined;
  const total = counts.reduce((sum, counter) => sum + counter.count, 0);
  const kinds = counts
    .slice(0, 3)
    .map((counter) => `${counter.reason} ×${counter.count}`)
    .join(', ');
  const more = counts.length > 3 ? ', …' : '';
  return {
    severity: 'warning',
    code: 'discrepancies',
    message: `the store and the rollouts disagreed ${plural(total, 'time')} (${kinds}${more}), last at ${formatIsoTime(Math.max(...counts.map((counter) => counter.lastSeenAt)))}`,
    fix: counts.some((counter) => !LEFT_TO_THE_USER.has(counter.reason))
      ? 'run `agent-state reconcile --repair`'
      : 'run `agent-state reconcile` to list the rollouts it cannot index, fix or move them out of the sessions folders (agent-state never changes rollouts), then run it again',
  };
}

/** Discrepancies `reconcile --repair` cannot fix: the rollouts themselves need a person. */
const LEFT_TO_THE_USER: ReadonlySet<string> = new Set(['unreadable_rollout', 'duplicate_rollout']);

function backfillProblem(state: BackfillState, now: number): DoctorProblem | undefined {
  switch (state.status) {
    case 'complete':
      return undefined;
    case 'pending':
      return {
        severity: 'warning',
        code: 'backfill-incomplete',
        message:
          state.lastWatermark === null
            ? 'the backfill has not run yet: the store does not list the existing sessions'
            : `the backfill has not completed (it stopped after ${state.lastWatermark})`,
        fix: 'run `agent-state backfill`',
      };
    case 'running':
      if (state.holderDead && state.holder !== null) {
        return {
          severity: 'warning',
          code: 'backfill-interrupted',
          message: `a backfill was interrupted before it completed (its process, ${formatHolder(state.holder)}, died)`,
          fix: 'run `agent-state backfill` to resume it (at once)',
        };
      }
      if (state.leaseUntil !== null && state.leaseUntil > now) {
        const where = state.holder === null ? 'another process' : formatHolder(state.holder);
        return {
          severity: 'warning',
          code: 'backfill-running',
          message: `a backfill is running in ${where} (its lease runs until ${formatIsoTime(state.leaseUntil)})`,
          fix: 'wait for it to finish, then run `agent-state doctor` again',
        };
      }
      return {
        severity: 'warning',
        code: 'backfill-interrupted',
        message: 'a backfill was interrupted before it completed (its lease expired)',
        fix: 'run `agent-state backfill` to resume it',
      };
  }
}

/**
 * Rollouts no row points to although the backfill completed: an older release's backfill that did
 * not collect compressed rollouts (the next `backfill` catches up), rollouts written since by a
 * writer that does not update the store (`reconcile --repair` indexes them), or unreadable ones
 * (`reconcile` lists them; they are also counted as discrepancies).
 */
function notIndexedProblem(count: number, backfill: BackfillState): DoctorProblem {
  const olderRelease = backfill.generation < BACKFILL_GENERATION;
  return {
    severity: 'warning',
    code: 'rollouts-not-indexed',
    message: `${plural(count, 'rollout')} not in the store: ${
      olderRelease
        ? 'the backfill was completed by an older release, which did not read compressed (.jsonl.zst) rollouts'
        : 'written or copied here by something that did not update the store, or unreadable'
    }; \`threads list\` does not show them`,
    fix: olderRelease
      ? 'run `agent-state backfill` (it reads only the missing rollouts)'
      : 'run `agent-state reconcile --repair` (it indexes those it can read and lists the others, which need a person)',
  };
}

/** The problem to report for an error of category `store`, raised opening or reading the store. */
function storeProblem(error: AgentStateError, path: string): DoctorProblem {
  const problem = (code: string, fix: string): DoctorProblem => ({
    severity: 'error',
    code,
    message: oneLine(error.message),
    fix,
  });
  switch (error.code) {
    case ErrorCode.StoreCorrupt:
      return problem('store-corrupt', rebuildFix(path));
    case ErrorCode.StoreTooNew:
      return problem(
        'store-too-new',
        'upgrade agent-state (`npm i -g @agent-state/cli@latest`); the file was left untouched',
      );
    case ErrorCode.StoreForeign:
      return problem(
        'store-foreign',
        `move ${shellQuote(path)} out of the way if it is not needed, or use another --home`,
      );
    case ErrorCode.StoreBusy:
      return problem(
        'store-busy',
        'another process keeps the database locked: run `agent-state doctor` again once it is done',
      );
    case ErrorCode.StoreIo:
      return problem(
        'store-io',
        'check that the home exists and is writable by you, and that the disk is not full',
      );
    default:
      // A store code this doctor has no advice for: `STORE_X` is reported as `store-x`.
      return problem(
        error.code.toLowerCase().replaceAll('_', '-'),
        `check ${shellQuote(path)} and the home; the rollouts are untouched`,
      );
  }
}

function rebuildFix(path: string): string {
  const quoted = shellQuote(path);
  const aside = shellQuote(`${path}.corrupt`);
  return `move the file aside (\`mv ${quoted} ${aside}\`), then run \`agent-state backfill\` to rebuild the store from the rollouts`;
}

/**
 * The text report: aligned facts, then the problems with their fixes. Colors come from `colors`
 * (identity functions when off).
 */
export function renderDoctorReport(report: DoctorReport, colors: Colors): string[] {
  const { store } = report;
  const rows: Array<[string, string]> = [
    ['home', report.home],
    ['store', store.path],
    ['generation', String(store.generation)],
    [
      'schema version',
      store.schemaVersion === null ? colors.dim('unknown') : String(store.schemaVersion),
    ],
    ['size', storeSize(report, colors)],
    ['integrity', integrityText(report, colors)],
    ['backfill', report.backfill ? backfillText(report.backfill) : colors.dim('unknown')],
    [
      'threads',
      report.threads
        ? `${report.threads.total} (${report.threads.archived} archived)`
        : colors.dim('unknown'),
    ],
    [
      'rollouts',
      report.rollouts
        ? `${report.rollouts.total} (${report.rollouts.notIndexed} not in the store)`
        : colors.dim('unknown'),
    ],
    ['discrepancies', discrepanciesText(report, colors)],
    ['memories', memoriesText(report.memories, colors)],
    [
      'consolidation',
      report.memories ? phase2Text(report.memories, colors) : colors.dim('unknown'),
    ],
    ['logs database', logsText(report.logs, colors)],
    ['dropped logs', droppedText(report.logs, colors)],
  ];
  const lines = [
    colors.bold('agent-state doctor'),
    '',
    ...alignedRows(rows, { style: colors.dim }),
  ];
  if (report.discrepancies !== null && report.discrepancies.length > 0) {
    lines.push('', colors.bold('discrepancies'));
    lines.push(
      ...alignedRows(
        report.discrepancies.map((counter): [string, string] => [
          `${counter.stage} ${counter.reason}`,
          `${counter.count} ${colors.dim(`(last ${formatIsoTime(counter.lastSeenAt)})`)}`,
        ]),
        { style: colors.dim },
      ),
    );
  }

  lines.push('');
  if (report.problems.length === 0) {
    lines.push(colors.green('no problems found'));
    return lines;
  }
  const errors = report.problems.filter((problem) => problem.severity === 'error').length;
  const warnings = report.problems.length - errors;
  const summary = [
    errors > 0 ? colors.red(plural(errors, 'error')) : undefined,
    warnings > 0 ? colors.yellow(plural(warnings, 'warning')) : undefined,
  ].filter((part) => part !== undefined);
  lines.push(`${summary.join(', ')}:`);
  for (const problem of report.problems) {
    const label = problem.severity === 'error' ? colors.red('error:  ') : colors.yellow('warning:');
    lines.push(`  ${label} ${problem.message}`);
    lines.push(`           ${colors.cyan('fix:')} ${problem.fix}`);
  }
  return lines;
}

function discrepanciesText(report: DoctorReport, colors: Colors): string {
  if (report.discrepancies === null) return colors.dim('unknown');
  if (report.discrepancies.length === 0) return 'none';
  const total = report.discrepancies.reduce((sum, counter) => sum + counter.count, 0);
  return `${total} (see below)`;
}

function memoriesText(counts: MemoryJobCounts | null, colors: Colors): string {
  if (counts === null) return colors.dim('unknown');
  const { running, pending, done, error, exhausted } = counts.stage1;
  const total = running + pending + done + error + exhausted;
  const outputs = plural(counts.outputs, 'output');
  if (total === 0) return `no stage-1 jobs, ${outputs}`;
  const failed = (count: number, label: string): string =>
    count > 0 ? colors.yellow(`${count} ${label}`) : `${count} ${label}`;
  const parts = [
    `${done} done`,
    `${running} running`,
    `${pending} pending`,
    failed(error, 'error'),
    failed(exhausted, 'exhausted'),
  ];
  return `${plural(total, 'stage-1 job')} (${parts.join(', ')}), ${outputs}`;
}

function phase2Text(counts: MemoryJobCounts, colors: Colors): string {
  const { status, dirty, leaseUntil, holder, retryAt, lastError } = counts.phase2;
  if (status === null) return colors.dim('never run');
  let text = status;
  if (status === 'running' && holder !== null) text += ` in ${formatHolder(holder)}`;
  if (status === 'running' && leaseUntil !== null) {
    text += ` (lease until ${formatIsoTime(leaseUntil)})`;
  }
  if (retryAt !== null) text += ` (retry after ${formatIsoTime(retryAt)})`;
  if (dirty && status !== 'running') text += ', new inputs waiting';
  if (lastError !== null) text += `: ${colors.yellow(oneLine(lastError))}`;
  return text;
}

function logsText(logs: LogsHealth, colors: Colors): string {
  if (logs.sizeBytes === null) return `${logs.path} ${colors.dim('(not created yet)')}`;
  const rows = logs.rows === null ? '' : `, ${plural(logs.rows, 'row')}`;
  return `${logs.path} (${formatBytes(logs.sizeBytes)}${rows})`;
}

function droppedText(logs: LogsHealth, colors: Colors): string {
  if (logs.droppedEntries === 0) return 'none';
  const last = logs.lastDropAt === null ? '' : ` (last ${formatIsoTime(logs.lastDropAt)})`;
  return colors.yellow(`${logs.droppedEntries}${last}`);
}

function storeSize(report: DoctorReport, colors: Colors): string {
  const { sizeBytes, walBytes } = report.store;
  if (sizeBytes === null) return colors.dim('no file');
  const wal = walBytes === null || walBytes === 0 ? '' : ` (wal ${formatBytes(walBytes)})`;
  return `${formatBytes(sizeBytes)}${wal}`;
}

function integrityText(report: DoctorReport, colors: Colors): string {
  const integrity = report.store.integrity;
  if (integrity === null) return colors.dim('not checked');
  if (integrity.ok) return colors.green('ok');
  return colors.red(`${plural(integrity.problems.length, 'problem')} found`);
}

function backfillText(state: BackfillState): string {
  switch (state.status) {
    case 'complete':
      return state.lastSuccessAt === null
        ? 'complete'
        : `complete (last run ${formatIsoTime(state.lastSuccessAt)})`;
    case 'pending':
      return state.lastWatermark === null
        ? 'pending (not started)'
        : `pending (resumes after ${state.lastWatermark})`;
    case 'running': {
      const where = state.holder === null ? '' : ` in ${formatHolder(state.holder)}`;
      if (state.holderDead) return `interrupted: its process${where} died`;
      const progress =
        state.progress === null
          ? ''
          : `, ${state.progress.done} of ${state.progress.total} rollouts`;
      return state.leaseUntil === null
        ? `running${where}`
        : `running${where} (lease until ${formatIsoTime(state.leaseUntil)}${progress})`;
    }
  }
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
