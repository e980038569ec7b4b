// Child process of rollout-recorder.crash.test.ts: records turns as fast as it can until the
// parent kills it with SIGKILL.
import { renameSync, writeFileSync } from 'node:fs';

import { type AgentStateStore, noopLogger, openStateStore, systemClock } from '@agent-state/state';
import { workerMain } from '@agent-state/test-utils';

import { RolloutRecorder } from '../src/recorder/rollout-recorder.js';
import { crashTurn } from './sample-session.js';

export interface CrashWorkerArgs {
  home: string;
  /** Where the worker reports `{pid, path}` once its rollout exists. */
  infoPath: string;
}

/** What the worker reports through `infoPath`. */
export interface CrashWorkerInfo {
  pid: number;
  path: string;
  threadId: string;
}

await workerMain<CrashWorkerArgs, { store: AgentStateStore; recorder: RolloutRecorder }, never>({
  prepare: async (args) => {
    const store = await openStateStore({ home: args.home, clock: systemClock });
    const recorder = await RolloutRecorder.create({
      home: args.home,
      cwd: '/home/user/src/app',
      source: 'exec',
      originator: 'codex_exec',
      cliVersion: '0.100.0',
      modelProvider: 'mock',
      clock: systemClock,
      logger: noopLogger,
      store,
    });
    return { store, recorder };
  },
  body: async ({ recorder }, args) => {
    await recorder.record(crashTurn(0));
    await recorder.persist();
    const info: CrashWorkerInfo = {
      pid: process.pid,
      path: recorder.path,
      threadId: recorder.threadId,
    };
    writeFileSync(`${args.infoPath}.tmp`, JSON.stringify(info));
    renameSync(`${args.infoPath}.tmp`, args.infoPath);
    for (let turn = 1; ; turn += 1) await recorder.record(crashTurn(turn));
  },
});
