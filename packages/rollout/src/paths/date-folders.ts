import type { Dirent } from 'node:fs';

/** Largest year folder name of `sessions/YYYY/` that is read (Codex parses it as a `u16`). */
export const MAX_YEAR_FOLDER = 0xffff;

/** Largest month or day folder name of `sessions/YYYY/MM/DD/` that is read (a `u8` in Codex). */
export const MAX_MONTH_OR_DAY_FOLDER = 0xff;

/**
 * The date folders among a folder's entries, largest number first, as Codex's listing walks
 * `sessions/YYYY/MM/DD`: real folders (not links to folders) whose name parses as Rust parses
 * an unsigned integer (`2026`, `07`, `+7`; digits with an optional leading `+`) to at most `max`
 * ({@link MAX_YEAR_FOLDER} for years, {@link MAX_MONTH_OR_DAY_FOLDER} for months and days). Other
 * entries are ignored. Names of equal value (`7`, `07`) come in descending name order.
 *
 * @example
 * ```ts
 * const years = dateFolderNames(readdirSync(sessions, { withFileTypes: true }), MAX_YEAR_FOLDER);
 * // ['2026', '2025']: not '2026-old', not '70000', not a symlink
 * ```
 */
export function dateFolderNames(entries: readonly Dirent[], max: number): string[] {
  const folders: Array<{ value: number; name: string }> = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^\+?\d+$/.test(entry.name)) continue;
    const value = Number(entry.name);
    if (value <= max) folders.push({ value, name: entry.name });
  }
  folders.sort((a, b) => b.value - a.value || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return folders.map((folder) => folder.name);
}
