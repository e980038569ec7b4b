import { mkdir, readFile, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { writeFileIfChanged } from '../artifacts/write-file-if-changed.js';
import { SKILLS_DIR } from '../layout/memory-layout.js';
import { pathEntry } from '../layout/path-entry.js';
import { WRITABLE_MEMORY_FILES } from './memory-paths.js';

/**
 * What a consolidation maintains in a memories root, held in memory: `MEMORY.md`,
 * `memory_summary.md` and every file under `skills/` (regular files only; links are neither
 * followed nor kept). Taken before the agent runs, it can put the root back as it was when the
 * run must not count (a `MEMORY.md` over the cap, a rebuild that failed), or set the outputs aside
 * so that the agent builds them again from the evidence alone (after a forget).
 *
 * Only for a process holding the phase-2 lock, which every writer of these files holds.
 *
 * @example
 * ```ts
 * const before = await ConsolidationOutputs.read(root);
 * try {
 *   await runConsolidationAgent({ ...options, root });
 * } catch (error) {
 *   if (error instanceof ConsolidationOverCapError) await before.restore();
 *   throw error;
 * }
 * ```
 */
export class ConsolidationOutputs {
  readonly #root: string;
  /** Content by path relative to the root, `/`-separated. */
  readonly #files: ReadonlyMap<string, Buffer>;

  private constructor(root: string, files: ReadonlyMap<string, Buffer>) {
    this.#root = root;
    this.#files = files;
  }

  /**
   * Reads the outputs the root holds now.
   *
   * @example
   * ```ts
   * const before = await ConsolidationOutputs.read(join(home, 'memories'));
   * ```
   */
  static async read(root: string): Promise<ConsolidationOutputs> {
    const files = new Map<string, Buffer>();
    for (const path of await outputFiles(root)) {
      files.set(path, await readFile(join(root, path)));
    }
    return new ConsolidationOutputs(root, files);
  }

  /**
   * The outputs held, relative to the root, sorted.
   *
   * @example
   * ```ts
   * (await ConsolidationOutputs.read(root)).paths; // ['MEMORY.md', 'memory_summary.md']
   * ```
   */
  get paths(): string[] {
    return [...this.#files.keys()].sort();
  }

  /**
   * Removes every output from the root (the agent then starts from the evidence alone). Empty
   * skill folders go too.
   *
   * @example
   * ```ts
   * await before.setAside();
   * ```
   */
  async setAside(): Promise<void> {
    await removeOutputsExcept(this.#root, new Set());
  }

  /**
   * Puts the root's outputs back as they were when read: files written since are rewritten (each
   * atomically), files created since are removed, files removed since come back.
   *
   * @example
   * ```ts
   * await before.restore();
   * ```
   */
  async restore(): Promise<void> {
    await removeOutputsExcept(this.#root, new Set(this.#files.keys()));
    for (const [path, content] of this.#files) {
      const parts = path.split('/');
      if (parts.length > 1) {
        await mkdir(join(this.#root, ...parts.slice(0, -1)), { recursive: true });
      }
      await writeFileIfChanged(join(this.#root, ...parts), content);
    }
  }
}

/** The output files in `root` now: the writable top-level files, and regular files of skills/. */
async function outputFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of WRITABLE_MEMORY_FILES) {
    if ((await pathEntry(join(root, name)))?.isFile()) found.push(name);
  }
  const walk = async (relative: string[]): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, ...relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) await walk([...relative, entry.name]);
      else if (entry.isFile()) found.push([...relative, entry.name].join('/'));
    }
  };
  if ((await pathEntry(join(root, SKILLS_DIR)))?.isDirectory()) await walk([SKILLS_DIR]);
  return found.sort();
}

/** Removes the output files of `root` not in `keep`, then the skill folders left empty. */
async function removeOutputsExcept(root: string, keep: ReadonlySet<string>): Promise<void> {
  for (const path of await outputFiles(root)) {
    if (keep.has(path)) continue;
    await unlink(join(root, ...path.split('/'))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await removeEmptyFolders(join(root, SKILLS_DIR), false);
}

/** Removes the empty folders under `dir` (and `dir` itself when `self` and empty). */
async function removeEmptyFolders(dir: string, self: boolean): Promise<void> {
  if (!(await pathEntry(dir))?.isDirectory()) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeEmptyFolders(join(dir, entry.name), true);
  }
  if (self && (await readdir(dir)).length === 0) await rmdir(dir).catch(() => undefined);
}
