import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, win32 } from 'node:path';

/**
 * The files the consolidation agent may create, replace or delete, relative to the memories
 * root: the two top-level outputs, and anything inside a skill folder (`skills/<name>/…`).
 * Everything else (`raw_memories.md`, `rollout_summaries/`, stray files) is read-only for it.
 *
 * @example
 * ```ts
 * WRITABLE_MEMORY_FILES.includes('MEMORY.md'); // true
 * ```
 */
export const WRITABLE_MEMORY_FILES: readonly string[] = Object.freeze([
  'MEMORY.md',
  'memory_summary.md',
]);

/** The folder whose skill subfolders the agent may write. */
const SKILLS_DIR = 'skills';

/**
 * The result of checking a path: the value, or the message the model sees (`error: …`).
 *
 * @example
 * ```ts
 * const checked: Checked<string> = { ok: false, error: 'error: path escapes the memories root' };
 * ```
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ESCAPES = 'error: path escapes the memories root';

/**
 * Splits a model-supplied path into its segments, relative to the memories root, refusing
 * anything that could name a file outside it before the file system is touched: NUL bytes,
 * backslashes, absolute paths (POSIX or Windows) and `..` segments. `.` and empty segments are
 * dropped, so `./skills//x/SKILL.md` becomes `['skills', 'x', 'SKILL.md']`; the root itself is
 * `[]`.
 *
 * @example
 * ```ts
 * splitMemoryPath('skills/x/SKILL.md'); // { ok: true, value: ['skills', 'x', 'SKILL.md'] }
 * splitMemoryPath('../x'); // { ok: false, error: 'error: path escapes the memories root: …' }
 * ```
 */
export function splitMemoryPath(raw: unknown): Checked<string[]> {
  if (typeof raw !== 'string') return fail('error: path must be a string');
  if (raw.includes('\0')) return fail(`${ESCAPES}: the path contains a NUL byte`);
  if (raw.includes('\\')) {
    return fail('error: backslashes are not allowed in paths; separate folders with "/"');
  }
  if (posix.isAbsolute(raw) || win32.isAbsolute(raw) || /^[A-Za-z]:/.test(raw)) {
    return fail(
      `${ESCAPES}: absolute paths are refused; give a path relative to the memories root, such as MEMORY.md`,
    );
  }
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return fail(`${ESCAPES}: ".." segments are refused`);
  return { ok: true, value: segments };
}

/**
 * True when the agent may write (or delete) the file at `segments` (as split by
 * {@link splitMemoryPath}): `MEMORY.md`, `memory_summary.md`, or a file inside a skill folder,
 * `skills/<name>/…`.
 *
 * @example
 * ```ts
 * isWritableMemoryPath(['skills', 'deploy', 'SKILL.md']); // true
 * isWritableMemoryPath(['raw_memories.md']); // false
 * ```
 */
export function isWritableMemoryPath(segments: readonly string[]): boolean {
  if (segments.length === 1) return WRITABLE_MEMORY_FILES.includes(segments[0] ?? '');
  return segments.length >= 3 && segments[0] === SKILLS_DIR;
}

/**
 * True when `candidate` (an absolute, symlink-free path) is `root` or inside it.
 *
 * @example
 * ```ts
 * isInside('/home/u/.codex/memories', '/home/u/.codex/memories/MEMORY.md'); // true
 * isInside('/home/u/.codex/memories', '/home/u/.codex/config.toml'); // false
 * ```
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return (
    rel === '' ||
    (!isAbsolute(rel) &&
      rel !== '..' &&
      !rel.startsWith(`..${posix.sep}`) &&
      !rel.startsWith(`..${win32.sep}`))
  );
}

/**
 * Resolves `segments` under `rootReal` (the root's real path) for reading or listing: every
 * symlink on the way is followed, and the result is refused unless its real path is still inside
 * the root. Missing files are reported as such.
 *
 * @example
 * ```ts
 * const checked = await resolveForReading(await realpath(root), ['raw_memories.md']);
 * if (checked.ok) await readFile(checked.value, 'utf8');
 * ```
 */
export async function resolveForReading(
  rootReal: string,
  segments: readonly string[],
): Promise<Checked<string>> {
  const shown = display(segments);
  let real: string;
  try {
    real = await realpath(join(rootReal, ...segments));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return fail(`error: ${shown} does not exist`);
    if (code === 'ELOOP') return fail(`error: ${shown}: too many levels of symlinks`);
    return fail(`error: cannot resolve ${shown}: ${describe(error)}`);
  }
  if (!isInside(rootReal, real)) {
    return fail(`${ESCAPES}: ${shown} goes through a symlink that leads outside it`);
  }
  return { ok: true, value: real };
}

/**
 * Prepares `segments` under `rootReal` for a write or a delete, without ever going through a
 * symlink: each existing component is checked with `lstat` (a symlink is refused; one that leads
 * outside the root is reported as an escape), and with `createFolders` the missing parent folders
 * are created one by one. Returns the absolute path of the target, whose own entry is a regular
 * file or does not exist yet.
 *
 * @example
 * ```ts
 * const checked = await prepareForWriting(rootReal, ['skills', 'x', 'SKILL.md'], { createFolders: true });
 * if (!checked.ok) return checked.error; // shown to the model
 * ```
 */
export async function prepareForWriting(
  rootReal: string,
  segments: readonly string[],
  options: { createFolders: boolean },
): Promise<Checked<{ path: string; exists: boolean }>> {
  let current = rootReal;
  for (let index = 0; index < segments.length; index += 1) {
    const isLast = index === segments.length - 1;
    current = join(current, segments[index] ?? '');
    const shown = display(segments.slice(0, index + 1));
    let entry: Awaited<ReturnType<typeof lstat>> | undefined;
    try {
      entry = await lstat(current);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') {
        return fail(`error: cannot inspect ${shown}: ${describe(error)}`);
      }
    }
    if (entry?.isSymbolicLink()) return refuseSymlink(rootReal, current, shown);
    if (isLast) {
      if (entry?.isDirectory()) return fail(`error: ${shown} is a folder, not a file`);
      if (entry && !entry.isFile()) return fail(`error: ${shown} is not a regular file`);
      return { ok: true, value: { path: current, exists: entry !== undefined } };
    }
    if (entry && !entry.isDirectory()) return fail(`error: ${shown} is a file, not a folder`);
    if (entry) continue;
    if (!options.createFolders) return fail(`error: ${display(segments)} does not exist`);
    try {
      await mkdir(current);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        return fail(`error: cannot create the folder ${shown}: ${describe(error)}`);
      }
      // Someone else created it meanwhile: it must be a real folder too.
      const again = await lstat(current);
      if (again.isSymbolicLink()) return refuseSymlink(rootReal, current, shown);
      if (!again.isDirectory()) return fail(`error: ${shown} is a file, not a folder`);
    }
  }
  return fail('error: name a file, not the memories root');
}

async function refuseSymlink(
  rootReal: string,
  path: string,
  shown: string,
): Promise<Checked<never>> {
  let target: string | undefined;
  try {
    target = await realpath(path);
  } catch {
    // A dangling or looping link: its target is unknown, so treat it as leading out.
  }
  if (target === undefined || !isInside(rootReal, target)) {
    return fail(`${ESCAPES}: ${shown} is a symlink that leads outside it`);
  }
  return fail(`error: refusing to write through the symlink ${shown}`);
}

/**
 * `segments` as the model should see them (`skills/x/SKILL.md`, `.` for the root).
 *
 * @example
 * ```ts
 * display(['skills', 'x']); // 'skills/x'
 * ```
 */
export function display(segments: readonly string[]): string {
  return segments.length === 0 ? '.' : segments.join('/');
}

/**
 * The `code` of a Node.js system error (`ENOENT`, …), if any.
 *
 * @example
 * ```ts
 * if (errorCode(error) === 'ENOENT') return undefined;
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A short, one-line description of a thrown value, for an error result.
 *
 * @example
 * ```ts
 * describe(new Error('EACCES: permission denied')); // 'EACCES: permission denied'
 * ```
 */
export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
