import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { resolveLogsClientOptions, runLogs } from '@agent-state/logs-client';
import { collectRollouts } from '@agent-state/rollout';
import { describeSandboxPolicy, parseSandboxPolicy, toCoreJson } from '@agent-state/sandbox-policy';
import { InvalidArgumentError, logsDbPath, systemClock } from '@agent-state/state';

import { CommandExit, ExitCode } from '../../exit-codes.js';
import { shellQuote } from '../../format.js';
import { type CliIo, type Colors, colorsFor, writeLines } from '../../output.js';
import { withStore } from '../../store-session.js';
import { runBackfillCommand } from '../backfill/backfill.js';
import { runReconcile } from '../reconcile/reconcile.js';
import { runThreadsList } from '../threads/list/threads-list.js';

/** The folder of bundled sessions, in the package beside `dist/` and `src/`. */
const DEMO_DATA = 'demo-home';

/** What the demo copies from the bundle: the parts of a Codex home that hold sessions. */
const DEMO_ENTRIES = ['sessions', 'archived_sessions', 'session_index.jsonl'];

/** A thread of the bundle whose sandbox policy the demo prints (named, workspace-write). */
const SANDBOX_THREAD_ID = '01a1fca2-290e-7023-a2aa-62c446d63b1d';

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** Where to build the sample home: a new or empty directory. Default: a new temporary one. */
  home?: string | undefined;
  /** A Responses API base URL: when set (or `$OPENAI_BASE_URL`), the demo runs the memories. */
  baseUrl?: string | undefined;
  /** The model of both memories phases. */
  model?: string | undefined;
  io: CliIo;
  signal?: AbortSignal | undefined;
}

/**
 * `agent-state demo`: the main job of the tool on bundled real sessions, step by step, each step
 * being the command a user would run. Exits 0 when every step worked.
 */
export async function runDemo(options: RunDemoOptions): Promise<ExitCode> {
  const { io } = options;
  const colors = colorsFor(io.stdout, io.env);
  const home = prepareHome(options.home);
  const sessions = await copyBundledSessions(home);
  const title = (step: number, text: string) =>
    writeLines(io.stdout, ['', colors.bold(colors.cyan(`${step}. ${text}`))]);
  const failures: string[] = [];
  const check = (step: string, exitCode: ExitCode) => {
    if (exitCode !== ExitCode.Ok) failures.push(`${step} exited ${exitCode}`);
  };

  writeLines(io.stdout, [
    colors.bold('agent-state demo'),
    `a sample Codex home with ${sessions} real sessions (Codex 0.100.0 and 0.169.0) in ${home}`,
  ]);
  await withStore(home, (store) => {
    store.logger.child({ target: 'agent_state::demo' }).info('demo home built', { home, sessions });
    return Promise.resolve();
  });

  title(1, 'agent-state backfill: index every session into the store');
  check(
    'backfill',
    await runBackfillCommand({ home, json: false, wait: true, io, signal: options.signal }),
  );

  title(2, 'agent-state threads list: newest first, from the store');
  check(
    'threads list',
    await runThreadsList({
      home,
      json: false,
      io,
      archived: false,
      sortKey: 'created',
      sources: [],
      modelProviders: [],
      cwds: [],
      limit: 10,
      cursor: undefined,
    }),
  );

  title(3, 'agent-state reconcile: compare the store with the sessions');
  check('reconcile', await runReconcile({ home, repair: false, json: false, io }));

  title(4, `agent-state logs: what the steps above logged (${logsDbPath(home)})`);
  await runLogs(
    resolveLogsClientOptions(
      { follow: false, backfill: '6', compact: true },
      { env: io.env, clock: systemClock, stdout: io.stdout, home },
    ),
    { stdout: io.stdout },
  );

  title(5, 'the sandbox policy of a thread');
  await showSandboxPolicy(home, io, colors);

  title(6, 'agent-state memories run: extract and consolidate memories');
  await runDemoMemories({ ...options, home }, failures);

  writeLines(io.stdout, [
    '',
    failures.length === 0
      ? colors.green(`Done. The sample home is ${home}; try:`)
      : colors.yellow(`Done, with problems (${failures.join('; ')}). The sample home is ${home}:`),
    `  agent-state --home ${shellQuote(home)} threads show ${SANDBOX_THREAD_ID}`,
    `  agent-state --home ${shellQuote(home)} threads list --archived --json`,
    `  agent-state --home ${shellQuote(home)} doctor`,
  ]);
  return failures.length === 0 ? ExitCode.Ok : ExitCode.Failure;
}

/** A new or empty directory for the sample home: the demo never writes into a used directory. */
function prepareHome(requested: string | undefined): string {
  if (requested === undefined) return mkdtempSync(join(tmpdir(), 'agent-state-demo-'));
  const home = resolve(requested);
  if (existsSync(home)) {
    if (!statSync(home).isDirectory()) {
      throw new InvalidArgumentError('--home', `${home} is not a directory`);
    }
    if (readdirSync(home).length > 0) {
      throw new InvalidArgumentError(
        '--home',
        `${home} is not empty: the demo builds a new sample home; give it a new or empty directory (or no --home for a temporary one)`,
      );
    }
  } else {
    mkdirSync(home, { recursive: true });
  }
  return home;
}

/** Copies the bundled sessions into `home`; returns how many rollouts it copied. */
async function copyBundledSessions(home: string): Promise<number> {
  const bundle = findBundle();
  for (const entry of DEMO_ENTRIES) {
    cpSync(join(bundle, entry), join(home, entry), { recursive: true });
  }
  return (await collectRollouts(home)).files.length;
}

/** The bundled sessions: `demo-home/` at the package root, whether running from src or dist. */
function findBundle(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = join(dir, DEMO_DATA);
    if (existsSync(join(candidate, 'sessions'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`the demo sessions (${DEMO_DATA}/) are missing from this installation`);
}

async function showSandboxPolicy(home: string, io: CliIo, colors: Colors): Promise<void> {
  const thread = await withStore(home, (store) => store.threads.get(SANDBOX_THREAD_ID));
  if (!thread?.sandboxPolicy) {
    writeLines(io.stdout, [colors.yellow(`thread ${SANDBOX_THREAD_ID} has no sandbox policy`)]);
    return;
  }
  const policy = parseSandboxPolicy(thread.sandboxPolicy);
  writeLines(io.stdout, [
    `thread ${thread.id} (${thread.source}, cwd ${thread.cwd}) ran its commands under:`,
    `  ${describeSandboxPolicy(policy)}`,
    `  ${JSON.stringify(toCoreJson(policy))}`,
    colors.dim(
      '  see how it is enforced: agent-state sandbox show --mode workspace-write --format bwrap (or seatbelt)',
    ),
  ]);
}

async function runDemoMemories(
  options: RunDemoOptions & { home: string },
  failures: string[],
): Promise<void> {
  const { io } = options;
  const baseUrl =
    options.baseUrl ?? io.env['AGENT_STATE_MEMORIES_BASE_URL'] ?? io.env['OPENAI_BASE_URL'];
  if (baseUrl === undefined || baseUrl === '') {
    writeLines(io.stdout, [
      'skipped: no model endpoint is configured (the demo stays offline). To run it, point it at any',
      'OpenAI-compatible Responses API:',
      '  OPENAI_API_KEY=… agent-state demo --base-url http://127.0.0.1:8080/v1 --model <model>',
    ]);
    return;
  }
  // Loaded on use, as by `agent-state memories`: the model client is heavy.
  const { runMemoriesRun, runMemoriesShow } = await import('../memories/memories.js');
  try {
    await runMemoriesRun({
      home: options.home,
      phase: 'all',
      model: options.model,
      baseUrl,
      // The sample sessions are fresh and mostly `exec`: read them all.
      minIdleHours: '0',
      source: ['cli', 'vscode', 'exec'],
      json: false,
      io,
    });
    writeLines(io.stdout, ['', 'the memory summary a new session gets:']);
    await runMemoriesShow({ home: options.home, json: false, io });
  } catch (error) {
    // A failed run has already said why on stderr; anything else (no API key, …) is said here.
    if (!(error instanceof CommandExit)) {
      writeLines(io.stdout, [
        `memories: ${error instanceof Error ? error.message : String(error)}`,
      ]);
    }
    failures.push('memories run failed');
  }
}
