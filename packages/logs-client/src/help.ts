// The help text of `logs_client` and `agent-state logs`, apart from the code that reads the logs
// so that showing a command's help loads nothing else.

/**
 * The help text after the options: what is read, and examples, for `command` (`logs_client` or
 * `agent-state logs`).
 *
 * @example
 * ```ts
 * program.command('logs').addHelpText('after', logsClientHelp('agent-state logs'));
 * ```
 */
export function logsClientHelp(command: string): string {
  return `
Without --db, the log database of the home is read: agent-state's (agent_logs_1.sqlite) if there
is one, else Codex's newest (logs_2.sqlite, logs_1.sqlite, or the logs table of state_5.sqlite).
When the home has both, one line on stderr says which is read; --source codex reads Codex's.
Codex's files are opened read-only and never changed. Rows print oldest first: the newest
--backfill matching rows, then new rows as they are written, until Ctrl-C (exit 0), until the
reader of the output goes away, or until the end of --to/--until has passed.

Examples:
  $ ${command} --codex-home ~/.codex --level warn+ --since 10m
  $ ${command} --codex-home ~/.codex --source codex --level warn+     Codex's logs, not agent-state's
  $ ${command} --db ~/.codex/logs_2.sqlite --thread-id <id> --no-follow --json
  $ ${command} --thread-id <id> --threadless --compact     a thread and the rows of no thread
  $ ${command} --module codex_core::tools --grep apply_patch
  $ ${command} --from 2026-11-21T06:00:00Z --until 1h --backfill all     prints the range and exits

Exit codes: 0 ok (also after Ctrl-C, or when the reader of the output goes away), 1 failure,
2 usage error, 3 no log database.
`;
}
