import type { Command } from 'commander';

import { integerArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { collect, homeOf } from '../../registration.js';
import { registerMemoriesForget } from './forget/index.js';
import { registerMemoriesList } from './list/index.js';
import { registerMemoriesMode } from './mode/index.js';

const HELP = `
Examples:
  $ OPENAI_API_KEY=… agent-state memories run                  # every eligible thread, then consolidate
  $ agent-state memories run --base-url http://127.0.0.1:8080/v1 --model my-model --max 20
  $ agent-state memories status --json
  $ agent-state memories show
  $ agent-state memories list --cwd .                           # what was remembered of this project
  $ agent-state memories disable --cwd ~/src/secret-project     # never extract these threads
  $ agent-state memories forget 01a1fca2-290e-7023-a2aa-62c446d63b1d

Phase 1 reads threads idle for 12 hours and updated within 30 days (interactive sources), one model
request each; phase 2 runs one consolidation agent over <home>/memories when there is new input.
A second run with nothing new makes no model request. Models and endpoint: --model/--base-url, or
AGENT_STATE_EXTRACT_MODEL, AGENT_STATE_CONSOLIDATION_MODEL, OPENAI_BASE_URL, or [memories] in
<home>/config.toml; the API key comes from $OPENAI_API_KEY (any value for a local server).
MEMORY.md is capped (64 KiB unless --max-memory-bytes, AGENT_STATE_MEMORY_MAX_BYTES or
max_memory_bytes in [memories] says otherwise): a consolidation that leaves a larger one fails and
the previous files are put back.
`;

/** The flags of `memories run`, as commander parsed them. */
interface MemoriesRunFlags {
  phase: string;
  max?: string;
  model?: string;
  baseUrl?: string;
  minIdleHours?: string;
  maxAgeDays?: string;
  source?: string[];
  maxMemoryBytes?: number;
  json?: boolean;
}

/**
 * `agent-state memories run|status|show|list|enable|disable|forget`: the memories pipeline (any
 * OpenAI-compatible API) and what it keeps.
 */
export function registerMemories(program: Command, io: CliIo): void {
  const memories = program
    .command('memories')
    .description(
      'extract memories from past threads and consolidate them (any OpenAI-compatible API)',
    )
    .addHelpText('after', HELP);
  memories
    .command('run')
    .description('phase 1 over every eligible thread, then phase 2 if there is anything new')
    .option('--phase <phase>', 'which phases: 1, 2 or all', 'all')
    .option('--max <n>', 'at most this many threads in phase 1')
    .option(
      '--model <model>',
      'the model of both phases (default: config, then gpt-5-mini / gpt-5)',
    )
    .option('--base-url <url>', 'the Responses API base URL (default: $OPENAI_BASE_URL or OpenAI)')
    .option('--min-idle-hours <hours>', 'only threads idle at least this long (default 12)')
    .option('--max-age-days <days>', 'only threads updated within this many days (default 30)')
    .option(
      '--source <source>',
      'read threads of this source (default cli and vscode); repeatable',
      collect,
    )
    .option(
      '--max-memory-bytes <bytes>',
      'the cap on MEMORY.md (default: config, then 65536)',
      integerArgument({ min: 1 }),
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: MemoriesRunFlags, command: Command) => {
      const { runMemoriesRun } = await import('./memories.js');
      await runMemoriesRun({
        home: homeOf(command, io),
        ...options,
        json: options.json === true,
        io,
      });
    });
  memories
    .command('status')
    .description('stage-1 jobs, the phase-2 lock and the memory files')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runMemoriesStatus } = await import('./memories.js');
      await runMemoriesStatus({ home: homeOf(command, io), json: options.json === true, io });
    });
  memories
    .command('show')
    .description('the memory summary a new session gets')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText('after', HELP)
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runMemoriesShow } = await import('./memories.js');
      await runMemoriesShow({ home: homeOf(command, io), json: options.json === true, io });
    });
  registerMemoriesList(memories, io);
  registerMemoriesMode(memories, io);
  registerMemoriesForget(memories, io);
}
