import type { HomeSizes } from './home-sizes.js';
import type {
  SearchCoverage,
  BackfillState,
  LogsHealth,
  MemoryJobCounts,
  UsageCoverage,
} from '@agent-state/state';

/**
 * How bad a problem found by {@link inspectHome} is: errors make `agent-state doctor` exit 1,
 * warnings do not.
 *
 * @example
 * ```ts
 * const failed = report.problems.some((problem) => problem.severity === 'error');
 * ```
 */
export type DoctorSeverity = 'error' | 'warning';

/**
 * One problem found by {@link inspectHome}, with what to do about it.
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
 * What {@link inspectHome} found about a home, as `agent-state doctor --json` prints it. Fields
 * the store could not tell (because it did not open) are `null`.
 *
 * @example
 * ```ts
 * const report: DoctorReport = await inspectHome({ home });
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
   * The search index: threads whose documents it holds (`indexed`) of all threads, and its
   * documents (a problem when some threads are not covered once the backfill is complete).
   */
  search: SearchCoverage | null;
  /**
   * The usage index: threads whose model calls it holds (`indexed`) of all threads, and its
   * records (a problem when some threads are not covered once the backfill is complete).
   */
  usage: UsageCoverage | null;
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
  /** Where the home's bytes are: rollouts by month, archived, trash, databases, memories. */
  sizes: HomeSizes;
  problems: DoctorProblem[];
}

/**
 * One discrepancy counter of the store, as {@link inspectHome} reports it (`lastSeenAt` in unix
 * seconds).
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
