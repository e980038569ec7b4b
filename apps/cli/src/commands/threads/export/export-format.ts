import { extname } from 'node:path';

/** The formats of `threads export`. */
export const EXPORT_FORMATS = ['md', 'html', 'json'] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const BY_EXTENSION: Readonly<Record<string, ExportFormat>> = {
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
};

/** The format asked for, else the one the output file's extension names, else Markdown. */
export function exportFormatOf(
  format: ExportFormat | undefined,
  output: string | undefined,
): ExportFormat {
  if (format !== undefined) return format;
  if (output === undefined) return 'md';
  return BY_EXTENSION[extname(output).toLowerCase()] ?? 'md';
}
