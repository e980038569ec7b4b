import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

const HELP = `
Compares the store with the rollouts (the source of truth) and reports every difference: rollouts
the store does not know (missing_row), rows whose rollout is gone (stale_row), rows that differ
from their rollout (field_mismatch), unreadable rollouts and thread ids with two rollouts.
--repair fixes the first three; rollouts are never modified.

It is a report: it exits 0 whatever it finds. Afterwards the discrepancy counters that
\`agent-state doctor\` shows hold only what is still wrong (nothing, once all is repaired).

Examples:
  $ agent-state --home ~/.codex reconcile
  $ agent-state --home ~/.codex reconcile --repair
  $ agent-state reconcile --json | jq .counts
`;

/** `agent-state reconcile`: compare the store with the rollouts, and repair with `--repair`. */
export function registerReconcile(program: Command, io: CliIo): void {
  program
    .command('reconcile')
    .description(
      'compare the store with the rollouts and report (and with --repair fix) the differences',
    )
    .option(
      '--repair',
      'fix what can be fixed: index missing rollouts, rewrite rows, delete stale rows',
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: { repair?: boolean; json?: boolean }, command: Command) => {
      const home = homeOf(command, io);
      const { runReconcile } = await import('./reconcile.js');
      exitWith(
        await runReconcile({
          home,
          repair: options.repair === true,
          json: options.json === true,
          io,
        }),
      );
    });
}
