import type { Command } from 'commander';

import { integerArgument } from '../../arguments.js';
import type { CliIo } from '../../output.js';
import { exitWith, homeOf, whileInterruptible } from '../../registration.js';
import { addSharedStoreOptions, sharedStoreOf } from '../../remote-store-options.js';

const HELP = `
A local web UI over the home, read-only: the threads (with the filters of \`threads list\`),
search with snippets, each thread's transcript (with Markdown, HTML and JSON downloads), usage
charts (tokens and cost per day, by model and by project) and the store's health. It runs until
Ctrl-C.

Transcripts hold secrets, so it is safe by default: it listens on 127.0.0.1 only. Any other
--host (0.0.0.0, a LAN address) requires an access token, generated unless one is given, that
the printed URL carries: the first visit stores it in a cookie for 12 hours. Give your own token
in $AGENT_STATE_SERVE_TOKEN rather than with --token, which other users of this machine can read
in the process list (--token wins when both are given). Like every cookie, the token's is sent to
every port of the host name: another service at the same name could receive it. Requests whose
Host header is not the server's own address are refused (DNS rebinding), so are methods other
than GET and HEAD; no CORS header is sent, and nothing is ever written to the home. A home
without a store, or with one it cannot read, shows what it can and says what to run.
Failures of pages are logged on stderr, one line each.

With --store <url> (or $AGENT_STATE_STORE_URL), it shows the shared PostgreSQL store that
\`agent-state sync\` pushes homes to, read-only across homes: the threads of every home (each with
its host and home; --home-host and --home-id keep some homes only: --host stays the address to
listen on), search and usage over all of them, and the health of that store (its server, schema
version and homes), not of a home. A thread of another machine shows its facts and the
conversation the store holds (messages, reasoning summaries, tool calls with the head and tail of
their output), with a notice that the full transcript is on that host; its Markdown, HTML and JSON
downloads are not offered, because they are made from the rollout, which is not here. A thread of
the home serve runs in is shown in full, from its rollout. The server's password is never shown.

Keyboard: / focuses the search box; j and k move between the turns of a transcript.

Examples:
  $ agent-state serve                              http://127.0.0.1:4815/
  $ agent-state serve --port 0 --open              a free port, opened in the browser
  $ agent-state serve --host 0.0.0.0               reachable from the network, with a token
  $ AGENT_STATE_SERVE_TOKEN=… agent-state serve --host 0.0.0.0
                                                   the same, with a token of your own
  $ agent-state serve --store postgres://me@db.lan/agent_state
                                                   every home pushed to the shared store
  $ agent-state serve --store postgres://me@db.lan/agent_state --home-host laptop
                                                   only the homes of one machine
`;

/**
 * The port the help names as the default. The default itself is `DEFAULT_WEB_PORT` of
 * @agent-state/web, which applies when `--port` is not given: importing it here would load the
 * web UI (and Hono) when any command starts, not only `serve` (serve.test.ts keeps them equal).
 */
const SHOWN_DEFAULT_PORT = 4815;

/** The flags of `serve`, as commander parsed them. */
interface ServeFlags {
  port?: number;
  host?: string;
  token?: string;
  open?: boolean;
  /** The shared store's flags (`--home-host` filters its homes: `--host` is the address). */
  store?: string;
  homeHost?: string[];
  homeId?: string[];
}

/** `serve --host` is the address to listen on: the shared store's host filter is this one. */
const HOME_HOST_FLAG = '--home-host';

/**
 * `agent-state serve`: the local, read-only web UI over the home (or, with `--store`, over the
 * shared store across its homes), until Ctrl-C.
 */
export function registerServe(program: Command, io: CliIo): void {
  const command = program
    .command('serve')
    .description('a local, read-only web UI: threads, search, transcripts, usage charts, health')
    .option(
      '--port <n>',
      `the port, 0 for a free one (default ${SHOWN_DEFAULT_PORT})`,
      integerArgument({ min: 0, max: 65_535 }),
    )
    .option('--host <host>', 'the address to listen on (default 127.0.0.1; others need the token)')
    .option(
      '--token <token>',
      'the access token (default: $AGENT_STATE_SERVE_TOKEN, else generated when the host needs one)',
    )
    .option('--open', 'open the UI in the default browser');
  addSharedStoreOptions(command, { hostFlag: HOME_HOST_FLAG })
    .addHelpText('after', HELP)
    .action(async (options: ServeFlags, command: Command) => {
      const home = homeOf(command, io);
      const shared = sharedStoreOf(
        io,
        { store: options.store, host: options.homeHost, homeId: options.homeId },
        { hostFlag: HOME_HOST_FLAG },
      );
      const { runServe } = await import('./serve.js');
      exitWith(
        await whileInterruptible((signal) =>
          runServe({
            home,
            io,
            port: options.port,
            host: options.host,
            token: options.token,
            open: options.open === true,
            shared,
            signal,
          }),
        ),
      );
    });
}
