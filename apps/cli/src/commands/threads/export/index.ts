import { type Command, Option } from 'commander';

import type { CliIo } from '../../../output.js';
import { exitWith, homeOf } from '../../../registration.js';
import { EXPORT_FORMATS, type ExportFormat } from './export-format.js';

const HELP = `
Writes one thread as a transcript a person can read or share: its turns in order, each with the
user's message, the agent's messages (commentary and final answer), reasoning summaries, tool
calls with their commands, arguments and output (long output kept as its head and tail, with the
size left out), patches and errors, with times, the model and tokens. A fork shows the history it
inherited from its parent, marked as such; a compressed rollout (.jsonl.zst) reads as any other.

Formats: md (default: Markdown that reads well in a code review, outputs folded in <details>),
html (one self-contained file: no network, no external assets, light and dark), json (the
versioned format described by the JSON Schema published as
@agent-state/rollout/transcript.schema.json). Without --format, the --output file's extension
chooses (.md, .html, .json). --redact replaces secrets (API keys, tokens, passwords, private
keys, …) with [REDACTED], as the memories pipeline does before it stores anything.

Exits 3 when no thread has that id.

Examples:
  $ agent-state threads export 01a1fca2-4d0c-7883-b67e-ad58b7675481 > session.md
  $ agent-state threads export 01a1fca2-4d0c-7883-b67e-ad58b7675481 --output session.html --redact
  $ agent-state threads export 01a1fca2-4d0c-7883-b67e-ad58b7675481 --format json | jq '.turns | length'
`;

/** The flags of `threads export`, as commander parsed them. */
interface ThreadsExportFlags {
  format?: ExportFormat;
  output?: string;
  redact?: boolean;
}

/** `agent-state threads export <id>`: a thread as Markdown, HTML or JSON. */
export function registerThreadsExport(threads: Command, io: CliIo): void {
  threads
    .command('export')
    .description('write a thread as a transcript: Markdown, self-contained HTML or JSON')
    .argument('<id>', 'the thread id (a UUID)')
    .addOption(
      new Option('--format <format>', 'md, html or json (default: from --output, else md)').choices(
        EXPORT_FORMATS,
      ),
    )
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--redact', 'replace secrets with [REDACTED]')
    .addHelpText('after', HELP)
    .action(async (id: string, options: ThreadsExportFlags, command: Command) => {
      const home = homeOf(command, io);
      const { runThreadsExport } = await import('./threads-export.js');
      exitWith(
        await runThreadsExport({
          home,
          id,
          io,
          format: options.format,
          output: options.output,
          redact: options.redact === true,
        }),
      );
    });
}
