// Child process of the memories crash matrices: runs one memories phase of a home against the
// parent's mock Responses API server, until the parent kills it.
import { createModelClient, resolveMemoriesModelConfig, runMemories } from '@agent-state/memories';
import { ManualClock, openStateStore } from '@agent-state/state';

import { report } from './crash-helpers.js';

/** Arguments of the worker. */
export interface MemoriesCrashArgs {
  home: string;
  baseUrl: string;
  nowMs: number;
  phases: 'phase1' | 'phase2';
  allowedSources: string[];
  /** Lanes of phase 1: at most this many jobs are claimed and running at once. */
  concurrency: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as MemoriesCrashArgs;
const store = await openStateStore({ home: args.home, clock: new ManualClock(args.nowMs) });
const config = resolveMemoriesModelConfig({
  options: {
    baseUrl: args.baseUrl,
    model: 'mock-model',
    maxRetries: 0,
    timeoutMs: 20_000,
    concurrency: args.concurrency,
  },
  env: {},
});
const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
await report({ type: 'progress', done: 0 });
const result = await runMemories({
  store,
  client,
  config,
  phases: args.phases,
  allowedSources: args.allowedSources,
  workerId: `crash-child:${process.pid}`,
});
await store.close();
await report({ type: 'done', value: result });
process.disconnect?.();
