import { homedir } from 'node:os';
import { resolve } from 'node:path';

import {
  type PricedUsage,
  type ReindexResult,
  type SummarizeUsageOptions,
  type UsageExplanation,
  type UsageReportKind,
  type UsageRow,
  type UsageSummary,
  explainUsage,
  formatCost,
  loadPricingTable,
  reindexUsage,
  summarizeUsage,
} from '@agent-state/rollout';
import { type AgentStateStore, InvalidArgumentError } from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import {
  displayWidth,
  formatCount,
  formatLocalTime,
  padEnd,
  plural,
  singleLine,
  tildePath,
  truncateEnd,
} from '../../format.js';
import {
  type CliIo,
  type Colors,
  colorsFor,
  oneLine,
  terminalColumns,
  writeJson,
  writeLines,
} from '../../output.js';
import type { SharedStoreChoice } from '../../remote-store-options.js';
import { withSharedStore } from '../../remote-store-session.js';
import { backfillFirst, indexNewestRollouts, reindexWithProgress } from '../../store-freshness.js';
import { withStore } from '../../store-session.js';
import type { DayOrTime } from './index.js';

/**
 * What `agent-state usage --json` prints: the summary of `summarizeUsage` (its rows, totals,
 * time zone, the prices' date and source, the models without a price, the index's coverage),
 * with `reindex` after `--reindex`. With `--explain`, the thread's records instead
 * (`explainUsage`).
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['usage', 'daily', '--json'], { encoding: 'utf8' });
 * const report = JSON.parse(stdout) as UsageReport;
 * for (const row of report.rows) console.log(row.key, row.totalTokens, row.costUsd);
 * ```
 */
export type UsageReport = UsageSummary & { reindex?: ReindexResult | undefined };

/** Options of {@link runUsage}. */
export interface RunUsageOptions {
  home: string;
  io: CliIo;
  json: boolean;
  report: UsageReportKind;
  since?: DayOrTime | undefined;
  until?: DayOrTime | undefined;
  /** Working directories, resolved against the current directory. */
  cwds: readonly string[];
  models: readonly string[];
  timeZone?: string | undefined;
  breakdown: boolean;
  pricingFile?: string | undefined;
  /** A thread whose records to list instead of a report. */
  explain?: string | undefined;
  reindex: boolean;
  /** Report over the shared store (across its homes) instead of this home's. */
  shared?: SharedStoreChoice | undefined;
}

/**
 * Prints a usage report (text, or one JSON document: {@link UsageReport}), or with `explain` a
 * thread's records. Like `search`, it first indexes a home never indexed and the newest rollouts
 * the store does not know yet; when the usage index does not cover every thread, stderr says so.
 */
export async function runUsage(options: RunUsageOptions): Promise<ExitCode> {
  const { io, home } = options;
  // A bad pricing file is refused before anything is indexed.
  const pricing =
    options.pricingFile === undefined ? undefined : loadPricingTable(resolve(options.pricingFile));
  let summary: UsageSummary | undefined;
  let explanation: UsageExplanation | undefined;
  let reindexed: ReindexResult | undefined;
  let backfill = 'complete';
  const report = async (store: AgentStateStore): Promise<void> => {
    if (options.explain !== undefined) {
      explanation = await explainUsage({ store, threadId: options.explain });
      return;
    }
    summary = await summarizeUsage({
      store,
      groupBy: options.report,
      ...bounds(options.since, options.until),
      cwds: options.cwds.map((cwd) => resolve(cwd)),
      models: options.models,
      timeZone: options.timeZone,
      pricing,
      breakdown: options.breakdown,
    });
  };
  if (options.shared) {
    // The shared store is indexed by each home's sync; this command only reads it.
    if (options.reindex) {
      throw new InvalidArgumentError(
        '--reindex',
        "indexes this home's store: run it without --store, then `agent-state sync`",
      );
    }
    const { target, selection } = options.shared;
    await withSharedStore(target, home, selection, report);
  } else {
    await withStore(home, async (store) => {
      await backfillFirst(store, io);
      if (options.reindex) reindexed = await reindex(store, io);
      await indexNewestRollouts(store, home, 'all');
      backfill = (await store.backfill.get()).status;
      await report(store);
    });
  }

  const colors = colorsFor(io.stdout, io.env);
  if (explanation !== undefined) {
    if (options.json) writeJson(io.stdout, explanation);
    else writeLines(io.stdout, renderExplanation(explanation, { colors, userHome: homedir() }));
    if (!explanation.fromRollout) {
      writeLines(io.stderr, [
        `${colorsFor(io.stderr, io.env).yellow('agent-state:')} the rollout could not be read (${oneLine(explanation.rolloutError ?? 'unknown error')}): only the records the store holds are listed, not the repeats and duplicates left out`,
      ]);
    }
    return ExitCode.Ok;
  }
  const result = summary!;
  if (options.json) {
    writeJson(io.stdout, reindexed === undefined ? result : { ...result, reindex: reindexed });
  } else {
    if (reindexed !== undefined) {
      writeLines(io.stderr, [
        `agent-state: usage index: ${plural(reindexed.indexed, 'thread')} indexed`,
      ]);
    }
    writeLines(
      io.stdout,
      renderUsageTable(result, { colors, width: terminalColumns(io.stdout), userHome: homedir() }),
    );
  }

  const stderrColors = colorsFor(io.stderr, io.env);
  const note = (text: string) =>
    writeLines(io.stderr, [`${stderrColors.yellow('agent-state:')} ${text}`]);
  if (backfill !== 'complete') {
    note(
      'the store is not fully indexed yet: only the threads it holds were counted (run `agent-state backfill`)',
    );
  }
  const unindexed = result.coverage.threads - result.coverage.indexed;
  if (unindexed > 0) {
    note(
      `${plural(unindexed, 'thread is', 'threads are')} not indexed for usage yet: run \`agent-state usage --reindex\``,
    );
  }
  if (!options.json && result.unpricedModels.length > 0) {
    note(
      `no price for ${result.unpricedModels.map((model) => model ?? '(unnamed model)').join(', ')}: their cost is unknown (--pricing FILE gives one)`,
    );
  }
  return ExitCode.Ok;
}

/** `--since` / `--until` as `summarizeUsage` takes them: a day of the report's zone, or a time. */
function bounds(
  since: DayOrTime | undefined,
  until: DayOrTime | undefined,
): Pick<SummarizeUsageOptions, 'sinceDay' | 'sinceMs' | 'untilDay' | 'untilMs'> {
  return {
    ...(since === undefined
      ? {}
      : 'day' in since
        ? { sinceDay: since.day }
        : { sinceMs: since.ms }),
    ...(until === undefined
      ? {}
      : 'day' in until
        ? { untilDay: until.day }
        : { untilMs: until.ms }),
  };
}

/** `reindexUsage`, its progress drawn on stderr on a terminal. */
async function reindex(store: AgentStateStore, io: CliIo): Promise<ReindexResult> {
  const { threads, indexed } = await store.usage.coverage();
  return reindexWithProgress(io, 'usage', Math.max(0, threads - indexed), (onProgress) =>
    reindexUsage({ store, onProgress }),
  );
}

/** Options of {@link renderUsageTable}. */
export interface UsageTableOptions {
  colors: Colors;
  /** Terminal columns; `undefined` off a terminal (nothing is cut). */
  width?: number | undefined;
  /** Shown as `~` in paths. */
  userHome?: string | undefined;
}

const GAP = '  ';
const NUMBER_COLUMNS = ['input', 'cached', 'output', 'reasoning', 'total', 'cost'] as const;
const FIRST_HEADER: Readonly<Record<UsageReportKind, string>> = {
  daily: 'day',
  weekly: 'week of',
  monthly: 'month',
  session: 'thread',
  model: 'model',
  project: 'project',
};

/**
 * The usage table: one row per group (with `breakdown`, its models indented under it), then the
 * totals; numbers right-aligned with thousands separators, costs in US dollars (`?` unknown,
 * `>= $1.23` when part is unknown). The first column is cut to fit `width`.
 */
export function renderUsageTable(summary: UsageSummary, options: UsageTableOptions): string[] {
  const { colors } = options;
  if (summary.rows.length === 0) return [colors.dim('no usage recorded for these filters')];
  const withModels = summary.groupBy !== 'model';
  type Line = { label: string; models: string; cells: string[]; style: 'row' | 'part' | 'total' };
  const lines: Line[] = [];
  for (const row of summary.rows) {
    lines.push({
      label: labelOf(summary.groupBy, row, options.userHome),
      models: row.models.map((model) => model ?? '?').join(', '),
      cells: numbers(row),
      style: 'row',
    });
    for (const part of row.breakdown ?? []) {
      lines.push({
        label: `  └ ${part.model ?? '?'}`,
        models: '',
        cells: numbers(part),
        style: 'part',
      });
    }
  }
  lines.push({ label: 'total', models: '', cells: numbers(summary.totals), style: 'total' });

  const header = [
    FIRST_HEADER[summary.groupBy],
    ...(withModels ? ['models'] : []),
    ...NUMBER_COLUMNS,
  ];
  const widths = NUMBER_COLUMNS.map((name, index) =>
    Math.max(name.length, ...lines.map((line) => line.cells[index]!.length)),
  );
  const modelsWidth = withModels
    ? Math.max('models'.length, ...lines.map((line) => displayWidth(line.models)))
    : 0;
  const numbersWidth = widths.reduce((sum, width) => sum + width + GAP.length, 0);
  const widestLabel = Math.max(header[0]!.length, ...lines.map((line) => displayWidth(line.label)));
  const room =
    options.width === undefined
      ? widestLabel
      : Math.max(12, options.width - numbersWidth - (withModels ? modelsWidth + GAP.length : 0));
  const labelWidth = Math.min(widestLabel, room);

  const render = (label: string, models: string, cells: readonly string[]) =>
    [
      padEnd(truncateEnd(label, labelWidth), labelWidth),
      ...(withModels ? [padEnd(models, modelsWidth)] : []),
      ...cells.map((cell, index) => cell.padStart(widths[index]!)),
    ].join(GAP);
  const out = [colors.dim(render(header[0]!, withModels ? 'models' : '', NUMBER_COLUMNS))];
  for (const line of lines) {
    const text = render(line.label, line.models, line.cells);
    out.push(
      line.style === 'total' ? colors.bold(text) : line.style === 'part' ? colors.dim(text) : text,
    );
  }
  return out;
}

function labelOf(groupBy: UsageReportKind, row: UsageRow, userHome: string | undefined): string {
  switch (groupBy) {
    case 'session': {
      const title = row.thread === undefined ? '(not in the store)' : singleLine(row.thread.title);
      return `${row.key}  ${title === '' ? '(no title)' : title}`;
    }
    case 'project':
      return tildePath(row.key, userHome);
    case 'model':
      return row.key === '' ? '(unnamed model)' : row.key;
    case 'daily':
    case 'weekly':
    case 'monthly':
      return row.key;
  }
}

function numbers(usage: PricedUsage): string[] {
  return [
    formatCount(usage.inputTokens),
    formatCount(usage.cachedInputTokens),
    formatCount(usage.outputTokens),
    formatCount(usage.reasoningOutputTokens),
    formatCount(usage.totalTokens),
    formatCost(usage),
  ];
}

/**
 * A thread's records: line, local time, source, model, tokens, and `counted` or why not; then
 * what counted and what was left out.
 */
export function renderExplanation(
  explanation: UsageExplanation,
  options: { colors: Colors; userHome?: string | undefined },
): string[] {
  const { colors } = options;
  const { thread, records } = explanation;
  const lines = [
    `${colors.bold(thread.id)}  ${singleLine(thread.title)}`,
    colors.dim(tildePath(thread.rolloutPath, options.userHome)),
  ];
  if (records.length === 0) return [...lines, colors.dim('no usage recorded in this rollout')];
  const rows = records.map((record) => [
    String(record.line),
    formatLocalTime(Math.floor(record.timeMs / 1000), { seconds: true }),
    record.source,
    record.model ?? '?',
    formatCount(record.inputTokens),
    formatCount(record.outputTokens),
    formatCount(record.totalTokens),
  ]);
  const header = ['line', 'time', 'source', 'model', 'input', 'output', 'total'];
  const widths = header.map((name, index) =>
    Math.max(name.length, ...rows.map((row) => displayWidth(row[index]!))),
  );
  const numeric = new Set([0, 4, 5, 6]);
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, index) =>
        numeric.has(index) ? cell.padStart(widths[index]!) : padEnd(cell, widths[index]!),
      )
      .join(GAP);
  lines.push(colors.dim(`${render(header)}${GAP}counted?`));
  records.forEach((record, index) => {
    const text = `${render(rows[index]!)}${GAP}${record.reason}`;
    lines.push(record.excluded === null ? text : colors.dim(text));
  });
  const { excluded } = explanation;
  lines.push(
    `counted: ${plural(explanation.counted.calls, 'call')}, ${formatCount(explanation.counted.totalTokens)} tokens; left out: ${plural(excluded.repeat, 'repeat')}, ${plural(excluded.duplicate, 'duplicate')}, ${excluded.inherited} inherited`,
  );
  return lines;
}
