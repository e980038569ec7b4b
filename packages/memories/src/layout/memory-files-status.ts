import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { rebuildRequest } from '../forget/rebuild-marker.js';
import {
  MEMORY_FILE,
  MEMORY_SUMMARY_FILE,
  RAW_MEMORIES_FILE,
  ROLLOUT_SUMMARIES_DIR,
  SKILLS_DIR,
} from './memory-layout.js';
import { pathEntry } from './path-entry.js';

/**
 * What a memories root holds, as `memories status` and `doctor` show it. A size is `null` when
 * the file does not exist.
 *
 * @example
 * ```ts
 * const files: MemoryFilesStatus = await memoryFilesStatus(memoriesRoot(home));
 * console.log(`MEMORY.md: ${files.memoryBytes ?? 'none'} bytes, ${files.skills} skills`);
 * ```
 */
export interface MemoryFilesStatus {
  /** The memories root. */
  root: string;
  /** Whether the root exists. */
  exists: boolean;
  /** `MEMORY.md`, bytes. */
  memoryBytes: number | null;
  /** `memory_summary.md`, bytes. */
  summaryBytes: number | null;
  /** `raw_memories.md`, bytes. */
  rawMemoriesBytes: number | null;
  /** Files in `rollout_summaries/`. */
  rolloutSummaries: number;
  /** Skill folders in `skills/`. */
  skills: number;
  /** Threads were forgotten and the next consolidation rebuilds the memory from scratch. */
  rebuildRequested: boolean;
}

/**
 * Reads the sizes of a memories root's files and counts its rollout summaries and skills. Never
 * follows a link; a missing root gives zeros and `null`s.
 *
 * @example
 * ```ts
 * const { memoryBytes, summaryBytes, rawMemoriesBytes, skills } = await memoryFilesStatus(root);
 * ```
 */
export async function memoryFilesStatus(root: string): Promise<MemoryFilesStatus> {
  const exists = (await pathEntry(root))?.isDirectory() === true;
  const size = async (name: string) => {
    const found = exists ? await pathEntry(join(root, name)) : undefined;
    return found?.isFile() ? found.size : null;
  };
  return {
    root,
    exists,
    memoryBytes: await size(MEMORY_FILE),
    summaryBytes: await size(MEMORY_SUMMARY_FILE),
    rawMemoriesBytes: await size(RAW_MEMORIES_FILE),
    rolloutSummaries: exists ? await count(join(root, ROLLOUT_SUMMARIES_DIR), 'file') : 0,
    skills: exists ? await count(join(root, SKILLS_DIR), 'directory') : 0,
    rebuildRequested: exists && (await rebuildRequest(root)) !== undefined,
  };
}

async function count(dir: string, kind: 'file' | 'directory'): Promise<number> {
  if (!(await pathEntry(dir))?.isDirectory()) return 0;
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => (kind === 'file' ? e.isFile() : e.isDirectory())).length;
}
