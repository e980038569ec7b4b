// Shared by concurrency.test.ts (the parent and observer) and matrix.worker.ts (the 8 children).
import { readFileSync, statSync } from 'node:fs';

import { ErrorCode, type LogFields, type Logger, isAgentStateError } from '@agent-state/state';
import { type ListThreadsOptions, listThreads } from '@agent-state/rollout';

/** What a child process does in one round. */
export type Role = 'record' | 'backfill' | 'list' | 'memories';

/** The roles of the 8 processes, by index. */
export const ROLES: readonly Role[] = [
  'record',
  'record',
  'backfill',
  'backfill',
  'list',
  'memories',
  'memories',
  'memories',
];

/** Running stage-1 jobs allowed at once across all processes (far below the default 64). */
export const STAGE1_CAP = 4;
/** Stage-1 jobs one pass asks for: three processes asking together exceed the cap. */
export const STAGE1_BATCH = 3;

export interface MatrixWorkerArgs {
  home: string;
  role: Role;
  index: number;
  seed: number;
  /** Operations of the role (sessions recorded, backfill runs, paginations, memories steps). */
  ops: number;
  /** Listing operations a backfill process runs after its backfill operations. */
  listOps: number;
  /** Fixed time of the memories processes' clocks (a day after the rollouts' mtimes). */
  memoriesNowMs: number;
  /** Fixed base time of the recorders' clocks (file names, line timestamps). */
  recordBaseMs: number;
  /** JSON array of the thread ids every full pagination must return (nothing is deleted). */
  baselineFile: string;
  /** Created exclusively (`wx`) by whoever holds the phase-2 lock, removed before release. */
  phase2Marker: string;
}

export interface MatrixWorkerResult {
  role: Role;
  index: number;
  /** Errors that were SQLITE_BUSY / STORE_BUSY (thrown to the caller or logged by a library). */
  busy: number;
  /** Every other error, thrown or logged at warn/error level (first few). */
  errors: string[];
  /** Invariant violations seen by this process. */
  violations: string[];
  /** Invariant checks this process performed. */
  checks: number;
  recorded: Array<{ id: string; path: string }>;
  backfillOutcomes: string[];
  paginations: Array<{ pages: number; items: number; sources: string[] }>;
  stage1: {
    passes: number;
    claims: Array<{ threadId: string; token: string }>;
    finished: number;
    capRefusals: number;
  };
  phase2: { attempts: number; held: number; contended: number; notDirty: number };
}

const BUSY = /SQLITE_BUSY|database is locked|STORE_BUSY/i;

/** Whether an error is a busy error (typed or raw SQLite). */
export function isBusyError(error: unknown): boolean {
  if (isAgentStateError(error) && error.code === ErrorCode.StoreBusy) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
  return BUSY.test(String(error));
}

/** Counts what libraries log at warn/error level instead of throwing (recorder, listing). */
export class ErrorTally {
  busy = 0;
  readonly errors: string[] = [];
  others = 0;

  note(error: unknown, where: string): void {
    if (isBusyError(error)) this.busy += 1;
    else {
      this.others += 1;
      if (this.errors.length < 10) this.errors.push(`${where}: ${String(error)}`);
    }
  }

  logger(bindings: LogFields = {}): Logger {
    const log =
      (level: string) =>
      (message: string, fields?: LogFields): void => {
        const text = `${level} ${message} ${JSON.stringify({ ...bindings, ...fields })}`;
        this.note(text, 'log');
      };
    return {
      trace: () => undefined,
      debug: (message, fields) => {
        // Listing logs "cannot index a new rollout" at debug: a busy error there still counts.
        const text = `${message} ${JSON.stringify(fields ?? {})}`;
        if (BUSY.test(text)) this.busy += 1;
      },
      info: () => undefined,
      warn: log('warn'),
      error: log('error'),
      child: (more) => this.logger({ ...bindings, ...more }),
    };
  }
}

/**
 * The threads every full pagination must return: nothing is deleted, so every thread listable
 * before the race. The two paths differ by design on blank first messages (the file listing shows
 * a thread with a blank or image-only first message, the store does not, as in Codex), so each
 * path has its own; a pagination that switched from files to the store mid-way owes both.
 */
export interface Baseline {
  files: string[];
  store: string[];
}

export interface PaginationCheck {
  ids: string[];
  pages: number;
  sources: string[];
  checks: number;
  violations: string[];
}

/**
 * One full pagination, newest created first: no thread twice, every listed rollout exists when
 * its page comes back, every thread of `baseline` (which existed before, and nothing is deleted)
 * returned.
 */
export async function paginateAll(
  options: Omit<ListThreadsOptions, 'cursor'>,
  baseline: Baseline | null,
  label: string,
): Promise<PaginationCheck> {
  const seen = new Set<string>();
  const ids: string[] = [];
  const sources = new Set<string>();
  const violations: string[] = [];
  let checks = 0;
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listThreads({ ...options, cursor });
    pages += 1;
    sources.add(page.source);
    for (const item of page.items) {
      checks += 2;
      if (seen.has(item.id)) violations.push(`${label}: ${item.id} listed twice (page ${pages})`);
      seen.add(item.id);
      ids.push(item.id);
      try {
        statSync(item.rolloutPath);
      } catch {
        violations.push(`${label}: ${item.id} listed but ${item.rolloutPath} does not exist`);
      }
    }
    if (page.droppedStale > 0) {
      violations.push(
        `${label}: ${page.droppedStale} stale rows dropped (no file is ever removed)`,
      );
    }
    cursor = page.nextCursor;
    if (pages > 10_000) {
      violations.push(`${label}: pagination does not end`);
      break;
    }
  } while (cursor);
  const owed =
    baseline === null
      ? []
      : sources.has('files') && sources.has('store')
        ? baseline.files.filter((id) => new Set(baseline.store).has(id))
        : sources.has('files')
          ? baseline.files
          : baseline.store;
  for (const id of owed) {
    checks += 1;
    if (!seen.has(id)) violations.push(`${label}: baseline thread ${id} missing`);
  }
  return { ids, pages, sources: [...sources].sort(), checks, violations };
}

export function readBaseline(file: string): Baseline {
  return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
}
