import { type ReconcileReason, type ReconcileReport, reconcile } from '@agent-state/rollout';

import { ExitCode } from '../../exit-codes.js';
import { formatDuration, plural, singleLine } from '../../format.js';
import { type CliIo, type Colors, colorsFor, writeJson, writeLines } from '../../output.js';
import { StatusLine } from '../../status-line.js';
import { withStore } from '../../store-session.js';

/** Options of {@link runReconcile}. */
export interface RunReconcileOptions {
  home: string;
  repair: boolean;
  json: boolean;
  io: CliIo;
}

/** Findings listed by the text report; the rest are counted. */
const MAX_LISTED_FINDINGS = 20;

const REASONS: ReadonlyArray<readonly [ReconcileReason, string, boolean]> = [
  ['missing_row', 'rollouts the store does not know', true],
  ['stale_row', 'rows whose rollout is gone', true],
  ['field_mismatch', 'rows that differ from their rollout', true],
  ['unreadable_rollout', 'rollouts that cannot be read', false],
  ['duplicate_rollout', 'thread ids with more than one rollout', false],
];

/**
 * Runs `reconcile` on the store of a home and prints the report (text, or the library's
 * `ReconcileReport` as JSON). Always exits 0 once the comparison ran: findings are its output.
 */
export async function runReconcile(options: RunReconcileOptions): Promise<ExitCode> {
  const { io } = options;
  const stderrColors = colorsFor(io.stderr, io.env);
  const report = await withStore(options.home, async (store) => {
    const backfill = await store.backfill.get();
    if (backfill.status !== 'complete') {
      writeLines(io.stderr, [
        `${stderrColors.yellow('agent-state:')} the backfill has not completed: rollouts it has not reached yet are reported as missing_row (run \`agent-state backfill\` first)`,
      ]);
    }
    const line = new StatusLine({ stream: io.stderr });
    line.draw('comparing the store with the rollouts…', { force: true });
    let result: ReconcileReport;
    try {
      result = await reconcile({ store, repair: options.repair });
    } finally {
      line.clear();
    }
    // The counters now say what is still wrong: the rest has been dealt with (`doctor` reads
    // them). Only the listed findings carry a path; a longer tail counts once per reason.
    await store.discrepancies.clear();
    for (const finding of result.findings.filter((f) => !f.repaired)) {
      await store.discrepancies.record({
        stage: 'reconcile',
        reason: finding.reason,
        threadId: finding.threadId,
        path: finding.path,
      });
    }
    return result;
  });

  if (options.json) writeJson(io.stdout, report);
  else
    writeLines(
      io.stdout,
      renderReconcileReport(report, {
        repair: options.repair,
        colors: colorsFor(io.stdout, io.env),
      }),
    );
  return ExitCode.Ok;
}

function total(report: ReconcileReport): number {
  return Object.values(report.counts).reduce((sum, count) => sum + count, 0);
}

function withoutPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/**
 * The text report: what was compared, counts per reason, the first findings with their paths
 * (and fields), and what to do next.
 */
export function renderReconcileReport(
  report: ReconcileReport,
  options: { repair: boolean; colors: Colors },
): string[] {
  const { colors, repair } = options;
  const lines = [
    `${colors.bold('reconcile:')} ${plural(report.scannedRollouts, 'rollout')} and ${plural(report.scannedRows, 'store row')} compared in ${formatDuration(report.durationMs)}`,
  ];
  const found = total(report);
  if (found === 0) {
    lines.push(colors.green('no discrepancies: the store matches the rollouts'));
    return lines;
  }

  lines.push('');
  const counted = REASONS.filter(([reason]) => report.counts[reason] > 0);
  const reasonWidth = Math.max(...counted.map(([reason]) => reason.length));
  const countWidth = Math.max(...counted.map(([reason]) => String(report.counts[reason]).length));
  for (const [reason, meaning, repairable] of counted) {
    const outcome = !repairable
      ? colors.yellow('left for you to resolve')
      : repair
        ? colors.green('repaired')
        : colors.yellow('not repaired');
    lines.push(
      `  ${reason.padEnd(reasonWidth)}  ${String(report.counts[reason]).padStart(countWidth)}  ${meaning} ${colors.dim('—')} ${outcome}`,
    );
  }

  lines.push(
    '',
    `${plural(found, 'finding')}${found > MAX_LISTED_FINDINGS ? ` (first ${MAX_LISTED_FINDINGS})` : ''}:`,
  );
  for (const finding of report.findings.slice(0, MAX_LISTED_FINDINGS)) {
    const details = [
      finding.fields !== undefined && finding.fields.length > 0
        ? `fields: ${finding.fields.join(', ')}`
        : undefined,
      finding.message === undefined
        ? undefined
        : // Rollout errors start with their path, already shown.
          singleLine(withoutPrefix(finding.message, `${finding.path}: `)),
    ].filter((detail) => detail !== undefined);
    const suffix = details.length > 0 ? ` ${colors.dim(`(${details.join('; ')})`)}` : '';
    lines.push(
      `  ${colors.dim(finding.reason.padEnd(reasonWidth))}  ${finding.threadId ?? '-'}  ${singleLine(finding.path)}${suffix}`,
    );
  }
  const more = found - Math.min(report.findings.length, MAX_LISTED_FINDINGS);
  if (more > 0) lines.push(`  …and ${more} more (see --json)`);

  lines.push('');
  if (repair) {
    lines.push(`${plural(report.repaired, 'finding')} repaired`);
  } else {
    const repairable = REASONS.filter(([, , can]) => can).reduce(
      (sum, [reason]) => sum + report.counts[reason],
      0,
    );
    if (repairable > 0) {
      lines.push(
        `run ${colors.cyan('`agent-state reconcile --repair`')} to fix ${repairable === found ? (found === 1 ? 'it' : 'them') : `${repairable} of them`}`,
      );
    }
  }
  return lines;
}
