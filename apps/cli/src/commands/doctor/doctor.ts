import {
  type MemoryFilesStatus,
  memoriesRoot,
  memoryFilesStatus,
} from '@agent-state/memories/files';
import {
  type DoctorReport,
  type HomeSizes,
  type RolloutSizes,
  type SharedStoreReport,
  inspectHome,
} from '@agent-state/rollout';
import type { BackfillState, LogsHealth, MemoryJobCounts } from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import { formatHolder, formatIsoTime, plural } from '../../format.js';
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
import { memoryFilesText } from '../../memory-files-text.js';
import type { SharedStoreChoice } from '../../remote-store-options.js';
import { requireHome } from '../../store-session.js';
import { type SharedStoreCheck, checkSharedStore } from './shared-store-check.js';

/**
 * What `agent-state doctor --json` prints: the home's health (`inspectHome`), what its memories
 * root holds (`memoryFilesStatus`), and with `--store` (or `AGENT_STATE_STORE_URL`) the shared
 * store's (`inspectSharedStore`). `problems` and `ok` cover both.
 *
 * @example
 * ```ts
 * const { memoryFiles, sharedStore } = JSON.parse(stdout) as DoctorJson;
 * console.log(memoryFiles.memoryBytes, sharedStore?.homes.length);
 * ```
 */
export interface DoctorJson extends DoctorReport {
  memoryFiles: MemoryFilesStatus;
  /**
   * The shared store, when one was named: `null` when it could not be read (a problem says why).
   * Absent without a shared store.
   */
  sharedStore?: SharedStoreReport | null;
  /** The id this home is pushed under, when a shared store was named and the home has one. */
  homeId?: string;
}

/** Options of {@link runDoctor}. */
export interface RunDoctorOptions {
  /** The resolved home directory. */
  home: string;
  /** Print one JSON document instead of the text report. */
  json: boolean;
  /** The shared store to check too (`--store`, or `AGENT_STATE_STORE_URL`), if any. */
  shared?: SharedStoreChoice | undefined;
  io: CliIo;
}

/**
 * Inspects a home (`inspectHome` of @agent-state/rollout), and the shared store when one is named
 * (`checkSharedStore`), and prints the report (text or JSON) on stdout. Returns
 * `ExitCode.Failure` when an error-level problem was found (a store that does not open, a failed
 * integrity check, a shared store that cannot be read), `ExitCode.Ok` otherwise.
 */
export async function runDoctor(options: RunDoctorOptions): Promise<ExitCode> {
  // A home that does not exist is a mistyped path: never create one to report on it.
  requireHome(options.home);
  // The memories root's files come from the memories package's `files` subpath, which does not
  // load the pipeline and its model client.
  const root = memoriesRoot(options.home);
  const [home, memoryFiles, shared] = await Promise.all([
    inspectHome({ home: options.home, memoriesRoot: root }),
    memoryFilesStatus(root),
    options.shared ? checkSharedStore(options.home, options.shared) : undefined,
  ]);
  const report = withSharedProblems(home, shared);
  if (options.json) {
    writeJson(options.io.stdout, {
      ...report,
      memoryFiles,
      ...(shared
        ? {
            sharedStore: shared.report,
            ...(shared.localHomeId === undefined ? {} : { homeId: shared.localHomeId }),
          }
        : {}),
    } satisfies DoctorJson);
  } else {
    writeLines(
      options.io.stdout,
      renderDoctorReport(report, colorsFor(options.io.stdout, options.io.env), memoryFiles, shared),
    );
  }
  return report.ok ? ExitCode.Ok : ExitCode.Failure;
}

/** The home's report with the shared store's problems after its own. */
function withSharedProblems(
  report: DoctorReport,
  shared: SharedStoreCheck | undefined,
): DoctorReport {
  if (shared === undefined || shared.problems.length === 0) return report;
  return {
    ...report,
    ok: report.ok && shared.problems.every((problem) => problem.severity !== 'error'),
    problems: [...report.problems, ...shared.problems],
  };
}

/**
 * The text report: aligned facts, then the problems with their fixes. Colors come from `colors`
 * (identity functions when off).
 */
export function renderDoctorReport(
  report: DoctorReport,
  colors: Colors,
  memoryFiles?: MemoryFilesStatus,
  shared?: SharedStoreCheck,
): string[] {
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
    [
      'search',
      report.search
        ? `${report.search.indexed} of ${plural(report.search.threads, 'thread')} indexed (${plural(report.search.documents, 'document')})`
        : colors.dim('unknown'),
    ],
    [
      'usage',
      report.usage
        ? `${report.usage.indexed} of ${plural(report.usage.threads, 'thread')} indexed (${plural(report.usage.records, 'model call')})`
        : colors.dim('unknown'),
    ],
    ['discrepancies', discrepanciesText(report, colors)],
    ['memories', memoriesText(report.memories, colors)],
    [
      'consolidation',
      report.memories ? phase2Text(report.memories, colors) : colors.dim('unknown'),
    ],
    ...(memoryFiles
      ? [['memory files', memoryFilesText(memoryFiles, colors)] as [string, string]]
      : []),
    ['logs database', logsText(report.logs, colors)],
    ['dropped logs', droppedText(report.logs, colors)],
  ];
  const disk = diskRows(report.sizes);
  const lines = [
    colors.bold('agent-state doctor'),
    '',
    ...alignedRows(rows, { style: colors.dim }),
    '',
    colors.bold(`disk use (${formatBytes(report.sizes.totalBytes)})`),
    ...alignedRows(disk, { style: colors.dim }),
  ];
  if (shared?.report) {
    lines.push('', ...sharedStoreLines(shared.report, shared.localHomeId, shared.filtered, colors));
  }
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

/** The shared store: what it is, its threads and indexes, then its homes, a row each. */
function sharedStoreLines(
  report: SharedStoreReport,
  localHomeId: string | undefined,
  filtered: boolean,
  colors: Colors,
): string[] {
  const indexed = (coverage: { threads: number; indexed: number }) =>
    `${coverage.indexed} of ${plural(coverage.threads, 'thread')} indexed`;
  const rows: Array<[string, string]> = [
    ['server', `${report.server} ${colors.dim('(read across homes)')}`],
    ['schema version', String(report.info.schemaVersion)],
    ['size', formatBytes(report.info.sizeBytes)],
    ['threads', `${report.threads.total} (${report.threads.archived} archived)`],
    ['search', indexed(report.search)],
    ['usage', indexed(report.usage)],
  ];
  const homes = report.homes.map((entry): [string, string] => [
    entry.host,
    [
      entry.homePath,
      plural(entry.threads, 'thread'),
      entry.lastSyncAt === null
        ? colors.yellow('never completed a sync')
        : `synced ${formatIsoTime(entry.lastSyncAt)}`,
      entry.homeId === localHomeId ? colors.green('this home') : colors.dim(entry.homeId),
    ].join('  '),
  ]);
  return [
    colors.bold('shared store'),
    ...alignedRows(rows, { style: colors.dim }),
    '',
    colors.bold(`homes (${report.homes.length})`),
    ...(homes.length === 0
      ? [colors.dim(filtered ? '  none of those asked for' : '  none pushed yet')]
      : alignedRows(homes, { style: colors.dim })),
  ];
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
  const outputs = `${plural(counts.outputs, 'output')}${counts.disabledThreads > 0 ? `, ${plural(counts.disabledThreads, 'thread')} disabled` : ''}`;
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

/** Where the home's bytes are: sessions by month, archived, trash, databases, memories. */
function diskRows(sizes: HomeSizes): Array<[string, string]> {
  const rollouts = (counted: RolloutSizes) =>
    `${formatBytes(counted.bytes)} in ${plural(counted.files, 'rollout')}${counted.compressed > 0 ? ` (${counted.compressed} compressed)` : ''}`;
  return [
    ...sizes.sessionsByMonth.map((month): [string, string] => [
      `sessions ${month.month}`,
      rollouts(month),
    ]),
    ['archived', rollouts(sizes.archived)],
    [
      'trash',
      `${formatBytes(sizes.trash.bytes)} in ${plural(sizes.trash.threads, 'deleted thread')}`,
    ],
    ['state database', formatBytes(sizes.databases.state)],
    ['logs database', formatBytes(sizes.databases.logs)],
    [
      'memories',
      sizes.memories === null
        ? 'unknown'
        : `${formatBytes(sizes.memories.bytes)} in ${plural(sizes.memories.files, 'file')}`,
    ],
  ];
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
