import { existsSync } from 'node:fs';
import { lstat, realpath, rm } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  type AgentStateStore,
  type Clock,
  type Logger,
  logsDbPath,
  noopLogger,
  openLogsStore,
} from '@agent-state/state';

import { listTrash } from '../delete/trash.js';
import { keepArchiveTime } from '../indexer/keep-archive-time.js';
import { indexRollouts } from '../indexer/index-rollouts.js';
import { isCompressedRolloutPath, parseRolloutFileName } from '../paths/rollout-paths.js';
import { walkRollouts } from '../paths/rollout-walker.js';
import { describeErrno } from '../fs/errno.js';
import { compressRolloutFile } from './compress-rollout-file.js';
import { openFilesOfProcesses } from './open-files.js';

const DAY_MS = 86_400_000;

/**
 * Default of {@link RunGcOptions.compressAfterMs}: 7 days idle, as Codex.
 *
 * @example
 * ```ts
 * await runGc({ home, clock, compressAfterMs: 4 * GC_COMPRESS_AFTER_MS }); // four weeks
 * ```
 */
export const GC_COMPRESS_AFTER_MS = 7 * DAY_MS;

/**
 * Default of {@link RunGcOptions.trashAfterMs}: a deleted thread stays 30 days in the trash.
 *
 * @example
 * ```ts
 * await runGc({ home, clock, trashAfterMs: GC_TRASH_AFTER_MS / 2 });
 * ```
 */
export const GC_TRASH_AFTER_MS = 30 * DAY_MS;

/**
 * Options of {@link runGc}.
 *
 * @example
 * ```ts
 * const options: RunGcOptions = { home, store, clock: systemClock, dryRun: true };
 * ```
 */
export interface RunGcOptions {
  home: string;
  /** When given, the rows of compressed rollouts follow their new paths. */
  store?: Pick<AgentStateStore, 'index' | 'threads'> | undefined;
  /** Rollouts idle (by mtime) at least this long are compressed (default 7 days). */
  compressAfterMs?: number | undefined;
  /** Deletions older than this leave the trash for good (default 30 days). */
  trashAfterMs?: number | undefined;
  /** Prune (Codex's retention: 90 days, 10 MiB a partition) and vacuum our logs database (default true). */
  logs?: boolean | undefined;
  /** Say what would be done, and change nothing. */
  dryRun?: boolean | undefined;
  clock: Clock;
  /** Stops after the file being compressed. */
  signal?: AbortSignal | undefined;
  /** Called after each rollout compressed or skipped. */
  onProgress?: ((progress: { done: number; total: number }) => void) | undefined;
  logger?: Logger | undefined;
}

/**
 * What {@link runGc} did (with `dryRun`, what it would do: `compressed` lists the candidates with
 * `bytesAfter: null`, and the figures after are those before).
 *
 * @example
 * ```ts
 * const report = await runGc({ home, store, clock: systemClock });
 * console.log(`${report.bytes.before} -> ${report.bytes.after} bytes`);
 * ```
 */
export interface GcReport {
  dryRun: boolean;
  /** Rollouts compressed (`from` the `.jsonl`, `to` the `.jsonl.zst`). */
  compressed: Array<{ from: string; to: string; bytesBefore: number; bytesAfter: number | null }>;
  /**
   * Whether the files processes hold open could be asked for (`/proc` on Linux, `lsof`
   * elsewhere) and those were left alone; `false` where neither answers (then, as Codex does,
   * only the idle time protects a rollout); `null` when no rollout was cold.
   */
  openFilesChecked: boolean | null;
  /** Cold rollouts left alone, and why (`open` by a process, `changed`, …, `error` with its message). */
  skipped: Array<{
    path: string;
    reason: 'open' | 'changed' | 'compressed-twin-exists' | 'gone' | 'error';
    message?: string | undefined;
  }>;
  /** Deletions removed from the trash. */
  trash: Array<{ dir: string; threadId: string; deletedAt: string; bytes: number }>;
  /** Steps that could not be done (the trash, the logs database), each said in a line. */
  problems: string[];
  /** Our logs database, when there is one and `logs` is on. */
  logs: { path: string; deletedRows: number; bytesBefore: number; bytesAfter: number } | null;
  /** Bytes of the rollouts, the trash and our logs database, before and after. */
  bytes: {
    rollouts: { before: number; after: number };
    trash: { before: number; after: number };
    logs: { before: number; after: number };
    before: number;
    after: number;
  };
}

/**
 * Retention without loss, for a home that keeps growing: compresses the rollouts idle for a week
 * exactly as Codex's own cold-rollout compression does (so Codex 0.169 lists them and materializes
 * them when resumed; see `compressRolloutFile`), never one a process holds open (Linux) or one
 * written to meanwhile; empties the trash of deletions older than a month; prunes and vacuums our
 * logs database. With a store, the compressed rollouts' rows follow their new paths (the same
 * metadata, search documents and usage records: the content is the same).
 *
 * A rollout that cannot be compressed is reported in `skipped` (reason `error`) and the others go
 * on; an error of the store is thrown.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home });
 * const report = await runGc({ home, store, clock: systemClock });
 * console.log(`${report.compressed.length} compressed, ${report.bytes.before - report.bytes.after} bytes freed`);
 * ```
 */
export async function runGc(options: RunGcOptions): Promise<GcReport> {
  const { clock } = options;
  const home = resolve(options.home);
  const log = (options.logger ?? noopLogger).child({ target: 'agent_state::gc' });
  const dryRun = options.dryRun === true;
  const nowMs = clock.now();
  const coldBefore = nowMs - (options.compressAfterMs ?? GC_COMPRESS_AFTER_MS);
  const report: GcReport = {
    dryRun,
    openFilesChecked: null,
    compressed: [],
    skipped: [],
    trash: [],
    problems: [],
    logs: null,
    bytes: {
      rollouts: { before: 0, after: 0 },
      trash: { before: 0, after: 0 },
      logs: { before: 0, after: 0 },
      before: 0,
      after: 0,
    },
  };

  // 1. The rollouts: their bytes, and the cold plain ones.
  const cold: Array<{ path: string; archived: boolean; bytes: number }> = [];
  for await (const file of walkRollouts({ home, onUnreadable: (f) => log.warn(f.error.message) })) {
    const stats = await lstat(file.path).catch(() => undefined);
    if (!stats?.isFile()) continue;
    report.bytes.rollouts.before += stats.size;
    if (!isCompressedRolloutPath(file.path) && stats.mtimeMs <= coldBefore) {
      cold.push({ path: file.path, archived: file.archived, bytes: stats.size });
    }
  }
  report.bytes.rollouts.after = report.bytes.rollouts.before;
  // Asked again every OPEN_FILES_REFRESH files: a thread resumed during a long pass is seen.
  let open = cold.length > 0 ? await openFilesOfProcesses() : undefined;
  report.openFilesChecked = cold.length > 0 ? open !== undefined : null;
  let sinceRefresh = 0;
  // A few files at a time: each waits mostly on the disk (a sync, renames), not on the CPU.
  const outcomes: Array<GcReport['compressed'][number] | GcReport['skipped'][number]> = [];
  let next = 0;
  let done = 0;
  /** Compressed rollouts whose row did not follow (none, or naming another file): indexed after. */
  const unfollowed: Array<{ path: string; archived: boolean }> = [];
  const compressNext = async (): Promise<void> => {
    while (next < cold.length && !options.signal?.aborted) {
      const index = next++;
      if (open !== undefined && ++sinceRefresh >= OPEN_FILES_REFRESH) {
        sinceRefresh = 0;
        open = (await openFilesOfProcesses()) ?? open;
      }
      const outcome = await compressCold(cold[index]!, open, dryRun, log);
      // The row follows at once, so that no listing meanwhile finds it naming a file now gone.
      if ('from' in outcome && !dryRun && options.store) {
        const followed = await followRow(options.store, outcome.from, outcome.to);
        if (!followed) unfollowed.push({ path: outcome.to, archived: cold[index]!.archived });
      }
      outcomes[index] = outcome;
      done += 1;
      options.onProgress?.({ done, total: cold.length });
    }
  };
  await Promise.all(Array.from({ length: GC_PARALLEL_FILES }, compressNext));
  for (const outcome of outcomes) {
    if (outcome === undefined) continue; // Not reached before the signal.
    if ('from' in outcome) {
      report.compressed.push(outcome);
      if (outcome.bytesAfter !== null) {
        report.bytes.rollouts.after += outcome.bytesAfter - outcome.bytesBefore;
      }
    } else {
      report.skipped.push(outcome);
    }
  }
  if (options.store && unfollowed.length > 0) await indexUnfollowed(options.store, unfollowed, log);

  // 2. The trash. A step that fails is reported; the others are done all the same.
  const trashAfterMs = options.trashAfterMs ?? GC_TRASH_AFTER_MS;
  try {
    for (const { dir, manifest } of await listTrash(home)) {
      const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
      report.bytes.trash.before += bytes;
      if (dryRun || Date.parse(manifest.deletedAt) > nowMs - trashAfterMs) {
        report.bytes.trash.after += bytes;
        if (dryRun && Date.parse(manifest.deletedAt) <= nowMs - trashAfterMs) {
          report.trash.push({
            dir,
            threadId: manifest.threadId,
            deletedAt: manifest.deletedAt,
            bytes,
          });
        }
        continue;
      }
      try {
        await rm(dir, { recursive: true, force: true });
        report.trash.push({
          dir,
          threadId: manifest.threadId,
          deletedAt: manifest.deletedAt,
          bytes,
        });
      } catch (error) {
        report.bytes.trash.after += bytes;
        report.problems.push(`cannot empty ${dir} from the trash: ${describeErrno(error)}`);
      }
    }
  } catch (error) {
    report.problems.push(`cannot read the trash: ${describeErrno(error)}`);
  }

  // 3. Our logs database (never created here).
  if (options.logs !== false && existsSync(logsDbPath(home))) {
    try {
      report.logs = await pruneLogs(home, clock, dryRun, log);
      report.bytes.logs = { before: report.logs.bytesBefore, after: report.logs.bytesAfter };
    } catch (error) {
      report.problems.push(
        `cannot prune the logs database ${logsDbPath(home)}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  const { rollouts, trash, logs } = report.bytes;
  report.bytes.before = rollouts.before + trash.before + logs.before;
  report.bytes.after = rollouts.after + trash.after + logs.after;
  log.info('gc done', {
    compressed: report.compressed.length,
    skipped: report.skipped.length,
    trash: report.trash.length,
    before: report.bytes.before,
    after: report.bytes.after,
    dryRun,
  });
  return report;
}

/** Rollouts compressed between two looks at the files processes hold open. */
const OPEN_FILES_REFRESH = 200;

/** Rollouts compressed at once. */
const GC_PARALLEL_FILES = 4;

/** One cold rollout: compressed (or, in a dry run, what would be), or why not. */
async function compressCold(
  file: { path: string; bytes: number },
  open: ReadonlySet<string> | undefined,
  dryRun: boolean,
  log: Logger,
): Promise<GcReport['compressed'][number] | GcReport['skipped'][number]> {
  if (open !== undefined && open.has(await realpath(file.path).catch(() => file.path))) {
    return { path: file.path, reason: 'open' };
  }
  if (dryRun) {
    return { from: file.path, to: `${file.path}.zst`, bytesBefore: file.bytes, bytesAfter: null };
  }
  try {
    const done = await compressRolloutFile(file.path);
    if (done.outcome === 'skipped') return { path: file.path, reason: done.reason };
    const { from, to, bytesBefore, bytesAfter } = done;
    return { from, to, bytesBefore, bytesAfter };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn('cannot compress a rollout', { path: file.path, error: message });
    return { path: file.path, reason: 'error', message };
  }
}

/** Points the row of the rollout compressed from `from` at `to`; `false` when it named another file. */
async function followRow(
  store: Pick<AgentStateStore, 'threads'>,
  from: string,
  to: string,
): Promise<boolean> {
  const id = parseRolloutFileName(from)?.id;
  return id !== undefined && (await store.threads.renameRollout(id, { from, to }));
}

/**
 * Indexes compressed rollouts whose rows did not follow them (the store lacked the thread, or
 * its row named another file), keeping the archive time the store knows.
 */
async function indexUnfollowed(
  store: Pick<AgentStateStore, 'index' | 'threads'>,
  rollouts: ReadonlyArray<{ path: string; archived: boolean }>,
  log: Logger,
): Promise<void> {
  const ids = rollouts.flatMap((file) => parseRolloutFileName(file.path)?.id ?? []);
  const rows = new Map((await store.threads.getMany(ids)).map((row) => [row.id, row]));
  const { failed } = await indexRollouts({
    store,
    rollouts,
    logger: log,
    adjust: (_, entry) => ({
      ...entry,
      metadata: keepArchiveTime(rows.get(entry.metadata.id), entry.metadata),
    }),
  });
  for (const { path, error } of failed) {
    log.warn('compressed a rollout but cannot index it', { path, error: error.message });
  }
}

/** Prunes our logs database by Codex's retention and gives the space back (`VACUUM`). */
async function pruneLogs(
  home: string,
  clock: Clock,
  dryRun: boolean,
  log: Logger,
): Promise<NonNullable<GcReport['logs']>> {
  const logs = await openLogsStore({ home, clock, recoverCorrupt: false });
  try {
    const { sizeBytes, walBytes } = logs.stats();
    const bytesBefore = sizeBytes + walBytes;
    if (dryRun) return { path: logs.path, deletedRows: 0, bytesBefore, bytesAfter: bytesBefore };
    const pruned = await logs.prune();
    let bytesAfter = bytesBefore;
    try {
      bytesAfter = logs.vacuum().after;
    } catch (error) {
      log.warn('pruned the logs database but could not vacuum it (busy); the next gc will', {
        path: logs.path,
        error: String(error),
      });
    }
    return {
      path: logs.path,
      deletedRows: pruned.deletedByAge + pruned.deletedBySize,
      bytesBefore,
      bytesAfter,
    };
  } finally {
    logs.close();
  }
}
