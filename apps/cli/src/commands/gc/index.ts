import type { Command } from 'commander';

import { durationArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

const DAY_MS = 86_400_000;

const HELP = `
Keeps a home from growing without losing anything:
- compresses rollouts idle for --compress-after (default 7d) exactly as Codex's own cold-rollout
  compression does: rollout-….jsonl becomes rollout-….jsonl.zst in the same folder (zstd level 3,
  written to a temporary file, verified, renamed, mtime kept), so Codex 0.169 lists them and
  materializes them when a thread is resumed; a rollout a process holds open (Linux) or one
  written to during the pass is left alone; the store follows the new paths;
- empties the trash (agent_state_trash/, filled by \`threads delete\`) of deletions older than
  --trash-after (default 30d);
- prunes our logs database (Codex's retention: 90 days, 10 MiB per thread) and vacuums it.
It prints the bytes before and after. --dry-run says what it would do and changes nothing.

Examples:
  $ agent-state --home ~/.codex gc --dry-run
  $ agent-state gc --compress-after 30d --json
`;

/** The flags of `gc`, as commander parsed them. */
interface GcFlags {
  compressAfter: number;
  trashAfter: number;
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
      'compress rollouts idle this long (s, m, h, d, w)',
      durationArgument(),
      7 * DAY_MS,
    )
    .option(
      '--trash-after <age>',
      'remove deleted threads from the trash after this long',
      durationArgument(),
      30 * DAY_MS,
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
