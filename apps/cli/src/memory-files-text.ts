import type { MemoryFilesStatus } from '@agent-state/memories/files';

import { plural } from './format.js';
import { type Colors, formatBytes } from './output.js';

/**
 * `MEMORY.md 12.3 kB, memory_summary.md 1.2 kB, raw_memories.md 40 kB, 3 skills`: the sizes of
 * the memories root's files (`none` for one that is missing), its skills, and a pending rebuild.
 *
 * @example
 * ```ts
 * rows.push(['memory files', memoryFilesText(await memoryFilesStatus(root), colors)]);
 * ```
 */
export function memoryFilesText(files: MemoryFilesStatus, colors: Colors): string {
  if (!files.exists) return colors.dim('no memories folder yet');
  const size = (name: string, bytes: number | null) =>
    `${name} ${bytes === null ? colors.dim('none') : formatBytes(bytes)}`;
  const parts = [
    size('MEMORY.md', files.memoryBytes),
    size('memory_summary.md', files.summaryBytes),
    size('raw_memories.md', files.rawMemoriesBytes),
    plural(files.skills, 'skill'),
  ];
  if (files.rebuildRequested) parts.push(colors.yellow('rebuilt by the next consolidation'));
  return parts.join(', ');
}
