import { NO_SIZES, measureHome } from './home-sizes.js';
import { statSync } from 'node:fs';

import {
  type AgentStateStore,
  type Clock,
  ErrorCode,
  type Logger,
  STATE_DB_GENERATION,
  errorCategory,
  logsDbPath,
  openStateStore,
  readLogsHealth,
  stateDbPath,
  toAgentStateError,
  unixSeconds,
} from '@agent-state/state';

import { findUnindexedRollouts } from '../backfill/unindexed-rollouts.js';
import {
  backfillProblem,
  discrepancyProblem,
  integrityProblem,
  logsDroppedProblem,
  logsUnreadableProblem,
  memoriesProblems,
  notIndexedProblem,
  notCountedProblem,
  notSearchableProblem,
  storeProblem,
} from './doctor-problems.js';
import type { DoctorReport } from './doctor-report.js';
import { oneLine } from './problem-text.js';

/**
 * Options of {@link inspectHome}.
 *
 * @example
 * ```ts
 * const options: InspectHomeOptions = { home: resolveHome({ env: process.env }) };
 * ```
 */
export interface InspectHomeOptions {
  /** The home directory (see `resolveHome`). Its store is created when it has none. */
  home: string;
  /**
   * The home's store, already open: inspected as it is, and left open. Without it, the store is
   * opened (a store that cannot be opened becomes a problem of the report) and closed.
   */
  store?: AgentStateStore | undefined;
  /** What "now" is for leases (default: the store's clock, else the system clock). */
  clock?: Clock | undefined;
  /** Where the store opened here logs (default: nowhere). */
  logger?: Logger | undefined;
  /**
   * The memories folder, measured in the report's `sizes` (`memoryLayout(...).root` of
   * `@agent-state/memories`); without it, `sizes.memories` is `null`.
   */
  memoriesRoot?: string | undefined;
}

/**
 * Inspects a home as `agent-state doctor` does and returns the report it prints: the store (does
 * it open, its schema, size and `PRAGMA quick_check`), the backfill, thread and rollout counts
 * (and rollouts not in the store), the discrepancy counters, the memories jobs, the logs database,
 * and the problems found, each with what to do about it. A store that cannot be opened (corrupt,
 * too new, not ours, locked, unwritable) is a problem of the report, not an error; other errors
 * (a bug, a bad argument) are thrown.
 *
 * @example
 * ```ts
 * import { inspectHome } from '@agent-state/rollout';
 * import { resolveHome } from '@agent-state/state';
 *
 * const report = await inspectHome({ home: resolveHome({ env: process.env }) });
 * for (const { severity, message, fix } of report.problems) console.log(`${severity}: ${message}\n  fix: ${fix}`);
 * process.exitCode = report.ok ? 0 : 1;
 * ```
 */
export async function inspectHome(options: InspectHomeOptions): Promise<DoctorReport> {
  const { home } = options;
  const path = stateDbPath(home);
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
    search: null,
    usage: null,
    discrepancies: null,
    memories: null,
    logs: {
      path: logsDbPath(home),
      sizeBytes: null,
      walBytes: null,
      rows: null,
      droppedEntries: 0,
      lastDropAt: null,
    },
    sizes: NO_SIZES,
    problems: [],
  };

  let opened: AgentStateStore | undefined;
  try {
    const store =
      options.store ??
      (opened = await openStateStore({ home, clock: options.clock, logger: options.logger }));
    report.store.opened = true;
    await inspectStore(store, report, options.clock ?? store.clock);
  } catch (error) {
    // Errors that are not about the store (bugs, bad arguments) are not the report's.
    if (errorCategory(error) !== 'store') throw error;
    const failure = toAgentStateError(error);
    report.problems.unshift(storeProblem(failure, path));
    if (failure.code === ErrorCode.StoreCorrupt && report.store.integrity === null) {
      report.store.integrity = { ok: false, problems: [oneLine(failure.message)] };
    }
  } finally {
    await opened?.close();
  }

  report.store.sizeBytes ??= fileSize(path);
  inspectLogs(home, report);
  report.sizes = await measureHome(home, options.memoriesRoot);
  report.ok = report.problems.every((problem) => problem.severity !== 'error');
  return report;
}

async function inspectStore(
  store: AgentStateStore,
  report: DoctorReport,
  clock: Clock,
): Promise<void> {
  const info = await store.info();
  report.store.schemaVersion = info.schemaVersion;
  report.store.sizeBytes = info.sizeBytes;
  report.store.walBytes = info.walBytes;

  const integrityProblems = await store.checkIntegrity();
  report.store.integrity = { ok: integrityProblems.length === 0, problems: integrityProblems };
  if (integrityProblems.length > 0) {
    report.problems.push(integrityProblem(store.path, integrityProblems));
  }

  const backfill = await store.backfill.get();
  report.backfill = backfill;
  const problem = backfillProblem(backfill, unixSeconds(clock));
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

  report.search = await store.search.coverage();
  const unsearchable = report.search.threads - report.search.indexed;
  if (backfill.status === 'complete' && unsearchable > 0) {
    report.problems.push(notSearchableProblem(unsearchable));
  }
  report.usage = await store.usage.coverage();
  const uncounted = report.usage.threads - report.usage.indexed;
  if (backfill.status === 'complete' && uncounted > 0) {
    report.problems.push(notCountedProblem(uncounted));
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
    // Bugs are thrown; any of agent-state's errors is the logs' problem.
    if (errorCategory(thrown) === 'internal') throw thrown;
    report.logs.sizeBytes = fileSize(report.logs.path);
    report.problems.push(logsUnreadableProblem(report.logs.path, toAgentStateError(thrown)));
    return;
  }
  const { droppedEntries, lastDropAt } = report.logs;
  if (droppedEntries > 0) report.problems.push(logsDroppedProblem(droppedEntries, lastDropAt));
}

function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
