import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

import { pathEntry } from './path-entry.js';

/**
 * Folder of the shared memories root under a home: `<home>/memories`.
 *
 * @example
 * ```ts
 * join(home, MEMORIES_DIR); // what memoriesRoot(home) returns
 * ```
 */
export const MEMORIES_DIR = 'memories';

/**
 * The consolidated memory registry, written by the consolidation agent.
 *
 * @example
 * ```ts
 * const registry = join(root, MEMORY_FILE);
 * ```
 */
export const MEMORY_FILE = 'MEMORY.md';

/**
 * The short memory summary new sessions read (see `readMemorySummary`).
 *
 * @example
 * ```ts
 * const summary = join(root, MEMORY_SUMMARY_FILE);
 * ```
 */
export const MEMORY_SUMMARY_FILE = 'memory_summary.md';

/**
 * Folder of the skills the consolidation agent writes (`skills/<name>/SKILL.md`, …).
 *
 * @example
 * ```ts
 * const skill = join(root, SKILLS_DIR, 'release-checklist', 'SKILL.md');
 * ```
 */
export const SKILLS_DIR = 'skills';

/**
 * Folder of the per-thread rollout summaries, `<thread_id>.md`, rebuilt from the store.
 *
 * @example
 * ```ts
 * const file = join(root, ROLLOUT_SUMMARIES_DIR, `${threadId}.md`);
 * ```
 */
export const ROLLOUT_SUMMARIES_DIR = 'rollout_summaries';

/**
 * The merged raw memories, rebuilt from the store.
 *
 * @example
 * ```ts
 * const merged = join(root, RAW_MEMORIES_FILE);
 * ```
 */
export const RAW_MEMORIES_FILE = 'raw_memories.md';

/**
 * Where the pre-shared-root ("user scope") memories lived, relative to the home.
 *
 * @example
 * ```ts
 * const legacy = join(home, ...LEGACY_USER_MEMORY_DIR); // <home>/memories/user/memory
 * ```
 */
export const LEGACY_USER_MEMORY_DIR: readonly string[] = Object.freeze([
  MEMORIES_DIR,
  'user',
  'memory',
]);

/**
 * Entries whose presence means the shared root already holds memories (so the legacy migration
 * does nothing). `consolidated.md` is the file older versions wrote instead of `MEMORY.md`.
 */
const ARTIFACT_NAMES = [
  ROLLOUT_SUMMARIES_DIR,
  RAW_MEMORIES_FILE,
  MEMORY_FILE,
  MEMORY_SUMMARY_FILE,
  'consolidated.md',
  SKILLS_DIR,
] as const;

/**
 * Absolute paths of the memories root and of everything in it.
 *
 * @example
 * ```ts
 * const layout: MemoryLayout = memoryLayout({ home: '/home/me/.codex' });
 * layout.memorySummaryFile; // '/home/me/.codex/memories/memory_summary.md'
 * ```
 */
export interface MemoryLayout {
  /** The memories root. */
  root: string;
  /** `<root>/MEMORY.md`. */
  memoryFile: string;
  /** `<root>/memory_summary.md`. */
  memorySummaryFile: string;
  /** `<root>/skills`. */
  skillsDir: string;
  /** `<root>/rollout_summaries`. */
  rolloutSummariesDir: string;
  /** `<root>/raw_memories.md`. */
  rawMemoriesFile: string;
}

/**
 * The default memories root of a home: `<home>/memories`.
 *
 * @example
 * ```ts
 * memoriesRoot('/home/me/.codex'); // '/home/me/.codex/memories'
 * ```
 */
export function memoriesRoot(home: string): string {
  return join(resolve(home), MEMORIES_DIR);
}

/**
 * The paths of the memories layout: under `root` when given (a configured shared root), else
 * under {@link memoriesRoot}(`home`). Pure: nothing is created.
 *
 * @example
 * ```ts
 * const { rawMemoriesFile, rolloutSummariesDir } = memoryLayout({ home });
 * const custom = memoryLayout({ root: '/srv/team-memories' });
 * ```
 */
export function memoryLayout(options: {
  home?: string | undefined;
  root?: string | undefined;
}): MemoryLayout {
  const root =
    options.root !== undefined
      ? resolve(options.root)
      : options.home !== undefined
        ? memoriesRoot(options.home)
        : undefined;
  if (root === undefined) throw new TypeError('memoryLayout needs a home or a root');
  return {
    root,
    memoryFile: join(root, MEMORY_FILE),
    memorySummaryFile: join(root, MEMORY_SUMMARY_FILE),
    skillsDir: join(root, SKILLS_DIR),
    rolloutSummariesDir: join(root, ROLLOUT_SUMMARIES_DIR),
    rawMemoriesFile: join(root, RAW_MEMORIES_FILE),
  };
}

/**
 * Options of {@link migrateLegacyUserMemory}.
 *
 * @example
 * ```ts
 * const options: MigrateLegacyUserMemoryOptions = { home: '/home/me/.codex' };
 * ```
 */
export interface MigrateLegacyUserMemoryOptions {
  /** The home holding `memories/user/memory`. */
  home: string;
  /** The shared root to fill (default `<home>/memories`). */
  root?: string | undefined;
}

/**
 * What {@link migrateLegacyUserMemory} did:
 * - `migrated`: files were copied (`copied`, relative to the root; `skipped` lists those already
 *   present, which are never overwritten);
 * - `no-legacy`: there is no `memories/user/memory` folder;
 * - `root-has-memories`: the shared root already holds artifacts, so nothing was copied;
 * - `nothing-to-copy`: every legacy file already exists in the root (`skipped`).
 *
 * @example
 * ```ts
 * const result: LegacyMigrationResult = await migrateLegacyUserMemory({ home });
 * if (result.status === 'migrated') logger.info('legacy memories copied', { files: result.copied.length });
 * ```
 */
export interface LegacyMigrationResult {
  status: 'migrated' | 'no-legacy' | 'root-has-memories' | 'nothing-to-copy';
  copied: string[];
  skipped: string[];
}

/**
 * Copies the legacy user-scope memories (`<home>/memories/user/memory/*`) into the shared root,
 * once: only when the legacy folder exists and the root has none of its artifacts yet
 * (`rollout_summaries/`, `raw_memories.md`, `MEMORY.md`, `memory_summary.md`, `consolidated.md`,
 * `skills/`). Files are copied recursively, never over an existing file (each lands under a
 * temporary name and is linked into place, so a crash leaves no half-written file behind);
 * symbolic links are not followed. The legacy tree and the per-cwd buckets
 * (`memories/<hash>/memory`) are left untouched. Running it again does nothing.
 *
 * @example
 * ```ts
 * const { status, copied } = await migrateLegacyUserMemory({ home: '/home/me/.codex' });
 * // 'migrated', ['raw_memories.md', 'rollout_summaries/….md']
 * ```
 */
export async function migrateLegacyUserMemory(
  options: MigrateLegacyUserMemoryOptions,
): Promise<LegacyMigrationResult> {
  const legacy = join(resolve(options.home), ...LEGACY_USER_MEMORY_DIR);
  const root = options.root === undefined ? memoriesRoot(options.home) : resolve(options.root);
  const result: LegacyMigrationResult = { status: 'no-legacy', copied: [], skipped: [] };
  if (!(await isDirectory(legacy))) return result;
  if (root === legacy || root.startsWith(legacy + sep)) return result;
  for (const name of ARTIFACT_NAMES) {
    if (await exists(join(root, name))) return { ...result, status: 'root-has-memories' };
  }
  await mkdir(root, { recursive: true });
  await copyTreeIfMissing(legacy, root, root, result);
  result.status = result.copied.length > 0 ? 'migrated' : 'nothing-to-copy';
  return result;
}

async function copyTreeIfMissing(
  from: string,
  to: string,
  root: string,
  result: LegacyMigrationResult,
): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(target, { recursive: true });
      await copyTreeIfMissing(source, target, root, result);
    } else if (entry.isFile()) {
      const name = relative(root, target).split(sep).join('/');
      if (await copyFileIfMissing(source, target)) result.copied.push(name);
      else result.skipped.push(name);
    }
  }
}

/** Copies `source` to `target` unless `target` exists; false when it did. Never overwrites. */
async function copyFileIfMissing(source: string, target: string): Promise<boolean> {
  if (await exists(target)) return false;
  const temp = `${target}.${randomBytes(6).toString('hex')}.migrating`;
  await copyFile(source, temp, constants.COPYFILE_EXCL);
  try {
    // link() fails when the target exists: an atomic "create if missing" of the complete file.
    await link(temp, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links: rename, after checking again.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
      if (await exists(target)) return false;
      await rename(temp, target);
      return true;
    }
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await pathEntry(path)) !== undefined;
}
