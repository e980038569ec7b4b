import type { MemoryMode } from '@agent-state/state';
import type { Command } from 'commander';

import type { CliIo } from '../../../output.js';
import { homeOf } from '../../../registration.js';

const HELP: Record<MemoryMode, string> = {
  disabled: `
Opts threads out of memories (Codex's per-thread memory mode): phase 1 never extracts them, and
what it extracted before no longer feeds the consolidation. --cwd takes every thread whose
working directory is exactly <dir> now; threads started there later are enabled, as every new
thread is. To remove what was already remembered, use \`agent-state memories forget\`.

Examples:
  $ agent-state memories disable 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state memories disable --cwd ~/src/secret-project --json
`,
  enabled: `
Makes threads eligible for memories again (the default mode of every thread): the next
\`agent-state memories run\` extracts them if they are idle and recent enough.

Examples:
  $ agent-state memories enable 01a1fca2-290e-7023-a2aa-62c446d63b1d
  $ agent-state memories enable --cwd ~/src/app
`,
};

/** `agent-state memories enable|disable`: a thread's memory mode. */
export function registerMemoriesMode(memories: Command, io: CliIo): void {
  for (const [name, mode] of [
    ['disable', 'disabled'],
    ['enable', 'enabled'],
  ] as const) {
    memories
      .command(name)
      .description(
        mode === 'disabled'
          ? 'never extract memories from these threads (by id, or every thread of --cwd)'
          : 'extract memories from these threads again (by id, or every thread of --cwd)',
      )
      .argument('[thread-id...]', 'thread ids (UUIDs)')
      .option('--cwd <dir>', 'every thread whose working directory is exactly <dir>')
      .option('--json', 'print one JSON document on stdout')
      .addHelpText('after', HELP[mode])
      .action(
        async (ids: string[], options: { cwd?: string; json?: boolean }, command: Command) => {
          const { runMemoriesMode } = await import('./memories-mode.js');
          await runMemoriesMode({
            home: homeOf(command, io),
            mode,
            threadIds: ids,
            cwd: options.cwd,
            json: options.json === true,
            io,
          });
        },
      );
  }
}
