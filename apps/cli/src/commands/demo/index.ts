import type { Command } from 'commander';

import type { CliIo } from '../../output.js';
import { type GlobalOptions, exitWith, whileInterruptible } from '../../registration.js';

const HELP = `
Examples:
  $ agent-state demo                                  build a sample home in a temporary directory
  $ agent-state demo --home ./sample-home             … or in a new (or empty) directory
  $ OPENAI_API_KEY=… agent-state demo --base-url http://127.0.0.1:8080/v1   with the memories

The sample home holds 10 sessions written by Codex 0.100.0 (legacy rollouts) and 0.169.0
(paginated rollouts), two of them archived and three named. The demo indexes them, lists them,
reconciles the store with them, shows the logs it wrote and the sandbox policy of a thread, and
runs the memories pipeline when a model endpoint is configured. It needs no network otherwise.
`;

/** `agent-state demo`: index, list, reconcile and inspect a sample home (offline). */
export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'see it work: index, list, reconcile and inspect a sample home of real Codex sessions (offline)',
    )
    .option('--base-url <url>', 'also run the memories pipeline against this Responses API')
    .option('--model <model>', 'the model of the memories pipeline')
    .addHelpText('after', HELP)
    .action(async (options: { baseUrl?: string; model?: string }, command: Command) => {
      // Only an explicit --home: the demo never writes into the home of the environment.
      const { home } = command.optsWithGlobals<GlobalOptions>();
      const { runDemo } = await import('./demo.js');
      exitWith(
        await whileInterruptible((signal) =>
          runDemo({ home, baseUrl: options.baseUrl, model: options.model, io, signal }),
        ),
      );
    });
}
