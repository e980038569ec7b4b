import { writeFile } from 'node:fs/promises';

import { type Transcript, loadTranscript, renderTranscriptMarkdown } from '@agent-state/rollout';
import { InvalidArgumentError } from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import type { CliIo } from '../../../output.js';
import { withStore } from '../../../store-session.js';
import { type ExportFormat, exportFormatOf } from './export-format.js';

/** Options of {@link runThreadsExport}. */
export interface RunThreadsExportOptions {
  home: string;
  id: string;
  io: CliIo;
  /** Default: from `output`'s extension, else `md`. */
  format?: ExportFormat | undefined;
  /** A file to write; stdout without one. */
  output?: string | undefined;
  redact: boolean;
}

/**
 * Loads a thread's transcript (store first, then the rollouts; `NotFoundError`, exit 3, for an
 * unknown id) and writes it as Markdown, self-contained HTML or JSON, to stdout or a file.
 */
export async function runThreadsExport(options: RunThreadsExportOptions): Promise<ExitCode> {
  const format = exportFormatOf(options.format, options.output);
  // The memories package (and the model client it holds) loads only when it is needed.
  const redact = options.redact ? (await import('@agent-state/memories')).redactSecrets : undefined;
  const transcript = await withStore(options.home, (store) =>
    loadTranscript({
      home: options.home,
      store,
      id: options.id,
      redact,
    }),
  );
  const text = await render(transcript, format);
  if (options.output === undefined) {
    options.io.stdout.write(text);
    return ExitCode.Ok;
  }
  try {
    await writeFile(options.output, text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError('--output', `cannot write ${options.output}: ${reason}`);
  }
  options.io.stderr.write(
    `wrote ${options.output} (${format}, ${transcript.turns.length} turns)\n`,
  );
  return ExitCode.Ok;
}

async function render(transcript: Transcript, format: ExportFormat): Promise<string> {
  switch (format) {
    case 'md':
      return renderTranscriptMarkdown(transcript);
    case 'json':
      return `${JSON.stringify(transcript, null, 2)}\n`;
    case 'html': {
      // The renderer alone, not the server and its HTTP stack.
      const { renderTranscriptHtml } = await import('@agent-state/web/transcript-html');
      return renderTranscriptHtml(transcript);
    }
  }
}
