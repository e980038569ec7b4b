import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { InvalidArgumentError, type Stage1Output, normalizeThreadId } from '@agent-state/state';

import { RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR } from '../layout/memory-layout.js';
import { redactSecrets } from '../phase1/redact-secrets.js';
import { writeFileIfChanged } from './write-file-if-changed.js';

/**
 * The fields of a stored stage-1 output (`Stage1Output` of `@agent-state/state`, what
 * `store.memories.listStage1Outputs` returns) that the phase-1 artifacts are made of.
 */
type ArtifactOutput = Pick<
  Stage1Output,
  'threadId' | 'sourceUpdatedAt' | 'rawMemory' | 'rolloutSummary' | 'rolloutSlug' | 'cwd'
>;

/**
 * Options of {@link rebuildPhase1Artifacts}.
 *
 * @example
 * ```ts
 * const options: RebuildPhase1ArtifactsOptions = { root: memoriesRoot(home), outputs };
 * ```
 */
export interface RebuildPhase1ArtifactsOptions {
  /** The memories root (created if missing). */
  root: string;
  /** The outputs to materialize, in any order (the caller's selection, e.g. the newest N). */
  outputs: readonly ArtifactOutput[];
}

/**
 * What {@link rebuildPhase1Artifacts} changed, as paths relative to the root (`/`-separated,
 * sorted).
 *
 * @example
 * ```ts
 * const changes: Phase1ArtifactsChanges = await rebuildPhase1Artifacts({ root, outputs });
 * if (changes.written.length + changes.removed.length === 0) console.log('artifacts up to date');
 * ```
 */
export interface Phase1ArtifactsChanges {
  /** Files created or rewritten because their content changed. */
  written: string[];
  /** Stale `rollout_summaries/<thread_id>.md` files deleted. */
  removed: string[];
  /** Files whose content was already right (left untouched, mtime kept). */
  unchanged: string[];
}

/** Only these names in `rollout_summaries/` are ours to delete: `<lowercase uuid>.md`. */
const SUMMARY_FILE_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.md$/;

/**
 * Rebuilds the phase-1 artifacts of the memories root from stored outputs, deterministically:
 * - `rollout_summaries/<thread_id>.md` for each output (see {@link formatRolloutSummaryFile});
 * - `rollout_summaries/*.md` files named by a thread id that is not among the outputs are deleted;
 *   no other file is ever touched (other names, folders, upper-case ids);
 * - `raw_memories.md`, all raw memories newest first (see {@link formatRawMemoriesFile}).
 *
 * Outputs whose summary and raw memory are both blank are skipped; when one thread appears more
 * than once, its newest output wins. Every thread id is validated (a UUID, lowercased) before
 * anything is written, so none can name a file outside the folder; an invalid one throws
 * `InvalidArgumentError` and nothing changes. Each file is written atomically (a temporary file
 * in the same folder, then a rename) and only when its bytes differ, so a rebuild from the same
 * rows is byte-identical and touches nothing. One writer at a time: `runMemories` calls it under
 * the phase-2 lock, which also lets it sweep the temporary files of killed writers.
 *
 * @example
 * ```ts
 * const outputs = await store.memories.listStage1Outputs({ limit: 256 });
 * const { written, removed } = await rebuildPhase1Artifacts({ root: memoriesRoot(home), outputs });
 * ```
 */
export async function rebuildPhase1Artifacts(
  options: RebuildPhase1ArtifactsOptions,
): Promise<Phase1ArtifactsChanges> {
  const rows = selectRows(options.outputs);
  const changes: Phase1ArtifactsChanges = { written: [], removed: [], unchanged: [] };
  const summariesDir = join(options.root, ROLLOUT_SUMMARIES_DIR);
  await mkdir(summariesDir, { recursive: true });
  // A symlink planted here would make the rebuild write, and delete `<uuid>.md` files, outside
  // the memories root.
  if (!(await lstat(summariesDir)).isDirectory()) {
    throw new InvalidArgumentError(
      'root',
      `${summariesDir} is not a directory (a symbolic link?); refusing to write or delete through it`,
    );
  }

  const keep = new Set<string>();
  for (const row of rows) {
    const name = `${row.threadId}.md`;
    keep.add(name);
    const changed = await writeFileIfChanged(
      join(summariesDir, name),
      formatRolloutSummaryFile(row),
    );
    (changed ? changes.written : changes.unchanged).push(`${ROLLOUT_SUMMARIES_DIR}/${name}`);
  }

  for (const entry of await readdir(summariesDir, { withFileTypes: true })) {
    if (!entry.isFile() || !SUMMARY_FILE_NAME.test(entry.name) || keep.has(entry.name)) continue;
    try {
      await unlink(join(summariesDir, entry.name));
      changes.removed.push(`${ROLLOUT_SUMMARIES_DIR}/${entry.name}`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  const rawChanged = await writeFileIfChanged(
    join(options.root, RAW_MEMORIES_FILE),
    formatRawMemoriesFile(rows),
  );
  (rawChanged ? changes.written : changes.unchanged).push(RAW_MEMORIES_FILE);

  changes.written.sort();
  changes.removed.sort();
  changes.unchanged.sort();
  return changes;
}

/**
 * The text of `rollout_summaries/<thread_id>.md`: header lines `thread_id:`, `updated_at:` (RFC
 * 3339, UTC), then `cwd:` and `rollout_slug:` when known, a blank line, the trimmed summary
 * (secrets redacted once more, for outputs stored by an older version) and a final newline.
 *
 * @example
 * ```ts
 * formatRolloutSummaryFile({ threadId, sourceUpdatedAt: 1770724800, rolloutSummary: 'Fixed CI.', rolloutSlug: 'fix_ci', cwd: '/src/app' });
 * // 'thread_id: …\nupdated_at: 2026-02-10T12:00:00+00:00\ncwd: /src/app\nrollout_slug: fix_ci\n\nFixed CI.\n'
 * ```
 */
export function formatRolloutSummaryFile(row: Omit<ArtifactOutput, 'rawMemory'>): string {
  // Redacted again: outputs stored by an older version (with fewer rules) are caught too.
  return `${headerLines(row).join('\n')}\n\n${redactSecrets(row.rolloutSummary.trim())}\n`;
}

/**
 * The text of `raw_memories.md`: a title, then one section per output in the given order, each
 * `## Thread \`<thread_id>\`` with the same header lines as the summary files plus
 * `rollout_summary_file:`, a blank line and the trimmed raw memory (secrets redacted once more).
 * With no outputs:
 * `# Raw Memories\n\nNo raw memories yet.\n`.
 *
 * @example
 * ```ts
 * formatRawMemoriesFile([]); // '# Raw Memories\n\nNo raw memories yet.\n'
 * ```
 */
export function formatRawMemoriesFile(
  rows: ReadonlyArray<Omit<ArtifactOutput, 'rolloutSummary'>>,
): string {
  if (rows.length === 0) return '# Raw Memories\n\nNo raw memories yet.\n';
  const sections = rows.map((row) =>
    [
      `## Thread \`${row.threadId}\``,
      ...headerLines(row).slice(1),
      `rollout_summary_file: ${ROLLOUT_SUMMARIES_DIR}/${row.threadId}.md`,
      '',
      redactSecrets(row.rawMemory.trim()),
      '',
    ].join('\n'),
  );
  return `# Raw Memories\n\nMerged stage-1 raw memories (latest first):\n\n${sections.join('\n')}`;
}

/** `thread_id:`, `updated_at:`, then `cwd:` and `rollout_slug:` when known. */
function headerLines(row: Omit<ArtifactOutput, 'rawMemory' | 'rolloutSummary'>): string[] {
  const lines = [
    `thread_id: ${row.threadId}`,
    `updated_at: ${formatUpdatedAt(row.sourceUpdatedAt)}`,
  ];
  if (row.cwd !== '') lines.push(`cwd: ${oneLine(row.cwd)}`);
  if (row.rolloutSlug !== null && row.rolloutSlug !== '') {
    lines.push(`rollout_slug: ${oneLine(row.rolloutSlug)}`);
  }
  return lines;
}

/** Unix seconds as RFC 3339 in UTC with an explicit offset: `2026-02-10T12:00:00+00:00`. */
function formatUpdatedAt(seconds: number): string {
  const date = new Date(Math.floor(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/**
 * Validated, de-duplicated rows, newest first (`sourceUpdatedAt` desc, then thread id desc), so the
 * files do not depend on the order the caller passed.
 */
function selectRows(outputs: readonly ArtifactOutput[]): ArtifactOutput[] {
  const rows = outputs.map((row, index) => ({
    ...row,
    threadId: normalizeThreadId(row.threadId, `outputs[${index}].threadId`),
  }));
  rows.sort(
    (a, b) =>
      b.sourceUpdatedAt - a.sourceUpdatedAt ||
      (a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0),
  );
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (seen.has(row.threadId)) return false;
    seen.add(row.threadId);
    return row.rawMemory.trim() !== '' || row.rolloutSummary.trim() !== '';
  });
}
