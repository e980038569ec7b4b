// Child process of the recording crash matrix: records a seeded session (appending to its
// rollout and upserting the store) and reports each recorded turn, until the parent kills it.
import { RolloutRecorder } from '@agent-state/rollout';
import { noopLogger, openStateStore, systemClock } from '@agent-state/state';

import { report } from './crash-helpers.js';
import { CRASH_SESSION_CWD, crashSessionTurn } from './crash-session.js';

/** Arguments of the worker. */
export interface RecorderCrashArgs {
  home: string;
  sessionSeed: number;
  /** Stop (and exit cleanly) after this many turns, if the kill has not come. */
  maxTurns: number;
}

/** What the worker reports with each turn. */
export interface RecorderCrashInfo {
  path: string;
  threadId: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as RecorderCrashArgs;
const store = await openStateStore({ home: args.home, clock: systemClock });
const recorder = await RolloutRecorder.create({
  home: args.home,
  cwd: CRASH_SESSION_CWD,
  source: 'cli',
  originator: 'codex_cli_rs',
  cliVersion: '0.100.0',
  modelProvider: 'openai',
  clock: systemClock,
  logger: noopLogger,
  store,
});
await recorder.persist();
const info: RecorderCrashInfo = { path: recorder.path, threadId: recorder.threadId };
await report({ type: 'progress', done: 0, info });
for (let turn = 0; turn < args.maxTurns; turn += 1) {
  await recorder.record(crashSessionTurn(args.sessionSeed, turn));
  process.send?.({ type: 'progress', done: turn + 1, info });
}
await recorder.close();
await store.close();
await report({ type: 'done' });
process.disconnect?.();
