/**
 * A size in bytes as people read it, in binary units: `512 B`, `1.5 KiB`, `3.2 GiB`.
 *
 * @example
 * ```ts
 * formatBytes(1_572_864); // '1.5 MiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}
