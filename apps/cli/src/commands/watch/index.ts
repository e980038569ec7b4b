import type { Command } from 'commander';

import { durationArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf } from '../../registration.js';

const HELP = `
Keeps the store, the search index and the usage records current while Codex (or anything else)
writes rollouts: file-system events, plus a rescan at start and every --rescan-every (default 5m)
as a safety net. A line appended to a rollout is read from where the last read ended; new,
archived, unarchived, compressed, materialized and deleted rollouts are followed. One watcher runs
per home (a second one exits 4 naming the first; a watcher that died is replaced at once). Ctrl-C
or SIGTERM stops it cleanly. --json prints one JSON line per change: {"type": "ready" | "indexed" |
"appended" | "removed", "threadId", "path", "lines", "at"}.

To keep it running, as a systemd user service (~/.config/systemd/user/agent-state-watch.service):
  [Service]
  ExecStart=/usr/bin/env agent-state watch
  Restart=on-failure
  [Install]
  WantedBy=default.target
then \`systemctl --user enable --now agent-state-watch\`; on macOS, a launchd agent whose
ProgramArguments run \`agent-state watch\` with KeepAlive (see the README).

Examples:
  $ agent-state --home ~/.codex watch
  $ agent-state watch --json | jq -c 'select(.type == "appended")'
  $ agent-state watch --sync postgres://me@db.internal/agent_state   # and push to a shared store
`;

/** The flags of `watch`, as commander parsed them. */
interface WatchFlags {
  json?: boolean;
  rescanEvery?: number;
  sync?: string;
  redact?: boolean;
}

/** `agent-state watch`: keep the store current while rollouts are written. */
export function registerWatch(program: Command, io: CliIo): void {
  program
    .command('watch')
    .description('keep the store, search and usage current while rollouts are written')
    .option('--json', 'print one JSON line per change')
    .option(
      '--rescan-every <age>',
      'how often to compare the store with the rollouts anyway (default: 5m)',
      durationArgument('--rescan-every'),
    )
    .option(
      '--sync <url>',
      'also push every change to this shared PostgreSQL store (see `agent-state sync`)',
    )
    .option('--redact', 'with --sync: redact secrets in the text pushed')
    .addHelpText('after', HELP)
    .action(async (options: WatchFlags, command: Command) => {
      if (options.redact === true && options.sync === undefined) {
        command.error("error: option '--redact' needs --sync <url>");
      }
      const home = homeOf(command, io);
      const { runWatch } = await import('./watch.js');
      exitWith(
        await runWatch({
          home,
          io,
          json: options.json === true,
          rescanIntervalMs: options.rescanEvery,
          sync: options.sync === undefined ? undefined : { url: options.sync, source: '--sync' },
          redact: options.redact === true,
        }),
      );
    });
}
