import { type GcReport, runGc } from '@agent-state/rollout';

import { ExitCode } from '../../exit-codes.js';
import { plural, singleLine } from '../../format.js';
import {
  type CliIo,
  alignedRows,
  colorsFor,
  formatBytes,
  writeJson,
  writeLines,
} from '../../output.js';
import { whileInterruptible } from '../../registration.js';
import { withStore } from '../../store-session.js';

/** Options of {@link runGcCommand}. */
export interface RunGcCommandOptions {
  home: string;
  io: CliIo;
  /** Default: `runGc`'s (7 days). */
  compressAfterMs?: number | undefined;
  /** Default: `runGc`'s (30 days). */
  trashAfterMs?: number | undefined;
  dryRun: boolean;
  json: boolean;
}

/**
 * Runs the gc over the home (`runGc`, with the store so that it follows the compressed paths)
 * and prints what it did, or with `--json` the `GcReport`. Ctrl-C stops it after the rollouts
 * being compressed. Exits 1 when a step could not be done (`problems`: the trash, the logs).
 */
export async function runGcCommand(options: RunGcCommandOptions): Promise<ExitCode> {
  const { io, home } = options;
  const report = await whileInterruptible((signal) =>
    withStore(home, (store) =>
      runGc({
        home,
        store,
        clock: store.clock,
        logger: store.logger,
        compressAfterMs: options.compressAfterMs,
        trashAfterMs: options.trashAfterMs,
        dryRun: options.dryRun,
        signal,
      }),
    ),
  );
  if (options.json) {
    writeJson(io.stdout, report);
    return ExitCode.Ok;
  }
  const colors = colorsFor(io.stdout, io.env);
  writeLines(io.stdout, [
    `${options.dryRun ? 'gc --dry-run' : 'gc'} of ${home}`,
    ...alignedRows(rows(report), { style: colors.dim }),
    ...report.skipped.flatMap((skip) =>
      skip.message === undefined ? [] : [colors.yellow(`  ${singleLine(skip.message)}`)],
    ),
    ...report.problems.map((problem) => colors.yellow(`  ${singleLine(problem)}`)),
    ...(report.openFilesChecked === false
      ? [
          colors.dim(
            '  this system cannot say which files processes hold open: only the idle time kept open rollouts from being compressed, as in Codex',
          ),
        ]
      : []),
  ]);
  return report.problems.length > 0 ? ExitCode.Failure : ExitCode.Ok;
}

function rows(report: GcReport): Array<[string, string]> {
  const would = report.dryRun ? 'would be ' : '';
  const compressedBytes = report.compressed.reduce((sum, entry) => sum + entry.bytesBefore, 0);
  const compressedAfter = report.compressed.reduce(
    (sum, entry) => sum + (entry.bytesAfter ?? 0),
    0,
  );
  const reasons = new Map<string, number>();
  for (const { reason } of report.skipped) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  const trashBytes = report.trash.reduce((sum, entry) => sum + entry.bytes, 0);
  const result: Array<[string, string]> = [
    [
      'compressed',
      report.compressed.length === 0
        ? 'no rollout is cold enough'
        : `${plural(report.compressed.length, 'rollout')} ${would}compressed, ${formatBytes(compressedBytes)}${report.dryRun ? '' : ` -> ${formatBytes(compressedAfter)}`}`,
    ],
  ];
  if (report.skipped.length > 0) {
    result.push([
      'left alone',
      [...reasons]
        .map(([reason, count]) => `${count} ${SKIP_REASONS[reason] ?? reason}`)
        .join(', '),
    ]);
  }
  result.push([
    'trash',
    report.trash.length === 0
      ? 'nothing old enough to remove'
      : `${plural(report.trash.length, 'deleted thread')} ${would}removed, ${formatBytes(trashBytes)}`,
  ]);
  if (report.logs !== null) {
    result.push([
      'logs',
      report.dryRun
        ? `${formatBytes(report.logs.bytesBefore)} (pruned and vacuumed when run)`
        : `${plural(report.logs.deletedRows, 'row')} pruned, ${formatBytes(report.logs.bytesBefore)} -> ${formatBytes(report.logs.bytesAfter)}`,
    ]);
  }
  result.push([
    'total',
    report.dryRun
      ? `${formatBytes(report.bytes.before)} now`
      : `${formatBytes(report.bytes.before)} -> ${formatBytes(report.bytes.after)}`,
  ]);
  return result;
}

const SKIP_REASONS: Readonly<Record<string, string>> = {
  open: 'open in a process',
  changed: 'written to during the pass',
  'compressed-twin-exists': 'being materialized',
  gone: 'moved meanwhile',
  error: 'could not be compressed (below)',
};
