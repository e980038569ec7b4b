import { existsSync } from 'node:fs';
import { lstat, realpath, rm } from 'node:fs/promises';

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
  /** Cold rollouts left alone, and why (`open` by a process, `changed`, …, `error` with its message). */
  skipped: Array<{ path: string; reason: string; message?: string | undefined }>;
  /** Deletions removed from the trash. */
  trash: Array<{ dir: string; threadId: string; deletedAt: string; bytes: number }>;
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
  const { home, clock } = options;
  const log = (options.logger ?? noopLogger).child({ target: 'agent_state::gc' });
  const dryRun = options.dryRun === true;
  const nowMs = clock.now();
  const coldBefore = nowMs - (options.compressAfterMs ?? GC_COMPRESS_AFTER_MS);
  const report: GcReport = {
    dryRun,
    compressed: [],
    skipped: [],
    trash: [],
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
  const open = cold.length > 0 && !dryRun ? await openFilesOfProcesses() : undefined;
  // A few files at a time: each waits mostly on the disk (a sync, renames), not on the CPU.
  const outcomes: Array<GcReport['compressed'][number] | GcReport['skipped'][number]> = [];
  let next = 0;
  let done = 0;
  const compressNext = async (): Promise<void> => {
    while (next < cold.length && !options.signal?.aborted) {
      const index = next++;
      outcomes[index] = await compressCold(cold[index]!, open, dryRun, log);
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
  if (options.store && report.compressed.length > 0 && !dryRun) {
    await followCompressed(options.store, report, cold, log);
  }

  // 2. The trash.
  for (const { dir, manifest } of await listTrash(home)) {
    const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    report.bytes.trash.before += bytes;
    if (Date.parse(manifest.deletedAt) > nowMs - (options.trashAfterMs ?? GC_TRASH_AFTER_MS)) {
      report.bytes.trash.after += bytes;
      continue;
    }
    if (!dryRun) await rm(dir, { recursive: true, force: true });
    report.trash.push({ dir, threadId: manifest.threadId, deletedAt: manifest.deletedAt, bytes });
  }
  if (dryRun) report.bytes.trash.after = report.bytes.trash.before;

  // 3. Our logs database (never created here).
  if (options.logs !== false && existsSync(logsDbPath(home))) {
    report.logs = await pruneLogs(home, clock, dryRun, log);
    report.bytes.logs = { before: report.logs.bytesBefore, after: report.logs.bytesAfter };
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

/**
 * Points the compressed rollouts' rows at their new names (the content, hence the metadata and
 * derived records, is the same); a rollout whose row is missing or names another file is indexed
 * instead, keeping the archive time the store knows.
 */
async function followCompressed(
  store: Pick<AgentStateStore, 'index' | 'threads'>,
  report: GcReport,
  cold: ReadonlyArray<{ path: string; archived: boolean }>,
  log: Logger,
): Promise<void> {
  const toIndex: Array<{ path: string; archived: boolean }> = [];
  const archived = new Map(cold.map((file) => [file.path, file.archived]));
  for (const { from, to } of report.compressed) {
    const id = parseRolloutFileName(from)?.id;
    if (id !== undefined && (await store.threads.renameRollout(id, { from, to }))) continue;
    toIndex.push({ path: to, archived: archived.get(from) ?? false });
  }
  if (toIndex.length === 0) return;
  const rows = new Map(
    (
      await store.threads.getMany(
        toIndex.flatMap((file) => parseRolloutFileName(file.path)?.id ?? []),
      )
    ).map((row) => [row.id, row]),
  );
  const { failed } = await indexRollouts({
    store,
    rollouts: toIndex,
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
