import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { logsDbPath, stateDbPath } from '@agent-state/state';

import { listTrash } from '../delete/trash.js';
import { regularFileSize } from '../fs/regular-file-size.js';
import { isCompressedRolloutPath } from '../paths/rollout-paths.js';
import { walkRollouts } from '../paths/rollout-walker.js';

/**
 * Rollouts counted together (a month of `sessions/`, or `archived_sessions/`): how many, how many
 * of them compressed (`.jsonl.zst`), and their bytes on disk.
 *
 * @example
 * ```ts
 * const { files, compressed, bytes } = report.sizes.archived;
 * ```
 */
export interface RolloutSizes {
  files: number;
  compressed: number;
  bytes: number;
}

/**
 * Where a home's bytes are, as `agent-state doctor` reports them: the active rollouts by month
 * (of their file names), the archived ones, our trash, our databases (each with its write-ahead
 * log) and the memories folder. What is not there counts 0 (`memories` is `null` when no root
 * was given).
 *
 * @example
 * ```ts
 * for (const { month, bytes } of report.sizes.sessionsByMonth) console.log(month, bytes);
 * ```
 */
export interface HomeSizes {
  /** `sessions/`, newest month first (`YYYY-MM`, `unknown` for names without a date). */
  sessionsByMonth: Array<{ month: string } & RolloutSizes>;
  archived: RolloutSizes;
  /** Deleted threads waiting in `agent_state_trash/` (see `threads delete`, `gc`). */
  trash: { threads: number; bytes: number };
  /** `agent_state_<N>.sqlite` and `agent_logs_<N>.sqlite`, with their `-wal` and `-shm`. */
  databases: { state: number; logs: number };
  memories: { files: number; bytes: number } | null;
  /** All of the above. */
  totalBytes: number;
}

/** @internal Nothing measured yet (a report's sizes before {@link measureHome}). */
export const NO_SIZES: HomeSizes = Object.freeze({
  sessionsByMonth: [],
  archived: { files: 0, compressed: 0, bytes: 0 },
  trash: { threads: 0, bytes: 0 },
  databases: { state: 0, logs: 0 },
  memories: null,
  totalBytes: 0,
});

/** @internal Measures a home (see {@link HomeSizes}); `memoriesRoot` is the memories folder, if any. */
export async function measureHome(home: string, memoriesRoot?: string): Promise<HomeSizes> {
  const months = new Map<string, RolloutSizes>();
  const archived: RolloutSizes = { files: 0, compressed: 0, bytes: 0 };
  for await (const file of walkRollouts({ home, onUnreadable: () => undefined })) {
    const bytes = await sizeOf(file.path);
    if (bytes === undefined) continue;
    let sizes = archived;
    if (!file.archived) {
      const month = file.parsed
        ? new Date(file.parsed.createdAt * 1000).toISOString().slice(0, 7)
        : 'unknown';
      sizes = months.get(month) ?? { files: 0, compressed: 0, bytes: 0 };
      months.set(month, sizes);
    }
    sizes.files += 1;
    sizes.bytes += bytes;
    if (isCompressedRolloutPath(file.path)) sizes.compressed += 1;
  }
  const trashed = await listTrash(home).catch(() => []);
  const sizes: HomeSizes = {
    sessionsByMonth: [...months]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .map(([month, counted]) => ({ month, ...counted })),
    archived,
    trash: {
      threads: trashed.length,
      bytes: trashed.reduce(
        (sum, { manifest }) => sum + manifest.files.reduce((all, file) => all + file.bytes, 0),
        0,
      ),
    },
    databases: {
      state: await databaseSize(stateDbPath(home)),
      logs: await databaseSize(logsDbPath(home)),
    },
    memories: memoriesRoot === undefined ? null : await folderSize(memoriesRoot),
    totalBytes: 0,
  };
  sizes.totalBytes =
    sizes.sessionsByMonth.reduce((sum, month) => sum + month.bytes, 0) +
    archived.bytes +
    sizes.trash.bytes +
    sizes.databases.state +
    sizes.databases.logs +
    (sizes.memories?.bytes ?? 0);
  return sizes;
}

/** A regular file's size; `undefined` when it is not there or cannot be told (a report, not a check). */
function sizeOf(path: string): Promise<number | undefined> {
  return regularFileSize(path).catch(() => undefined);
}

async function databaseSize(path: string): Promise<number> {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) total += (await sizeOf(`${path}${suffix}`)) ?? 0;
  return total;
}

/** Regular files under `dir` (links not followed) and their bytes; zero when it is not there. */
async function folderSize(dir: string): Promise<{ files: number; bytes: number }> {
  const total = { files: 0, bytes: 0 };
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return total;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await folderSize(path);
      total.files += inner.files;
      total.bytes += inner.bytes;
    } else if (entry.isFile()) {
      total.files += 1;
      total.bytes += (await sizeOf(path)) ?? 0;
    }
  }
  return total;
}
