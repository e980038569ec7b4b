// The problems a doctor report lists, each with what to do about it.

import {
  type AgentStateError,
  type BackfillState,
  ErrorCode,
  type MemoryJobCounts,
} from '@agent-state/state';

import { BACKFILL_GENERATION } from '../backfill/unindexed-rollouts.js';
import type { DoctorDiscrepancy, DoctorProblem } from './doctor-report.js';
import { formatHolder, isoTime, oneLine, plural, shellQuote } from './problem-text.js';

/** A store that fails its integrity check (`PRAGMA quick_check`): the first three findings. */
export function integrityProblem(path: string, problems: readonly string[]): DoctorProblem {
  return {
    severity: 'error',
    code: 'store-integrity',
    message: `database ${path} fails its integrity check: ${problems.slice(0, 3).join('; ')}`,
    fix: rebuildFix(path),
  };
}

/** A logs database that cannot be read: a warning (logs are expendable). */
export function logsUnreadableProblem(path: string, error: AgentStateError): DoctorProblem {
  return {
    severity: 'warning',
    code: 'logs-unreadable',
    message: `the logs database cannot be read: ${oneLine(error.message)}`,
    fix: `move ${shellQuote(path)} aside if it is damaged (logs are expendable: the next command creates a new one), or check that it is readable by you`,
  };
}

/** Log entries the log sinks had to drop, the last at `lastDropAt` (unix seconds). */
export function logsDroppedProblem(
  droppedEntries: number,
  lastDropAt: number | null,
): DoctorProblem {
  const last = lastDropAt === null ? '' : `, the last at ${isoTime(lastDropAt)}`;
  return {
    severity: 'warning',
    code: 'logs-dropped',
    message: `${plural(droppedEntries, 'log entry', 'log entries')} could not be stored and were dropped${last}: the log queue overflowed or a write failed (the disk or the database was too slow, full or locked)`,
    fix: 'check the free disk space and what else writes to the home; `agent-state logs` shows what was kept',
  };
}

/** Failed stage-1 jobs and a failed consolidation of the memories pipeline. */
export function memoriesProblems(counts: MemoryJobCounts): DoctorProblem[] {
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

/** The store and the rollouts disagreed: what `reconcile` (or a person) can do about it. */
export function discrepancyProblem(
  counts: readonly DoctorDiscrepancy[],
): DoctorProblem | undefined {
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
    message: `the store and the rollouts disagreed ${plural(total, 'time')} (${kinds}${more}), last at ${isoTime(Math.max(...counts.map((counter) => counter.lastSeenAt)))}`,
    fix: counts.some((counter) => !LEFT_TO_THE_USER.has(counter.reason))
      ? 'run `agent-state reconcile --repair`'
      : 'run `agent-state reconcile` to list the rollouts it cannot index, fix or move them out of the sessions folders (agent-state never changes rollouts), then run it again',
  };
}

/** Discrepancies `reconcile --repair` cannot fix: the rollouts themselves need a person. */
const LEFT_TO_THE_USER: ReadonlySet<string> = new Set(['unreadable_rollout', 'duplicate_rollout']);

/** A backfill that has not completed: not run, running elsewhere, or interrupted. */
export function backfillProblem(state: BackfillState, now: number): DoctorProblem | undefined {
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
          message: `a backfill is running in ${where} (its lease runs until ${isoTime(state.leaseUntil)})`,
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
export function notIndexedProblem(count: number, backfill: BackfillState): DoctorProblem {
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

/**
 * Threads whose conversation the search index does not hold: indexed by a release without
 * search, or written by something that bypasses the indexer.
 */
export function notSearchableProblem(count: number): DoctorProblem {
  return {
    severity: 'warning',
    code: 'threads-not-searchable',
    message: `${plural(count, 'thread is', 'threads are')} not in the search index (indexed by an older release, or written without the indexer); \`agent-state search\` does not find them`,
    fix: 'run `agent-state search --reindex` (it reads only their rollouts)',
  };
}

/**
 * Threads whose model calls the usage index does not hold: indexed by a release without usage,
 * or written by something that bypasses the indexer.
 */
export function notCountedProblem(count: number): DoctorProblem {
  return {
    severity: 'warning',
    code: 'threads-not-counted',
    message: `${plural(count, 'thread is', 'threads are')} not in the usage index (indexed by an older release, or written without the indexer); \`agent-state usage\` does not count them`,
    fix: 'run `agent-state usage --reindex` (it reads only their rollouts)',
  };
}

/** The problem to report for an error of category `store`, raised opening or reading the store. */
export function storeProblem(error: AgentStateError, path: string): DoctorProblem {
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

/** Moving a damaged store aside and rebuilding it from the rollouts. */
export function rebuildFix(path: string): string {
  const quoted = shellQuote(path);
  const aside = shellQuote(`${path}.corrupt`);
  return `move the file aside (\`mv ${quoted} ${aside}\`), then run \`agent-state backfill\` to rebuild the store from the rollouts`;
}
