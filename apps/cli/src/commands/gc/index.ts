import type { Command } from 'commander';

import { durationArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

const HELP = `
Keeps a home from growing without losing anything:
- compresses rollouts idle for --compress-after (default 7d) exactly as Codex's own cold-rollout
  compression does: rollout-….jsonl becomes rollout-….jsonl.zst in the same folder (zstd level 3,
  written to a temporary file, verified, linked into place, mtime kept), so Codex 0.169 lists them and
  materializes them when a thread is resumed; a rollout a process holds open (/proc, or lsof) or
  one written to during the pass is left alone; the store follows the new paths;
- empties the trash (agent_state_trash/, filled by \`threads delete\`) of deletions older than
  --trash-after (default 30d);
- prunes our logs database (Codex's retention: 90 days, 10 MiB per thread) and vacuums it.
It prints the bytes before and after, and exits 1 when the trash or the logs could not be done.
--dry-run says what it would do and changes no rollout, trash entry or log row.

Examples:
  $ agent-state --home ~/.codex gc --dry-run
  $ agent-state gc --compress-after 30d --json
`;

/** The flags of `gc`, as commander parsed them. */
interface GcFlags {
  compressAfter?: number;
  trashAfter?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `agent-state gc`: compress cold rollouts, empty the trash, prune our logs. */
export function registerGc(program: Command, io: CliIo): void {
  program
    .command('gc')
    .description('compress cold rollouts as Codex does, empty the trash, prune our logs')
    .option(
      '--compress-after <age>',
      'compress rollouts idle this long, s, m, h, d or w (default: 7d)',
      durationArgument('--compress-after'),
    )
    .option(
      '--trash-after <age>',
      'remove deleted threads from the trash after this long (default: 30d)',
      durationArgument('--trash-after'),
    )
    .option('--dry-run', 'say what would be done, change nothing')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: GcFlags, command: Command) => {
      const home = homeOf(command, io);
      const { runGcCommand } = await import('./gc.js');
      exitWith(
        await runGcCommand({
          home,
          io,
          compressAfterMs: options.compressAfter,
          trashAfterMs: options.trashAfter,
          dryRun: options.dryRun === true,
          json: options.json === true,
        }),
      );
    });
}
